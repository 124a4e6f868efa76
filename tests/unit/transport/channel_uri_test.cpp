// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/channel_uri.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace tp::transport {
namespace {

TEST(ChannelUri, ParsesPlainIpc) {
    auto uri = ChannelUri::parse("aeron:ipc");
    ASSERT_TRUE(uri) << uri.error().to_string();
    EXPECT_EQ(uri->media(), Media::Ipc);
    EXPECT_TRUE(uri->params().empty());
    EXPECT_FALSE(uri->term_length());
    EXPECT_EQ(uri->to_string(), "aeron:ipc");
}

TEST(ChannelUri, ParsesTermLengthWithSuffixes) {
    struct Case {
        const char* text;
        std::uint32_t bytes;
    };
    for (const Case c : {Case{"aeron:ipc?term-length=4m", 4U << 20U}, Case{"aeron:ipc?term-length=64k", 64U << 10U},
                         Case{"aeron:ipc?term-length=65536", 65536U}, Case{"aeron:ipc?term-length=1g", 1U << 30U},
                         Case{"aeron:ipc?term-length=16M", 16U << 20U}}) {
        auto uri = ChannelUri::parse(c.text);
        ASSERT_TRUE(uri) << c.text << ": " << uri.error().to_string();
        ASSERT_TRUE(uri->term_length()) << c.text;
        EXPECT_EQ(*uri->term_length(), c.bytes) << c.text;
    }
}

TEST(ChannelUri, ParsesUdpWithParamsAndKeepsUnknownOnes) {
    auto uri = ChannelUri::parse("aeron:udp?endpoint=127.0.0.1:40123|mtu=8k|alias=bridge|tags=1,2|sparse=true");
    ASSERT_TRUE(uri) << uri.error().to_string();
    EXPECT_EQ(uri->media(), Media::Udp);
    ASSERT_TRUE(uri->endpoint());
    EXPECT_EQ(uri->endpoint()->host, "127.0.0.1");
    EXPECT_EQ(uri->endpoint()->port, 40123);
    EXPECT_EQ(*uri->mtu(), 8192U);
    EXPECT_EQ(uri->get("alias"), "bridge");
    EXPECT_EQ(uri->get("tags"), "1,2");
    EXPECT_EQ(uri->get("sparse"), "true");
    EXPECT_FALSE(uri->get("nothing"));
    EXPECT_EQ(uri->params().size(), 5U);
    EXPECT_EQ(uri->to_string(), "aeron:udp?endpoint=127.0.0.1:40123|mtu=8k|alias=bridge|tags=1,2|sparse=true");
}

TEST(ChannelUri, ParsesIpv6AndHostnameEndpoints) {
    auto v6 = ChannelUri::parse("aeron:udp?endpoint=[::1]:40000");
    ASSERT_TRUE(v6) << v6.error().to_string();
    EXPECT_EQ(v6->endpoint()->host, "::1");
    EXPECT_TRUE(v6->endpoint()->ipv6_literal);
    EXPECT_EQ(v6->endpoint()->to_string(), "[::1]:40000");
    auto named = ChannelUri::parse("aeron:udp?endpoint=localhost:0");
    ASSERT_TRUE(named) << named.error().to_string();
    EXPECT_EQ(named->endpoint()->host, "localhost");
    EXPECT_EQ(named->endpoint()->port, 0);
}

TEST(ChannelUri, SessionIdAndBufferSizes) {
    auto uri = ChannelUri::parse("aeron:ipc?session-id=-42|so-sndbuf=2m");
    ASSERT_TRUE(uri) << uri.error().to_string();
    EXPECT_EQ(*uri->session_id(), -42);
}

TEST(ChannelUri, WithParamReplacesOrAppends) {
    auto uri = ChannelUri::parse("aeron:udp?endpoint=127.0.0.1:0|mtu=1408");
    ASSERT_TRUE(uri);
    EXPECT_EQ(uri->with_param("endpoint", "127.0.0.1:5000").to_string(), "aeron:udp?endpoint=127.0.0.1:5000|mtu=1408");
    EXPECT_EQ(uri->with_param("alias", "x").to_string(), "aeron:udp?endpoint=127.0.0.1:0|mtu=1408|alias=x");
}

struct BadCase {
    const char* uri;
    const char* expected_fragment;
};

void PrintTo(const BadCase& c, std::ostream* os) {
    *os << '"' << c.uri << '"';
}

class MalformedChannelUri : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedChannelUri, IsRejectedWithAClearMessage) {
    const BadCase& c = GetParam();
    auto uri = ChannelUri::parse(c.uri);
    ASSERT_FALSE(uri) << c.uri << " parsed as " << uri->to_string();
    EXPECT_EQ(uri.error().code, ErrorCode::ParseError) << uri.error().to_string();
    EXPECT_NE(uri.error().message.find(c.expected_fragment), std::string::npos)
        << "message for '" << c.uri << "' was: " << uri.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedChannelUri,
    ::testing::Values(
        BadCase{"", "empty channel"}, BadCase{"ipc", "bad scheme"}, BadCase{"aeron-ipc", "bad scheme"},
        BadCase{"Aeron:ipc", "bad scheme"}, BadCase{"aeron:", "missing media"},
        BadCase{"aeron:?term-length=4m", "missing media"}, BadCase{"aeron:tcp", "unknown media 'tcp'"},
        BadCase{"aeron:ipc?", "not followed"}, BadCase{"aeron:ipc?=4m", "empty key"},
        BadCase{"aeron:ipc?term-length", "no '=value'"}, BadCase{"aeron:ipc?term-length=", "empty value"},
        BadCase{"aeron:ipc?term-length=4m|", "empty parameter"},
        BadCase{"aeron:ipc?alias=a||term-length=4m", "empty parameter"},
        BadCase{"aeron:ipc?te rm=1", "invalid character"}, BadCase{"aeron:ipc?alias=a b", "invalid character"},
        BadCase{"aeron:ipc?alias=a|alias=b", "duplicate key"}, BadCase{"aeron:ipc?term-length=3m", "power of two"},
        BadCase{"aeron:ipc?term-length=32k", "power of two from 64k to 1g"},
        BadCase{"aeron:ipc?term-length=2g", "power of two"}, BadCase{"aeron:ipc?term-length=4x", "not a number"},
        BadCase{"aeron:ipc?term-length=m", "no digits"},
        BadCase{"aeron:ipc?term-length=99999999999999999999", "not a number"}, BadCase{"aeron:udp", "needs endpoint"},
        BadCase{"aeron:udp?mtu=1408", "needs endpoint"}, BadCase{"aeron:udp?endpoint=localhost", "expected host:port"},
        BadCase{"aeron:udp?endpoint=:40000", "empty host"}, BadCase{"aeron:udp?endpoint=host:", "empty port"},
        BadCase{"aeron:udp?endpoint=host:70000", "0..65535"}, BadCase{"aeron:udp?endpoint=host:12ab", "0..65535"},
        BadCase{"aeron:udp?endpoint=::1:40000", "[address]:port"},
        BadCase{"aeron:udp?endpoint=[::1:40000", "missing ']'"},
        BadCase{"aeron:udp?endpoint=127.0.0.1:1|mtu=1000", "multiple of 32"},
        BadCase{"aeron:udp?endpoint=127.0.0.1:1|mtu=128k", "multiple of 32 from 64 to 65504"},
        BadCase{"aeron:ipc?session-id=abc", "bad session-id"}, BadCase{"aeron:ipc?so-rcvbuf=0", "bad so-rcvbuf"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) {
        std::string name = std::to_string(param_info.index) + "_";
        for (const char* c = param_info.param.uri; *c != '\0'; ++c) {
            const bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
            name += alnum ? *c : '_';
        }
        return name;
    });

TEST(ChannelUri, SpyPrefixIsUnsupported) {
    auto uri = ChannelUri::parse("aeron-spy:aeron:ipc");
    ASSERT_FALSE(uri);
    EXPECT_EQ(uri.error().code, ErrorCode::Unsupported);
}

TEST(ParseSize, SuffixesAndOverflow) {
    EXPECT_EQ(*parse_size("0"), 0U);
    EXPECT_EQ(*parse_size("1k"), 1024U);
    EXPECT_EQ(*parse_size("3M"), 3U * 1024U * 1024U);
    EXPECT_EQ(*parse_size("2g"), 2ULL << 30U);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("k"));
    EXPECT_FALSE(parse_size("-1"));
    EXPECT_FALSE(parse_size("1kb"));
    EXPECT_FALSE(parse_size("99999999999999999999g"));
    EXPECT_FALSE(parse_size("18014398509481984g")); // 2^54 * 2^30 overflows
}

} // namespace
} // namespace tp::transport
