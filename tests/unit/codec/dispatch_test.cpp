// SPDX-License-Identifier: Apache-2.0
// The dispatcher (SPEC_DECISIONS §2): every drop reason is counted, schema before template,
// only well-formed messages reach handlers, and handlers receive freshly wrapped decoders.
#include "codec/dispatch.hpp"
#include "codec_test_util.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace tp::codec::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

auto frame_descriptor(std::uint32_t stream_id) -> Bytes {
    Bytes b(48);
    control::FrameDescriptor fd;
    fd.wrap_and_apply_header(b.data(), 0, b.size()).clear().stream_id(stream_id).epoch(3).seq(9);
    return b;
}

void set_u16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v & 0xFF);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

struct Recorder {
    int frames = 0;
    int attaches = 0;
    int tags = 0;
    std::uint32_t last_stream = 0;
    std::uint64_t last_seq = 0;
    void operator()(control::FrameDescriptor& m) {
        ++frames;
        last_stream = m.stream_id();
        last_seq = m.seq();
    }
    void operator()(driver::ShmAttachRequest& m) {
        ++attaches;
        last_stream = m.stream_id();
    }
    void operator()(discovery::DiscoveryRequest& m) {
        auto& g = m.tags();
        while (g.has_next()) {
            if (!g.next().tag().empty()) {
                ++tags;
            }
        }
    }
};

TEST(Dispatch, DeliversToTheMatchingOverload) {
    Recorder rec;
    Dispatcher<Recorder> dispatcher(rec);
    const Bytes fd = frame_descriptor(10000);
    const DispatchOutcome out = dispatcher.on_message(fd);
    EXPECT_EQ(out.result, DispatchResult::Delivered);
    ASSERT_NE(out.type, nullptr);
    EXPECT_EQ(out.type->name, "FrameDescriptor");
    EXPECT_EQ(rec.frames, 1);
    EXPECT_EQ(rec.last_stream, 10000U);
    EXPECT_EQ(rec.last_seq, 9U);
    EXPECT_EQ(dispatcher.counters().delivered, 1U);
    EXPECT_EQ(dispatcher.counters().dropped(), 0U);
}

TEST(Dispatch, SchemaIdDecidesBeforeTemplateId) {
    // Template 1 exists in six schemas; the same template id must reach different types.
    Recorder rec;
    DispatchCounters counters;
    for (const MessageType& type : MESSAGE_TYPES) {
        if (type.template_id != 1) {
            continue;
        }
        const auto bytes = encode(type, {samples::SampleKind::Typical, 3});
        EXPECT_NE(dispatch(bytes, rec, counters).result, DispatchResult::Dropped) << type.name;
    }
    EXPECT_EQ(rec.attaches, 1);
    EXPECT_EQ(rec.frames, 0);
    EXPECT_EQ(counters.delivered, 2U); // ShmAttachRequest, DiscoveryRequest
    // ShmPoolAnnounce, BridgeFrameChunk, SequenceMergeMapAnnounce, TraceLinkSet, EventMessage:
    EXPECT_EQ(counters.unhandled, 5U);
}

TEST(Dispatch, CountsEveryDropReason) {
    Recorder rec;
    Dispatcher<Recorder> d(rec);
    const Bytes good = frame_descriptor(1);

    for (std::size_t n = 0; n < 8; ++n) { // §2 step 1
        EXPECT_EQ(d.on_message(good.data(), n).reason, DropReason::TooShort);
    }
    Bytes b = good;
    set_u16(b, 4, 999); // step 2
    EXPECT_EQ(d.on_message(b).reason, DropReason::UnknownSchema);
    b = good;
    set_u16(b, 2, 10); // step 3: reserved template
    EXPECT_EQ(d.on_message(b).reason, DropReason::UnknownTemplate);
    set_u16(b, 2, 51); // SlotHeader is never sent with a header
    EXPECT_EQ(d.on_message(b).reason, DropReason::UnknownTemplate);
    b = good;
    set_u16(b, 6, 2); // step 4
    EXPECT_EQ(d.on_message(b).reason, DropReason::BadVersion);
    b = good;
    set_u16(b, 0, 39); // step 5
    EXPECT_EQ(d.on_message(b).reason, DropReason::BadBlockLength);
    b = good;
    set_u16(b, 0, 41); // step 6: the larger acting block runs past the end
    const DispatchOutcome malformed = d.on_message(b);
    EXPECT_EQ(malformed.reason, DropReason::MalformedBody);
    EXPECT_EQ(malformed.error, CodecError::BlockPastEnd);

    const DispatchCounters& c = d.counters();
    EXPECT_EQ(c.too_short, 8U);
    EXPECT_EQ(c.unknown_schema, 1U);
    EXPECT_EQ(c.unknown_template, 2U);
    EXPECT_EQ(c.bad_version, 1U);
    EXPECT_EQ(c.bad_block_length, 1U);
    EXPECT_EQ(c.malformed_body, 1U);
    EXPECT_EQ(c.dropped(), 14U);
    EXPECT_EQ(c.delivered, 0U);
    EXPECT_EQ(rec.frames, 0);
    d.reset_counters();
    EXPECT_EQ(d.counters().dropped(), 0U);
}

