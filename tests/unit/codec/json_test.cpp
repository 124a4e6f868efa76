// SPDX-License-Identifier: Apache-2.0
// JSON reflection conventions and input errors.
#include "codec/message_json.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace tp::codec::test {
namespace {

auto parse(const char* text) -> Json {
    return Json::parse(text, nullptr, false);
}

TEST(Json, DecodeFollowsTheConventions) {
    std::array<std::uint8_t, 64> buf{};
    driver::ShmAttachRequest req;
    req.wrap_and_apply_header(buf.data(), 0, buf.size())
        .clear()
        .correlation_id(-5)
        .stream_id(10000)
        .role(driver::Role::CONSUMER)
        .require_hugepages_raw(77);
    const auto doc = message_to_json({buf.data(), req.frame_length()});
    ASSERT_TRUE(doc.has_value()) << doc.error().message;
    EXPECT_EQ((*doc)["schema"], "driver");
    EXPECT_EQ((*doc)["message"], "ShmAttachRequest");
    EXPECT_EQ((*doc)["encodedLength"], req.frame_length());
    const Json& f = (*doc)["fields"];
    EXPECT_EQ(f["correlationId"], "-5");  // i64 as a decimal string
    EXPECT_EQ(f["streamId"], 10000);      // u32 as a number
    EXPECT_EQ(f["role"], "CONSUMER");     // enum by name
    EXPECT_EQ(f["publishMode"], nullptr); // optional u8 enum at 255
    EXPECT_EQ(f["requireHugepages"], 77); // unknown enum value as its number
    EXPECT_EQ(f["desiredNodeId"], nullptr);
    std::vector<std::string> keys;
    for (const auto& item : f.items()) {
        keys.push_back(item.key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"correlationId", "streamId", "clientId", "role", "expectedLayoutVersion",
                                              "publishMode", "requireHugepages", "desiredNodeId"}));
}

TEST(Json, VarDataAsTextOrHex) {
    std::vector<std::uint8_t> buf(256);
    const std::array<std::uint8_t, 3> payload{0x00, 0xAB, 0xFF};
    service::EventMessage ev;
    ev.wrap_and_apply_header(buf.data(), 0, buf.size()).clear().format(service::Format::BYTES);
    ev.put_tag("service:recorder").put_key("k\xC3").put_value(payload);
    ASSERT_TRUE(ev.ok());
    const auto doc = message_to_json({buf.data(), ev.frame_length()});
    ASSERT_TRUE(doc.has_value());
    const Json& f = (*doc)["fields"];
    EXPECT_EQ(f["tag"], "service:recorder");
    EXPECT_EQ(f["key"], "k\xEF\xBF\xBD"); // non-ASCII byte replaced, the document stays valid UTF-8
    EXPECT_EQ(f["value"], "00abff");
    EXPECT_EQ(f["pad"], Json::parse("[0,0,0]"));
    EXPECT_EQ(f["timestampNs"], "0");
}

TEST(Json, EncodeReportsBadInput) {
    const MessageType* type = find_message_type("control", "FrameDescriptor");
    ASSERT_NE(type, nullptr);
    std::vector<std::uint8_t> buf(64);
    const Json good = parse(R"({"streamId": 1, "epoch": "2", "seq": 3, "timestampNs": null, "metaVersion": null,
                               "traceId": "18446744073709551615"})");
    const auto ok = encode_from_json(*type, good, buf, true);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(*ok, 48U);
    control::FrameDescriptor d;
    d.wrap_for_decode_with_header(buf.data(), 0, 48);
    EXPECT_TRUE(d.timestamp_ns_is_null());
    EXPECT_EQ(d.trace_id(), UINT64_MAX);
    EXPECT_EQ(d.seq(), 3U); // numbers are accepted for u64 too

    const char* bad[] = {
        R"({"epoch": "2", "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0})", // missing
        R"({"streamId": 1, "epoch": "2", "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0, "x": 1})",
        R"({"streamId": -1, "epoch": "2", "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0})",
        R"({"streamId": 4294967296, "epoch": "2", "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0})",
        R"({"streamId": 1, "epoch": "2x", "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0})",
        R"({"streamId": 1, "epoch": null, "seq": 3, "timestampNs": null, "metaVersion": null, "traceId": 0})",
        R"([1, 2])",
    };
    for (const char* text : bad) {
        const auto r = encode_from_json(*type, parse(text), buf, true);
        EXPECT_FALSE(r.has_value()) << text;
    }
    EXPECT_FALSE(encode_from_json(*type, good, std::span<std::uint8_t>(buf.data(), 47), true).has_value());
}

TEST(Json, EncodeEnumsGroupsAndHex) {
    const MessageType* type = find_message_type("bridge", "BridgeFrameChunk");
    ASSERT_NE(type, nullptr);
    std::vector<std::uint8_t> buf(256);
    Json fields = parse(R"({"streamId": 1, "epoch": "1", "seq": "1", "traceId": null, "chunkIndex": 0,
        "chunkCount": 1, "chunkOffset": 0, "chunkLength": 2, "payloadLength": 2, "payloadCrc32c": 0,
        "headerIncluded": "FALSE", "headerBytes": "", "payloadBytes": "0aFf"})");
    ASSERT_TRUE(encode_from_json(*type, fields, buf, true).has_value());
    fields["payloadBytes"] = "0af";
    EXPECT_FALSE(encode_from_json(*type, fields, buf, true).has_value());
    fields["payloadBytes"] = "zz";
    EXPECT_FALSE(encode_from_json(*type, fields, buf, true).has_value());
    fields["payloadBytes"] = "";
    fields["headerIncluded"] = "MAYBE";
    EXPECT_FALSE(encode_from_json(*type, fields, buf, true).has_value());
    fields["headerIncluded"] = 1;
    EXPECT_TRUE(encode_from_json(*type, fields, buf, true).has_value());

    const MessageType* tl = find_message_type(904, 1);
    ASSERT_NE(tl, nullptr);
    const Json set = parse(R"({"streamId": 1, "epoch": "1", "seq": "1", "traceId": "5",
                              "parents": [{"traceId": "1"}, {"traceId": "2"}]})");
    const auto n = encode_from_json(*tl, set, buf, true);
    ASSERT_TRUE(n.has_value());
    const auto doc = message_to_json({buf.data(), *n});
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["fields"], set);
    Json wrong = set;
    wrong["parents"] = Json::object();
    EXPECT_FALSE(encode_from_json(*tl, wrong, buf, true).has_value());
}

TEST(Json, MessageToJsonRejectsWhatDispatchDrops) {
    std::array<std::uint8_t, 48> buf{};
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(buf.data(), 0, buf.size());
    EXPECT_TRUE(message_to_json(buf).has_value());
    EXPECT_FALSE(message_to_json({buf.data(), 47}).has_value());
    buf[4] = 0; // schema id 768
    EXPECT_FALSE(message_to_json(buf).has_value());
}

} // namespace
} // namespace tp::codec::test
