// SPDX-License-Identifier: Apache-2.0
// The generated flyweight API on hand-checked bytes: layouts, null sentinels, enums, constants,
// arrays, nested groups, §3 tags, acting block lengths and every bounds failure.
#include "tensorpool/codec/bridge.hpp"
#include "tensorpool/codec/control.hpp"
#include "tensorpool/codec/discovery.hpp"
#include "tensorpool/codec/driver.hpp"
#include "tensorpool/codec/merge.hpp"
#include "tensorpool/codec/service.hpp"
#include "tensorpool/codec/tracelink.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

namespace tp::codec::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename T>
void put_le(Bytes& b, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        b.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
    }
}

void put_header(Bytes& b, std::uint16_t block_length, std::uint16_t template_id, std::uint16_t schema_id,
                std::uint16_t version = 1) {
    put_le(b, block_length);
    put_le(b, template_id);
    put_le(b, schema_id);
    put_le(b, version);
}

void put_text(Bytes& b, std::string_view s) {
    put_le(b, static_cast<std::uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
}

constexpr std::uint64_t U64_MAX = std::numeric_limits<std::uint64_t>::max();

// ---- layouts ----------------------------------------------------------------------------------

TEST(Layout, MatchesTheSchemasAndSpecDecisions) {
    static_assert(control::FrameDescriptor::SBE_BLOCK_LENGTH == 40);
    static_assert(control::FrameDescriptor::epoch_encoding_offset() == 4); // D-09: unaligned
    static_assert(control::FrameDescriptor::trace_id_encoding_offset() == 32);
    static_assert(control::ShmRegionSuperblock::SBE_BLOCK_LENGTH == 64);
    static_assert(control::ShmRegionSuperblock::epoch_encoding_offset() == 12);
    static_assert(control::ShmRegionSuperblock::activity_timestamp_ns_encoding_offset() == 56);
    static_assert(control::SlotHeader::SBE_BLOCK_LENGTH == 60);
    static_assert(control::SlotHeader::payload_offset_encoding_offset() == 18);
    static_assert(control::SlotHeader::timestamp_ns_encoding_offset() == 22);
    static_assert(control::SlotHeader::meta_version_encoding_offset() == 30);
    static_assert(control::SlotHeader::pad_encoding_offset() == 34 && control::SlotHeader::pad_length() == 26);
    static_assert(control::TensorHeader::SBE_BLOCK_LENGTH == 184);
    static_assert(control::TensorHeader::progress_stride_bytes_encoding_offset() == 7);
    static_assert(control::TensorHeader::dims_encoding_offset() == 11);
    static_assert(control::TensorHeader::strides_encoding_offset() == 43);
    static_assert(control::TensorHeader::pad_encoding_offset() == 75 && control::TensorHeader::pad_length() == 109);
    static_assert(control::TensorHeader::max_dims() == 8 && control::TensorHeader::max_dims_encoding_length() == 0);
    static_assert(control::SlotHeader::SBE_HEADERLESS && control::ShmRegionSuperblock::SBE_HEADERLESS);
    static_assert(!control::TensorHeader::SBE_HEADERLESS);
    static_assert(bridge::BridgeFrameChunk::trace_id_encoding_offset() == 20);
    static_assert(bridge::BridgeFrameChunk::header_bytes_max_length() == 256);
    static_assert(discovery::DiscoveryRequest::SBE_BLOCK_LENGTH == 32);
    static_assert(discovery::DiscoveryResponse::Results::SBE_BLOCK_LENGTH == 39);
    static_assert(discovery::DiscoveryRequest::Tags::SBE_BLOCK_LENGTH == 0);
    static_assert(control::DataSourceMeta::Attributes::SBE_BLOCK_LENGTH == 0);
    // D-62: EventMessage.
    static_assert(service::SCHEMA_ID == 905 && service::EventMessage::SBE_TEMPLATE_ID == 1);
    static_assert(service::EventMessage::format_encoding_offset() == 16);
    static_assert(service::EventMessage::pad_encoding_offset() == 17 && service::EventMessage::pad_length() == 3);
    static_assert(service::EventMessage::ref_stream_id_encoding_offset() == 20);
    static_assert(service::EventMessage::ref_epoch_encoding_offset() == 24);
    static_assert(service::EventMessage::ref_seq_encoding_offset() == 32);
    static_assert(service::EventMessage::SBE_BLOCK_LENGTH == 40);
    SUCCEED();
}

// ---- fields, nulls, enums ---------------------------------------------------------------------

TEST(FrameDescriptor, EncodesTheExpectedBytes) {
    std::array<std::uint8_t, 64> buf{};
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(buf.data(), 0, buf.size())
        .stream_id(10000)
        .epoch(3)
        .seq(5)
        .timestamp_ns_opt(std::nullopt)
        .meta_version(1)
        .trace_id(0x0123456789ABCDEFULL);
    ASSERT_TRUE(fd.ok());
    EXPECT_EQ(fd.encoded_length(), 40U);
    EXPECT_EQ(fd.frame_length(), 48U);
    Bytes expected;
    put_header(expected, 40, 4, 900);
    put_le<std::uint32_t>(expected, 10000);
    put_le<std::uint64_t>(expected, 3);
    put_le<std::uint64_t>(expected, 5);
    put_le<std::uint64_t>(expected, U64_MAX);
    put_le<std::uint32_t>(expected, 1);
    put_le<std::uint64_t>(expected, 0x0123456789ABCDEFULL);
    EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 48), expected);
}