TEST(Dispatch, LargerBlockLengthIsDeliveredWithTheRightFields) {
    Bytes b = frame_descriptor(77);
    b.insert(b.end(), {1, 2, 3, 4});
    set_u16(b, 0, 44);
    Recorder rec;
    DispatchCounters counters;
    EXPECT_EQ(dispatch(b, rec, counters).result, DispatchResult::Delivered);
    EXPECT_EQ(rec.last_stream, 77U);
    EXPECT_EQ(rec.last_seq, 9U);
}

TEST(Dispatch, MalformedGroupsNeverReachTheHandler) {
    const MessageType* type = find_message_type(910, 1);
    ASSERT_NE(type, nullptr);
    auto bytes = encode(*type, {samples::SampleKind::Typical, 1});
    Recorder rec;
    DispatchCounters counters;
    ASSERT_EQ(dispatch(bytes, rec, counters).result, DispatchResult::Delivered);
    const int tags_before = rec.tags;
    set_u16(bytes, 40, 4); // §3: blockLength 4 is accepted
    EXPECT_EQ(dispatch(bytes, rec, counters).result, DispatchResult::Delivered);
    EXPECT_EQ(rec.tags, 2 * tags_before);
    set_u16(bytes, 40, 2); // anything else is dropped
    const DispatchOutcome out = dispatch(bytes, rec, counters);
    EXPECT_EQ(out.reason, DropReason::MalformedBody);
    EXPECT_EQ(out.error, CodecError::GroupBlockLength);
    EXPECT_EQ(rec.tags, 2 * tags_before);
    EXPECT_EQ(counters.malformed_body, 1U);
}

TEST(Dispatch, GenericHandlerSeesEveryType) {
    std::size_t seen = 0;
    auto handler = [&seen](auto& message) {
        EXPECT_TRUE(message.skip());
        ++seen;
    };
    DispatchCounters counters;
    std::size_t sent = 0;
    for (const MessageType& type : MESSAGE_TYPES) {
        if (type.headerless) {
            continue;
        }
        const auto bytes = encode(type, {samples::SampleKind::Extremes, 9});
        EXPECT_EQ(dispatch(bytes, handler, counters).result, DispatchResult::Delivered) << type.name;
        ++sent;
    }
    EXPECT_EQ(seen, sent);
    EXPECT_EQ(counters.delivered, sent);
}

TEST(Dispatch, DescribeNamesMessagesForTools) {
    const Bytes fd = frame_descriptor(1);
    const MessageInfo info = describe_message(fd);
    EXPECT_TRUE(info.has_header);
    EXPECT_EQ(info.header.schema_id, 900);
    EXPECT_EQ(info.header.template_id, 4);
    EXPECT_EQ(info.schema, "control");
    EXPECT_EQ(info.name, "FrameDescriptor");
    Bytes unknown = fd;
    set_u16(unknown, 2, 200);
    EXPECT_EQ(describe_message(unknown).name, "");
    EXPECT_EQ(describe_message(unknown).schema, "control");
    EXPECT_FALSE(describe_message(std::span<const std::uint8_t>(fd.data(), 3)).has_header);
}

} // namespace
} // namespace tp::codec::test
