// SPDX-License-Identifier: Apache-2.0
// Payload copies into shared memory: the streaming copy (large frames) writes exactly the bytes of
// a plain copy, at any alignment, and nothing outside them.
#include "shm/shared_copy.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace {

using tp::shm::STREAMING_COPY_MIN_BYTES;

TEST(SharedCopy, StreamingRangeIsBounded) {
    EXPECT_FALSE(tp::shm::streams_copy_of(STREAMING_COPY_MIN_BYTES - 1));
    EXPECT_TRUE(tp::shm::streams_copy_of(STREAMING_COPY_MIN_BYTES));
    EXPECT_TRUE(tp::shm::streams_copy_of(tp::shm::STREAMING_COPY_MAX_BYTES));
    EXPECT_FALSE(tp::shm::streams_copy_of(tp::shm::STREAMING_COPY_MAX_BYTES + 1));
}

auto pattern(std::size_t n, std::uint32_t seed) -> std::vector<std::byte> {
    std::vector<std::byte> v(n);
    std::uint32_t x = seed;
    for (auto& b : v) {
        x = x * 1664525U + 1013904223U;
        b = static_cast<std::byte>(x >> 24);
    }
    return v;
}

TEST(SharedCopy, StreamingCopyMatchesAPlainCopyAtEveryAlignment) {
    constexpr std::size_t GUARD = 64;
    const std::size_t sizes[] = {0,
                                 1,
                                 63,
                                 STREAMING_COPY_MIN_BYTES - 1,
                                 STREAMING_COPY_MIN_BYTES,
                                 STREAMING_COPY_MIN_BYTES + 13,
                                 (1U << 20U) + 7,
                                 tp::shm::STREAMING_COPY_MAX_BYTES,
                                 tp::shm::STREAMING_COPY_MAX_BYTES + 9};
    for (std::size_t n : sizes) {
        for (std::size_t dst_off : {0U, 1U, 8U, 15U}) {
            for (std::size_t src_off : {0U, 3U}) {
                SCOPED_TRACE("n " + std::to_string(n) + " dst+" + std::to_string(dst_off) + " src+" +
                             std::to_string(src_off));
                const auto src = pattern(n + src_off, static_cast<std::uint32_t>(n + dst_off));
                std::vector<std::byte> dst(n + dst_off + 2 * GUARD, std::byte{0xEE});
                tp::shm::stream_to_shared(dst.data() + GUARD + dst_off, src.data() + src_off, n);
                for (std::size_t i = 0; i < GUARD + dst_off; ++i) {
                    ASSERT_EQ(dst[i], std::byte{0xEE}) << "before the copy at " << i;
                }
                for (std::size_t i = 0; i < n; ++i) {
                    ASSERT_EQ(dst[GUARD + dst_off + i], src[src_off + i]) << "byte " << i;
                }
                for (std::size_t i = GUARD + dst_off + n; i < dst.size(); ++i) {
                    ASSERT_EQ(dst[i], std::byte{0xEE}) << "after the copy at " << i;
                }
            }
        }
    }
}

} // namespace