TEST(FrameDescriptor, TraceIdNullIsZeroNotAllOnes) {
    // D-05: traceId's nullValue is 0; all ones is a real id.
    static_assert(control::FrameDescriptor::trace_id_null_value() == 0);
    static_assert(control::FrameDescriptor::timestamp_ns_null_value() == U64_MAX);
    std::array<std::uint8_t, 48> buf{};
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(buf.data(), 0, buf.size()).clear();
    EXPECT_TRUE(fd.trace_id_is_null());
    EXPECT_TRUE(fd.timestamp_ns_is_null());
    EXPECT_TRUE(fd.meta_version_is_null());
    EXPECT_EQ(fd.trace_id(), 0U);
    fd.trace_id(U64_MAX);
    EXPECT_FALSE(fd.trace_id_is_null());
    EXPECT_EQ(fd.trace_id_opt(), std::optional<std::uint64_t>(U64_MAX));
    fd.trace_id_opt(std::nullopt);
    EXPECT_EQ(fd.trace_id(), 0U);
    EXPECT_EQ(fd.trace_id_opt(), std::nullopt);
}

TEST(Enums, KnownUnknownNamesAndRawValues) {
    EXPECT_TRUE(is_known(control::Mode::STREAM));
    EXPECT_FALSE(is_known(control::Mode::NULL_VALUE));
    EXPECT_FALSE(is_known(static_cast<control::Mode>(7)));
    EXPECT_EQ(to_string(control::Dtype::FLOAT32), "FLOAT32");
    EXPECT_EQ(to_string(static_cast<control::Dtype>(12)), ""); // 12 is unassigned
    control::ClockDomain d{};
    EXPECT_TRUE(from_string("REALTIME_SYNCED", d));
    EXPECT_EQ(d, control::ClockDomain::REALTIME_SYNCED);
    EXPECT_FALSE(from_string("realtime_synced", d));
    static_assert(static_cast<std::int8_t>(service::Format::NULL_VALUE) == std::numeric_limits<std::int8_t>::min());
    static_assert(static_cast<std::int32_t>(control::ResponseCode::NULL_VALUE) ==
                  std::numeric_limits<std::int32_t>::min());

    std::array<std::uint8_t, 64> buf{};
    driver::ShmAttachRequest req;
    req.wrap_and_apply_header(buf.data(), 0, buf.size()).clear().role_raw(9);
    EXPECT_TRUE(req.publish_mode_is_null()); // optional u8 enum: 255
    EXPECT_EQ(req.publish_mode(), driver::PublishMode::NULL_VALUE);
    EXPECT_FALSE(is_known(req.role()));
    EXPECT_EQ(req.role_raw(), 9);
    req.publish_mode(driver::PublishMode::EXISTING_OR_CREATE);
    EXPECT_FALSE(req.publish_mode_is_null());
    EXPECT_EQ(buf[8 + driver::ShmAttachRequest::publish_mode_encoding_offset()], 2);
}

