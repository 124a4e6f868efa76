// SPDX-License-Identifier: Apache-2.0
// Hot paths allocate nothing after set-up: claim, payload write, commit, read, still_valid, copy-out,
// seq tracking, activity refresh. Counts every global operator new in this executable.
#include "shm_fixture.hpp"

#include "shm/seq_tracker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

// g++ pairs the replaced operator new/delete with malloc/free when it inlines them into library
// code and reports a mismatch that is not there (both sides are replaced together here).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
} // namespace

auto operator new(std::size_t size) -> void* {
    g_allocations.fetch_add(1, std::memory_order_relaxed); // relaxed: a counter read by this thread only
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
auto operator new[](std::size_t size) -> void* {
    return operator new(size);
}
auto operator new(std::size_t size, const std::nothrow_t&) noexcept -> void* {
    g_allocations.fetch_add(1, std::memory_order_relaxed); // relaxed: see above
    return std::malloc(size == 0 ? 1 : size);
}
auto operator new[](std::size_t size, const std::nothrow_t& t) noexcept -> void* {
    return operator new(size, t);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

namespace tp::shm {
namespace {

TEST(NoAllocation, WriteAndReadPathsAllocateNothingAfterSetUp) {
    test::RegionFixture fx(8, {{1, 1024}, {2, 4096}});
    ShmReader reader = fx.reader();
    SeqTracker tracker;
    tracker.reset(test::TEST_EPOCH);
    std::vector<std::byte> copy(4096);
    FrameView frame;
    std::uint64_t accepted = 0;
    std::uint64_t dropped = 0;

    const std::uint64_t before = g_allocations.load(std::memory_order_relaxed); // relaxed: single thread
    for (std::uint64_t seq = 0; seq < 20000; ++seq) {
        const auto len = static_cast<std::uint32_t>((seq * 97) % 4097);
        SlotClaim claim = fx.writer().try_claim(seq, len);
        if (!claim) {
            ++dropped;
            continue;
        }
        for (std::byte& b : claim.payload()) {
            b = static_cast<std::byte>(seq);
        }
        const std::int32_t dims[] = {static_cast<std::int32_t>(len)};
        claim.set_shape(dims).set_timestamp_ns(seq + 1);
        if (fx.writer().commit(std::move(claim)) != CommitResult::Ok) {
            ++dropped;
            continue;
        }
        if (seq % 3 == 0) {
            continue; // leave gaps for the tracker
        }
        if (tracker.on_descriptor(test::TEST_EPOCH, seq) == SeqEvent::EpochMismatch) {
            ++dropped;
        }
        ReadResult r = reader.read(test::TEST_EPOCH, seq, frame);
        if (r == ReadResult::Ok) {
            r = seq % 2 == 0 ? copy_payload(frame, copy) : (frame.still_valid() ? ReadResult::Ok : ReadResult::Torn);
        }
        tracker.on_read_result(seq, r);
        accepted += r == ReadResult::Ok ? 1 : 0;
        // Stale reads of an overwritten slot and an unknown epoch.
        if (seq >= 8) {
            static_cast<void>(reader.read(test::TEST_EPOCH, seq - 8, frame));
        }
        static_cast<void>(reader.read(test::TEST_EPOCH + 1, seq, frame));
        if (seq % 1000 == 0) {
            fx.writer().refresh_activity(seq);
            static_cast<void>(reader.is_stale(seq, 1000));
        }
    }
    const std::uint64_t after = g_allocations.load(std::memory_order_relaxed); // relaxed: single thread
    EXPECT_EQ(after - before, 0U);
    EXPECT_GT(accepted, 10000U); // the loop really exercised the paths
    EXPECT_EQ(dropped, 0U);
    EXPECT_GT(tracker.counters().drops_gap, 0U);
}

TEST(NoAllocation, CounterSeesAllocations) {
    const std::uint64_t before = g_allocations.load(std::memory_order_relaxed); // relaxed: single thread
    auto* v = new std::vector<int>(100);
    delete v;
    EXPECT_GE(g_allocations.load(std::memory_order_relaxed) - before, 2U);
}

} // namespace
} // namespace tp::shm
