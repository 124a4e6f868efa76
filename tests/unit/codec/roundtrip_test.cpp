// SPDX-License-Identifier: Apache-2.0
// Every message of every schema: encode a sample, decode it, check every value; copy it through
// transcode and through JSON and get the same bytes; reject every truncation.
#include "codec/dispatch.hpp"
#include "codec/message_json.hpp"
#include "codec_test_util.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace tp::codec::test {
namespace {

using samples::SampleKind;
using samples::SampleSpec;

constexpr SampleSpec SPECS[] = {
    {SampleKind::Typical, 1}, {SampleKind::Typical, 2},  {SampleKind::Typical, 77},
    {SampleKind::Nulls, 1},   {SampleKind::Extremes, 1}, {SampleKind::Extremes, 5},
};

class RoundTrip : public ::testing::TestWithParam<MessageType> {};

TEST_P(RoundTrip, EncodeThenDecodeGivesEveryValueBack) {
    const MessageType& type = GetParam();
    for (const SampleSpec& spec : SPECS) {
        const auto bytes = encode(type, spec);
        ASSERT_FALSE(bytes.empty()) << "sample does not encode";
        EXPECT_TRUE(samples::verify_sample(type, spec, bytes.data(), bytes.size()));
        std::size_t body = 0;
        EXPECT_EQ(validate(type, bytes.data(), bytes.size(), body), CodecError::None);
        EXPECT_EQ(body + (type.headerless ? 0 : MESSAGE_HEADER_LENGTH), bytes.size());
    }
}

TEST_P(RoundTrip, VerifyRejectsAnotherSample) {
    // The check is not vacuous: a sample with another seed differs in at least one value.
    const MessageType& type = GetParam();
    const auto bytes = encode(type, {SampleKind::Typical, 1});
    EXPECT_FALSE(samples::verify_sample(type, {SampleKind::Typical, 2}, bytes.data(), bytes.size()));
}

TEST_P(RoundTrip, TranscodeReproducesTheBytes) {
    const MessageType& type = GetParam();
    for (const SampleSpec& spec : SPECS) {
        const auto bytes = encode(type, spec);
        std::vector<std::uint8_t> out(bytes.size() + 64, 0);
        bool ok = false;
        std::size_t written = 0;
        visit_message_type(type.schema_id, type.template_id, [&](auto tag) {
            using M = typename decltype(tag)::type;
            M src;
            M dst;
            if constexpr (M::SBE_HEADERLESS) {
                src.wrap_for_decode(bytes.data(), 0, M::SBE_BLOCK_LENGTH, M::SBE_SCHEMA_VERSION, bytes.size());
                dst.wrap_for_encode(out.data(), 0, out.size());
            } else {
                src.wrap_for_decode_with_header(bytes.data(), 0, bytes.size());
                dst.wrap_and_apply_header(out.data(), 0, out.size());
            }
            ok = transcode(src, dst);
            written = dst.frame_length();
        });
        ASSERT_TRUE(ok);
        ASSERT_EQ(written, bytes.size());
        EXPECT_EQ(std::memcmp(out.data(), bytes.data(), written), 0);
    }
}

TEST_P(RoundTrip, JsonReproducesTheBytes) {
    const MessageType& type = GetParam();
    for (const SampleSpec& spec : SPECS) {
        const auto bytes = encode(type, spec);
        Json fields;
        std::size_t body = 0;
        const std::size_t offset = type.headerless ? 0 : MESSAGE_HEADER_LENGTH;
        ASSERT_EQ(body_to_json(type, bytes, offset, type.block_length, type.schema_version, fields, body),
                  CodecError::None);
        std::vector<std::uint8_t> out(bytes.size() + 64, 0);
        const auto written = encode_from_json(type, fields, out, !type.headerless);
        ASSERT_TRUE(written.has_value()) << written.error().message;
        ASSERT_EQ(*written, bytes.size());
        EXPECT_EQ(std::memcmp(out.data(), bytes.data(), bytes.size()), 0) << fields.dump();
    }
}

TEST_P(RoundTrip, EveryTruncationIsRejectedWithoutReadingPastTheEnd) {
    const MessageType& type = GetParam();
    for (const SampleSpec& spec : SPECS) {
        const auto bytes = encode(type, spec);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            // An exactly sized heap copy, so sanitizer builds catch any read past `n`.
            const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[n == 0 ? 1 : n]);
            std::memcpy(copy.get(), bytes.data(), n);
            std::size_t body = 0;
            EXPECT_NE(validate(type, copy.get(), n, body), CodecError::None)
                << "accepted " << n << " of " << bytes.size();
            EXPECT_FALSE(samples::verify_sample(type, spec, copy.get(), n));
            if (!type.headerless) {
                std::size_t ignored = 0;
                const DispatchOutcome outcome = check_message({copy.get(), n}, ignored);
                EXPECT_EQ(outcome.result, DispatchResult::Dropped);
                EXPECT_EQ(outcome.reason, n < MESSAGE_HEADER_LENGTH ? DropReason::TooShort : DropReason::MalformedBody);
            }
            Json fields;
            const std::size_t offset = type.headerless ? 0 : MESSAGE_HEADER_LENGTH;
            EXPECT_NE(body_to_json(type, {copy.get(), n}, offset, type.block_length, type.schema_version, fields, body),
                      CodecError::None);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllMessages, RoundTrip, all_types(), type_name);

} // namespace
} // namespace tp::codec::test