TEST(Merge, SignedOptionalsUseTheTypeMinimumAsNull) {
    static_assert(merge::SequenceMergeMapAnnounce::Rules::offset_null_value() ==
                  std::numeric_limits<std::int32_t>::min());
    static_assert(merge::TimestampMergeMapAnnounce::Rules::offset_ns_null_value() ==
                  std::numeric_limits<std::int64_t>::min());
    std::array<std::uint8_t, 128> buf{};
    merge::SequenceMergeMapAnnounce m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size()).clear();
    auto& rules = m.rules_count(2);
    rules.next().clear().input_stream_id(1).offset(-1);
    rules.next().clear().input_stream_id(2);
    ASSERT_TRUE(m.ok());
    merge::SequenceMergeMapAnnounce d;
    d.wrap_for_decode_with_header(buf.data(), 0, m.frame_length());
    EXPECT_TRUE(d.stale_timeout_ns_is_null());
    auto& r = d.rules();
    ASSERT_EQ(r.count(), 2U);
    EXPECT_EQ(r.next().offset_opt(), std::optional<std::int32_t>(-1));
    EXPECT_TRUE(r.next().offset_is_null());
    EXPECT_TRUE(r.window_size_is_null());
    EXPECT_TRUE(d.ok());
    EXPECT_EQ(d.frame_length(), m.frame_length());
}

TEST(TensorHeader, ArraysConstantsAndPad) {
    std::array<std::uint8_t, 192> buf{};
    buf.fill(0xEE);
    control::TensorHeader th;
    th.wrap_and_apply_header(buf.data(), 0, buf.size()).clear().ndims(2).dims(0, 480).dims(1, 640).dims(8, 1);
    th.strides(0, 640).strides(1, 1);
    ASSERT_TRUE(th.ok());
    EXPECT_EQ(th.dims(0), 480);
    EXPECT_EQ(th.dims(8), 0); // out of range reads 0, writes are ignored
    EXPECT_EQ(th.pad_bytes().size(), 109U);
    for (const std::uint8_t b : th.pad_bytes()) {
        EXPECT_EQ(b, 0); // clear() zeroes the pad
    }
    std::int32_t d1 = 0;
    std::memcpy(&d1, buf.data() + 8 + 11 + 4, 4); // dims[1] at slot+87: unaligned
    EXPECT_EQ(d1, 640);
    EXPECT_EQ(th.frame_length(), 192U);
}

// ---- headers and wraps ------------------------------------------------------------------------

TEST(Wrap, HeaderChecksOnDecode) {
    std::array<std::uint8_t, 48> buf{};
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(buf.data(), 0, buf.size()).stream_id(1);
    control::FrameDescriptor d;
    EXPECT_EQ(d.wrap_for_decode_with_header(buf.data(), 0, 7).error(), CodecError::ShortHeader);
    control::FrameProgress wrong_template;
    EXPECT_EQ(wrong_template.wrap_for_decode_with_header(buf.data(), 0, buf.size()).error(), CodecError::WrongTemplate);
    driver::ShmAttachRequest wrong_schema;
    EXPECT_EQ(wrong_schema.wrap_for_decode_with_header(buf.data(), 0, buf.size()).error(), CodecError::WrongSchema);
    buf[6] = 2; // version 2
    EXPECT_EQ(d.wrap_for_decode_with_header(buf.data(), 0, buf.size()).error(), CodecError::UnsupportedVersion);
    EXPECT_EQ(d.stream_id(), 0U); // a failed wrap reads nothing
    buf[6] = 1;
    EXPECT_EQ(d.wrap_for_decode(buf.data(), 8, 39, 1, buf.size()).error(), CodecError::BlockTooShort);
    EXPECT_EQ(d.wrap_for_decode(buf.data(), 8, 40, 1, 47).error(), CodecError::BlockPastEnd);
    EXPECT_TRUE(d.wrap_for_decode(buf.data(), 8, 40, 1, 48).ok());
    EXPECT_EQ(d.stream_id(), 1U);
}

