// SPDX-License-Identifier: Apache-2.0
// Region URIs: W §15.22 and D-20.
#include "shm/region_uri.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tp::shm {
namespace {

auto parse_error(const std::string& text) -> std::string {
    auto r = RegionUri::parse(text);
    EXPECT_FALSE(r) << "accepted: " << text;
    return r ? std::string() : r.error().message;
}

TEST(RegionUri, W15_22_JuliaFormParses) {
    auto r = RegionUri::parse("shm:file?path=/dev/shm/tensorpool-u/default/10000/3/header.ring");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->path, "/dev/shm/tensorpool-u/default/10000/3/header.ring");
    EXPECT_FALSE(r->require_hugepages);
}

TEST(RegionUri, D20_CFormWithExplicitFalseParses) {
    auto r = RegionUri::parse("shm:file?path=/dev/shm/a/1.pool|require_hugepages=false");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->path, "/dev/shm/a/1.pool");
    EXPECT_FALSE(r->require_hugepages);
}

TEST(RegionUri, W15_22_HugepagesTrueParses) {
    auto r = RegionUri::parse("shm:file?path=/dev/hugepages/x|require_hugepages=true");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->require_hugepages);
}

TEST(RegionUri, D20_EmitsJuliaFormFlagOnlyWhenTrue) {
    EXPECT_EQ((RegionUri{"/dev/shm/x", false}.to_string()), "shm:file?path=/dev/shm/x");
    EXPECT_EQ((RegionUri{"/dev/shm/x", true}.to_string()), "shm:file?path=/dev/shm/x|require_hugepages=true");
    // Round trip, including from the C form, which normalises to the Julia form.
    auto c = RegionUri::parse("shm:file?path=/dev/shm/x|require_hugepages=false");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->to_string(), "shm:file?path=/dev/shm/x");
    auto t = RegionUri::parse(RegionUri{"/p/q", true}.to_string());
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, (RegionUri{"/p/q", true}));
}

TEST(RegionUri, W15_22_UnknownSchemeRejected) {
    EXPECT_NE(parse_error("file:///dev/shm/x").find("unknown scheme"), std::string::npos);
    EXPECT_NE(parse_error("aeron:ipc?path=/x").find("unknown scheme"), std::string::npos);
    EXPECT_NE(parse_error("/dev/shm/x").find("unknown scheme"), std::string::npos);
    EXPECT_NE(parse_error("").find("unknown scheme"), std::string::npos);
}

TEST(RegionUri, W15_22_OtherShmBackendRejected) {
    EXPECT_NE(parse_error("shm:memfd?path=/x").find("only 'shm:file?'"), std::string::npos);
    EXPECT_NE(parse_error("shm:file:path=/x").find("only 'shm:file?'"), std::string::npos);
    EXPECT_NE(parse_error("SHM:file?path=/x").find("unknown scheme"), std::string::npos);
}

TEST(RegionUri, W15_22_AmpersandSeparatorRejected) {
    EXPECT_NE(parse_error("shm:file?path=/dev/shm/x&require_hugepages=true").find("'&'"), std::string::npos);
}

TEST(RegionUri, W15_22_UnknownParameterRejected) {
    EXPECT_NE(parse_error("shm:file?path=/x|mode=rw").find("unknown parameter 'mode'"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?Path=/x").find("unknown parameter"), std::string::npos);
}

TEST(RegionUri, D20_MissingPathRejected) {
    EXPECT_NE(parse_error("shm:file?require_hugepages=true").find("missing required key 'path'"), std::string::npos);
}

TEST(RegionUri, D20_NoParametersRejected) {
    EXPECT_NE(parse_error("shm:file?").find("empty parameter"), std::string::npos);
}

TEST(RegionUri, D20_DuplicateKeysRejected) {
    EXPECT_NE(parse_error("shm:file?path=/a|path=/b").find("duplicate key 'path'"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a|require_hugepages=true|require_hugepages=true").find("duplicate"),
              std::string::npos);
}

TEST(RegionUri, D20_EmptyKeyOrValueRejected) {
    EXPECT_NE(parse_error("shm:file?path=").find("empty value for 'path'"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a|=true").find("empty key"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a|require_hugepages=").find("empty value"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a|").find("empty parameter"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a||require_hugepages=true").find("empty parameter"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path").find("no '='"), std::string::npos);
}

TEST(RegionUri, D20_BadBooleanRejected) {
    EXPECT_NE(parse_error("shm:file?path=/a|require_hugepages=TRUE").find("'true' or 'false'"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/a|require_hugepages=1").find("'true' or 'false'"), std::string::npos);
}

TEST(RegionUri, W15_21a5_RelativePathRejected) {
    EXPECT_NE(parse_error("shm:file?path=dev/shm/x").find("not absolute"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=./x").find("not absolute"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=C:\\aeron\\x").find("not absolute"), std::string::npos);
}

TEST(RegionUri, W15_22_AbnfCharactersEnforced) {
    EXPECT_NE(parse_error("shm:file?path=/dev/shm/a b").find("character"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/dev/shm/a?b").find("character"), std::string::npos);
    EXPECT_NE(parse_error(std::string("shm:file?path=/dev/shm/a\tb")).find("character"), std::string::npos);
    EXPECT_NE(parse_error("shm:file?path=/dev/shm/\xc3\xa9").find("character"), std::string::npos);
}

TEST(RegionUri, D20_LengthLimit4096) {
    const std::string prefix = "shm:file?path=/";
    const std::string at_limit = prefix + std::string(RegionUri::MAX_LENGTH - prefix.size(), 'a');
    ASSERT_EQ(at_limit.size(), 4096U);
    EXPECT_TRUE(RegionUri::parse(at_limit));
    EXPECT_NE(parse_error(at_limit + "a").find("4096"), std::string::npos);
}

TEST(RegionUri, D20_ParameterOrderIsFree) {
    auto r = RegionUri::parse("shm:file?require_hugepages=true|path=/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->path, "/x");
    EXPECT_TRUE(r->require_hugepages);
}

} // namespace
} // namespace tp::shm
