// SPDX-License-Identifier: Apache-2.0
// FrameProgress pacing and acceptance (Wire §10.2.2, D-28) and the RATE_LIMITED gate (Wire §11).
#include "client/progress.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tp::client;

constexpr std::uint64_t US = 1000;

TEST(ProgressThrottle, IntervalAndDeltaBothRequiredWire1022) {
    ProgressThrottle t;
    t.begin(5, ProgressPolicy{250 * US, 65536, 0}, 0, 0);
    EXPECT_FALSE(t.update(100'000, 100 * US)) << "interval not elapsed";
    EXPECT_FALSE(t.poll(200 * US));
    auto p = t.poll(250 * US);
    ASSERT_TRUE(p) << "latest pending level goes out when the interval elapses";
    EXPECT_EQ(*p, 100'000U);
    EXPECT_FALSE(t.update(120'000, 600 * US)) << "delta below 64 KiB";
    auto q = t.update(170'000, 700 * US);
    ASSERT_TRUE(q);
    EXPECT_EQ(*q, 170'000U);
    EXPECT_FALSE(t.update(160'000, 2000 * US)) << "never regresses";
}

TEST(ProgressThrottle, RowDeltaCountsWhenHinted) {
    ProgressThrottle t;
    t.begin(1, ProgressPolicy{250 * US, 1 << 20, 4}, 1920, 0);
    auto p = t.update(4 * 1920, 300 * US);
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 4U * 1920U);
}

TEST(ProgressTracker, DropsPerD28) {
    ProgressTracker tr;
    tr.reset(10000, 7);
    EXPECT_EQ(tr.check(10000, 7, 1, 1000, 4096), ProgressTracker::Verdict::Accept);
    EXPECT_EQ(tr.check(10000, 7, 1, 2000, 4096), ProgressTracker::Verdict::Accept);
    EXPECT_EQ(tr.check(10000, 7, 1, 1500, 4096), ProgressTracker::Verdict::Regressed);
    EXPECT_EQ(tr.check(10000, 7, 1, 5000, 4096), ProgressTracker::Verdict::BeyondValuesLen);
    EXPECT_EQ(tr.check(10001, 7, 1, 3000, 4096), ProgressTracker::Verdict::WrongStream);
    EXPECT_EQ(tr.check(10000, 8, 1, 3000, 4096), ProgressTracker::Verdict::WrongEpoch);
    EXPECT_EQ(tr.check(10000, 7, 2, 10, 4096), ProgressTracker::Verdict::Accept) << "a new seq starts over";
    EXPECT_EQ(tr.drops(), 4U);
}

TEST(RateGate, FixedPeriodOnFrameTimestampsWire11) {
    RateGate g(10); // 100 ms period
    int delivered = 0;
    // A 1 kHz source over 3 s of frame time.
    for (std::uint64_t i = 0; i < 3000; ++i) {
        if (g.allow(i * 1'000'000ULL)) {
            ++delivered;
        }
    }
    EXPECT_EQ(delivered, 30);
    RateGate unlimited(0);
    EXPECT_TRUE(unlimited.allow(1));
    EXPECT_TRUE(unlimited.allow(1));
}

} // namespace