TEST(Wrap, LargerActingBlockLengthIsHonoured) {
    // A sender with a longer block (e.g. a newer minor layout): fields at their offsets, the extra
    // bytes skipped, groups and var data found after the acting block.
    Bytes b;
    put_header(b, 35 + 6, 1, 900);
    put_le<std::uint32_t>(b, 10000);                         // streamId
    put_le<std::uint32_t>(b, 7);                             // producerId
    put_le<std::uint64_t>(b, 3);                             // epoch
    put_le<std::uint64_t>(b, 99);                            // announceTimestampNs
    b.push_back(1);                                          // announceClockDomain
    put_le<std::uint32_t>(b, 1);                             // layoutVersion
    put_le<std::uint32_t>(b, 1024);                          // headerNslots
    put_le<std::uint16_t>(b, 256);                           // headerSlotBytes
    b.insert(b.end(), {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}); // unknown extension
    put_le<std::uint16_t>(b, 10 + 2);                        // group blockLength: 2 extra bytes
    put_le<std::uint16_t>(b, 1);
    put_le<std::uint16_t>(b, 1);    // poolId
    put_le<std::uint32_t>(b, 64);   // poolNslots
    put_le<std::uint32_t>(b, 4096); // strideBytes
    b.insert(b.end(), {0xBB, 0xBB});
    put_text(b, "pool-uri");
    put_text(b, "header-uri");
    control::ShmPoolAnnounce a;
    a.wrap_for_decode_with_header(b.data(), 0, b.size());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.acting_block_length(), 41U);
    EXPECT_EQ(a.header_slot_bytes(), 256);
    auto& pools = a.payload_pools();
    ASSERT_EQ(pools.count(), 1U);
    EXPECT_EQ(pools.acting_block_length(), 12U);
    auto& p = pools.next();
    EXPECT_EQ(p.stride_bytes(), 4096U);
    EXPECT_EQ(p.region_uri(), "pool-uri");
    EXPECT_EQ(a.header_region_uri(), "header-uri");
    EXPECT_TRUE(a.ok());
    EXPECT_EQ(a.frame_length(), b.size());
}

TEST(Wrap, EncodeNeverWritesPastTheLength) {
    std::array<std::uint8_t, 96> buf{};
    buf.fill(0x5A);
    control::ConsumerConfig c;
    c.wrap_and_apply_header(buf.data(), 0, 40).stream_id(1); // header 8 + block 18 fits, var data does not
    ASSERT_TRUE(c.ok());
    c.put_payload_fallback_uri("0123456789").put_descriptor_channel("x").put_control_channel("y");
    EXPECT_EQ(c.error(), CodecError::VarDataPastEnd);
    for (std::size_t i = 40; i < buf.size(); ++i) {
        ASSERT_EQ(buf[i], 0x5A) << i;
    }
    buf.fill(0x5A);
    control::TensorHeader th;
    th.wrap_and_apply_header(buf.data(), 0, buf.size()); // 96 < 192
    EXPECT_EQ(th.error(), CodecError::BlockPastEnd);
    th.ndims(3).dims(0, 5).put_pad({});
    for (const std::uint8_t b : buf) {
        ASSERT_EQ(b, 0x5A); // a failed wrap writes nothing, not even the header
    }
}

TEST(VarData, MaxLengthIsEnforcedBothWays) {
    std::vector<std::uint8_t> buf(1024);
    std::vector<std::uint8_t> too_long(257, 1);
    bridge::BridgeFrameChunk c;
    c.wrap_and_apply_header(buf.data(), 0, buf.size()).put_header_bytes(too_long);
    EXPECT_EQ(c.error(), CodecError::VarDataTooLong);
    c.wrap_and_apply_header(buf.data(), 0, buf.size()).put_header_bytes({too_long.data(), 256}).put_payload_bytes({});
    ASSERT_TRUE(c.ok());
    const std::size_t n = c.frame_length();
    buf[8 + 53] = 1; // headerBytes length 257 (0x0101)
    buf[8 + 54] = 1;
    bridge::BridgeFrameChunk d;
    d.wrap_for_decode_with_header(buf.data(), 0, n);
    EXPECT_TRUE(d.header_bytes().empty());
    EXPECT_EQ(d.error(), CodecError::VarDataTooLong);
}

TEST(VarData, ClaimFillsInPlace) {
    // SlotHeader.headerBytes holds an embedded TensorHeader, encoded straight into the slot.
    std::array<std::uint8_t, 256> slot{};
    control::SlotHeader sh;
    sh.wrap_for_encode(slot.data(), 0, slot.size()).clear().seq_commit(11);
    const std::span<std::uint8_t> hb = sh.claim_header_bytes(192);
    ASSERT_EQ(hb.size(), 192U);
    control::TensorHeader th;
    th.wrap_and_apply_header(hb.data(), 0, hb.size()).clear().ndims(1).dims(0, 7);
    ASSERT_TRUE(th.ok() && sh.ok());
    EXPECT_EQ(sh.encoded_length(), 256U);

    control::SlotHeader rd;
    rd.wrap_for_decode(slot.data(), 0, control::SlotHeader::SBE_BLOCK_LENGTH, 1, slot.size());
    EXPECT_EQ(rd.header_bytes_length(), 192U);
    const auto bytes = rd.header_bytes();
    control::TensorHeader rth;
    rth.wrap_for_decode_with_header(bytes.data(), 0, bytes.size());
    ASSERT_TRUE(rth.ok());
    EXPECT_EQ(rth.dims(0), 7);
}

