// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_unblocker.hpp"

#include "transport/builtin/ipc/ipc_log_descriptor.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace tp::transport::ipc {
namespace {

constexpr std::int64_t CAPACITY = 64 * 1024;
constexpr std::uint64_t KEY = 0xA5A5'1234'5678'9AE0ULL;

class Unblocker : public ::testing::Test {
protected:
    Unblocker() : m_memory(CAPACITY / 8 + 8) {
        std::memset(m_memory.data(), 0x5C, CAPACITY); // "old lap" garbage everywhere
        m_view = RingView{reinterpret_cast<std::uint8_t*>(m_memory.data()), CAPACITY, KEY};
    }
    auto stamp(std::int64_t position) -> std::uint64_t& {
        return *reinterpret_cast<std::uint64_t*>(m_view.ring + (position & (CAPACITY - 1)));
    }
    auto length(std::int64_t position) -> std::uint32_t& {
        return *reinterpret_cast<std::uint32_t*>(m_view.ring + (position & (CAPACITY - 1)) + FRAME_LENGTH_OFFSET);
    }
    auto state(std::int64_t position) -> std::uint64_t { return stamp_state(stamp(position), position, KEY); }

    std::vector<std::uint64_t> m_memory;
    RingView m_view;
};

TEST_F(Unblocker, PendingFrameBecomesPaddingOfItsOwnLength) {
    const std::int64_t p = 3 * CAPACITY + 256; // a later lap
    length(p) = 32 + 100;
    stamp(p) = make_stamp(p, KEY, FRAME_PENDING);
    EXPECT_TRUE(unblock(m_view, p, p + 160));
    EXPECT_EQ(state(p), FRAME_PAD);
    EXPECT_EQ(length(p), 132U);
    EXPECT_FALSE(unblock(m_view, p, p + 160)) << "second call finds nothing to do";
}

TEST_F(Unblocker, CommittedFrameIsLeftAlone) {
    const std::int64_t p = 512;
    length(p) = 64;
    stamp(p) = make_stamp(p, KEY, FRAME_DATA);
    EXPECT_FALSE(unblock(m_view, p, p + 64));
    EXPECT_EQ(state(p), FRAME_DATA);
}

TEST_F(Unblocker, UnstampedClaimIsSkippedUpToTheNextFrame) {
    const std::int64_t p = CAPACITY + 1024;
    const std::int64_t next = p + 5 * 32;
    length(next) = 40;
    stamp(next) = make_stamp(next, KEY, FRAME_PENDING); // the next claim is in progress
    EXPECT_TRUE(unblock(m_view, p, next + 64));
    for (std::int64_t q = p; q < next; q += 32) {
        EXPECT_EQ(state(q), FRAME_SKIP) << "unit at " << q;
    }
    EXPECT_EQ(state(next), FRAME_PENDING) << "the live claim after the hole is untouched";
}

TEST_F(Unblocker, UnstampedClaimAtTheTailStopsAtTheTail) {
    const std::int64_t p = 2048;
    const std::int64_t tail = p + 3 * 32;
    EXPECT_TRUE(unblock(m_view, p, tail));
    EXPECT_EQ(state(p + 64), FRAME_SKIP);
    EXPECT_EQ(state(tail), 0U) << "nothing beyond the tail is touched";
}

TEST_F(Unblocker, SkipsAcrossTheRingEnd) {
    const std::int64_t p = 5 * CAPACITY - 64; // two units before the end
    const std::int64_t next = 5 * CAPACITY + 32;
    length(next) = 32;
    stamp(next) = make_stamp(next, KEY, FRAME_DATA);
    EXPECT_TRUE(unblock(m_view, p, next + 32));
    EXPECT_EQ(state(p), FRAME_SKIP);
    EXPECT_EQ(state(p + 32), FRAME_SKIP);
    EXPECT_EQ(state(5 * CAPACITY), FRAME_SKIP);
    EXPECT_EQ(state(next), FRAME_DATA);
}

TEST_F(Unblocker, PendingFrameWithCorruptLengthIsSkippedUnitByUnit) {
    const std::int64_t p = 4096;
    length(p) = 7; // shorter than a header
    stamp(p) = make_stamp(p, KEY, FRAME_PENDING);
    EXPECT_TRUE(unblock(m_view, p, p + 64));
    EXPECT_EQ(state(p), FRAME_SKIP);
    EXPECT_EQ(state(p + 32), FRAME_SKIP);
}

TEST_F(Unblocker, OverwrittenPositionIsNeverTouched) {
    const std::int64_t p = 4096;
    const std::int64_t later = p + CAPACITY; // the same index, one lap on: a live frame
    length(later) = 64;
    stamp(later) = make_stamp(later, KEY, FRAME_DATA);
    EXPECT_FALSE(unblock(m_view, p, later + 64));
    EXPECT_EQ(state(later), FRAME_DATA);
}

TEST(Stamp, OldLapsAndPayloadNeverMatch) {
    const std::int64_t p = 10 * 65536 + 96;
    EXPECT_EQ(stamp_state(make_stamp(p, KEY, FRAME_DATA), p, KEY), FRAME_DATA);
    EXPECT_EQ(stamp_state(make_stamp(p - 65536, KEY, FRAME_DATA), p, KEY), 0U);
    EXPECT_EQ(stamp_state(make_stamp(p, KEY ^ 0x100, FRAME_DATA), p, KEY), 0U);
    EXPECT_EQ(stamp_state(0, p, KEY), 0U);
    EXPECT_EQ(stamp_state(static_cast<std::uint64_t>(p), p, KEY), 0U);
}

} // namespace
} // namespace tp::transport::ipc