// ---- groups -----------------------------------------------------------------------------------

TEST(Groups, NestedGroupsRoundTrip) {
    std::vector<std::uint8_t> buf(2048);
    discovery::DiscoveryResponse r;
    r.wrap_and_apply_header(buf.data(), 0, buf.size()).request_id(42).status(discovery::DiscoveryStatus::OK);
    auto& results = r.results_count(2);
    for (std::uint32_t i = 0; i < 2; ++i) {
        auto& e = results.next().clear().stream_id(10000 + i).max_dims(8);
        auto& pools = e.payload_pools_count(i * 2);
        for (std::uint16_t p = 0; p < i * 2; ++p) {
            pools.next()
                .pool_id(static_cast<std::uint16_t>(p + 1))
                .pool_nslots(64)
                .stride_bytes(4096)
                .put_region_uri("uri");
        }
        auto& tags = e.tags_count(i + 1);
        for (std::uint32_t t = 0; t <= i; ++t) {
            tags.next().put_tag(t == 0 ? "cam" : "rgb");
        }
        e.put_header_region_uri("h").put_data_source_name("").put_driver_instance_id("driver-01");
        e.put_driver_control_channel("aeron:ipc");
    }
    r.put_error_message("");
    ASSERT_TRUE(r.ok()) << to_string(r.error());

    discovery::DiscoveryResponse d;
    d.wrap_for_decode_with_header(buf.data(), 0, r.frame_length());
    EXPECT_EQ(d.request_id(), 42U);
    auto& rs = d.results();
    ASSERT_EQ(rs.count(), 2U);
    for (std::uint32_t i = 0; i < 2; ++i) {
        auto& e = rs.next();
        EXPECT_EQ(e.stream_id(), 10000 + i);
        EXPECT_TRUE(e.data_source_id_is_null());
        auto& pools = e.payload_pools();
        EXPECT_EQ(pools.count(), i * 2);
        while (pools.has_next()) {
            EXPECT_EQ(pools.next().region_uri(), "uri");
        }
        auto& tags = e.tags();
        EXPECT_EQ(tags.count(), i + 1);
        std::vector<std::string_view> got;
        while (tags.has_next()) {
            got.push_back(tags.next().tag());
        }
        EXPECT_EQ(got.front(), "cam");
        EXPECT_EQ(e.header_region_uri(), "h");
        EXPECT_EQ(e.data_source_name(), "");
        EXPECT_EQ(e.driver_instance_id(), "driver-01");
        EXPECT_EQ(e.driver_control_channel(), "aeron:ipc");
    }
    EXPECT_EQ(d.error_message(), "");
    EXPECT_TRUE(d.ok());
    EXPECT_EQ(d.frame_length(), r.frame_length());
}

TEST(Groups, OverrunCountAndBlockLengthFailures) {
    std::vector<std::uint8_t> buf(256);
    control::ShmPoolAnnounce a;
    a.wrap_and_apply_header(buf.data(), 0, buf.size());
    auto& g = a.payload_pools_count(1);
    g.next();
    g.next();
    EXPECT_EQ(a.error(), CodecError::GroupOverrun);

    std::vector<std::uint8_t> big(70000);
    control::DataSourceMeta m;
    m.wrap_and_apply_header(big.data(), 0, big.size()).attributes_count(65536);
    EXPECT_EQ(m.error(), CodecError::GroupCountTooLarge);

    // A group header whose blockLength is below the schema's entry block.
    Bytes b;
    put_header(b, 28, 1, 904);
    put_le<std::uint32_t>(b, 1);
    put_le<std::uint64_t>(b, 2);
    put_le<std::uint64_t>(b, 3);
    put_le<std::uint64_t>(b, 4);
    put_le<std::uint16_t>(b, 7); // parents entries are 8 bytes
    put_le<std::uint16_t>(b, 1);
    put_le<std::uint64_t>(b, 5);
    tracelink::TraceLinkSet t;
    t.wrap_for_decode_with_header(b.data(), 0, b.size());
    EXPECT_FALSE(t.skip());
    EXPECT_EQ(t.error(), CodecError::GroupBlockLength);
    b[8 + 28] = 8;
    b[8 + 28 + 2] = 2; // two entries claimed, one present
    t.wrap_for_decode_with_header(b.data(), 0, b.size());
    EXPECT_FALSE(t.skip());
    EXPECT_EQ(t.error(), CodecError::GroupPastEnd);
    b[8 + 28 + 2] = 1;
    t.wrap_for_decode_with_header(b.data(), 0, b.size());
    EXPECT_TRUE(t.skip());
}

// ---- SPEC_DECISIONS §3 tags -------------------------------------------------------------------

auto tags_request(std::uint16_t group_block_length) -> Bytes {
    Bytes b;
    put_header(b, 32, 1, 910);
    put_le<std::uint64_t>(b, 1);
    put_le<std::uint32_t>(b, 2);
    put_le<std::uint32_t>(b, 7004);
    put_le<std::uint32_t>(b, 0xFFFFFFFFU);
    put_le<std::uint32_t>(b, 0xFFFFFFFFU);
    put_le<std::uint64_t>(b, U64_MAX);
    put_le<std::uint16_t>(b, group_block_length);
    put_le<std::uint16_t>(b, 2);
    put_text(b, "cam");
    put_text(b, "rgb");
    put_text(b, "aeron:ipc");
    put_text(b, "");
    return b;
}

TEST(Tags, EncodeAsSection3) {
    std::vector<std::uint8_t> buf(128);
    discovery::DiscoveryRequest r;
    r.wrap_and_apply_header(buf.data(), 0, buf.size()).clear().request_id(1).client_id(2).response_stream_id(7004);
    auto& tags = r.tags_count(2);
    tags.next().put_tag("cam");
    tags.next().put_tag("rgb");
    r.put_response_channel("aeron:ipc").put_data_source_name("");
    ASSERT_TRUE(r.ok());
    // Section 3's example bytes at message offset 40.
    const Bytes group{0x00, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x63,
                      0x61, 0x6D, 0x03, 0x00, 0x00, 0x00, 0x72, 0x67, 0x62};
    EXPECT_EQ(Bytes(buf.begin() + 40, buf.begin() + 40 + static_cast<std::ptrdiff_t>(group.size())), group);
    EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.frame_length())), tags_request(0));
}

TEST(Tags, DecodeAcceptsBlockLengthZeroAndFourOnly) {
    for (std::uint16_t bl = 0; bl <= 16; ++bl) {
        const Bytes b = tags_request(bl);
        discovery::DiscoveryRequest d;
        d.wrap_for_decode_with_header(b.data(), 0, b.size());
        auto& tags = d.tags();
        std::vector<std::string_view> got;
        while (tags.has_next()) {
            got.push_back(tags.next().tag());
        }
        const std::string_view channel = d.response_channel();
        d.skip_data_source_name();
        if (bl == 0 || bl == 4) {
            ASSERT_TRUE(d.ok()) << bl;
            EXPECT_EQ(got, (std::vector<std::string_view>{"cam", "rgb"}));
            EXPECT_EQ(channel, "aeron:ipc");
            EXPECT_EQ(d.frame_length(), b.size());
        } else {
            EXPECT_EQ(d.error(), CodecError::GroupBlockLength) << bl;
            EXPECT_TRUE(got.empty());
        }
    }
}

TEST(Composite, MessageHeaderFlyweight) {
    std::array<std::uint8_t, 48> buf{};
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(buf.data(), 0, buf.size());
    control::MessageHeader h;
    ASSERT_TRUE(h.wrap(static_cast<const void*>(buf.data()), 0, buf.size()));
    EXPECT_EQ(h.block_length(), 40);
    EXPECT_EQ(h.template_id(), 4);
    EXPECT_EQ(h.schema_id(), 900);
    EXPECT_EQ(h.version(), 1);
    EXPECT_FALSE(h.wrap(static_cast<const void*>(buf.data()), 44, buf.size()));
    EXPECT_EQ(h.schema_id(), 0);
}

} // namespace
} // namespace tp::codec::test
