// SPDX-License-Identifier: Apache-2.0
// Gap / late accounting and regressions: W §15.2, §15.3, §15.4; D-25, D-29.
#include "shm/seq_tracker.hpp"

#include <gtest/gtest.h>

namespace tp::shm {
namespace {

TEST(SeqTracker, W15_4_FirstThenInOrder) {
    SeqTracker t;
    t.reset(5);
    EXPECT_EQ(t.on_descriptor(5, 100), SeqEvent::First); // joining mid-stream is not a gap
    t.on_read_result(100, ReadResult::Ok);
    EXPECT_EQ(t.on_descriptor(5, 101), SeqEvent::InOrder);
    t.on_read_result(101, ReadResult::Ok);
    EXPECT_EQ(t.counters().accepted, 2U);
    EXPECT_EQ(t.counters().drops_gap, 0U);
    EXPECT_EQ(t.last_accepted(), 101U);
}

TEST(SeqTracker, W15_4_GapCountsMissingSeqs) {
    SeqTracker t;
    t.reset(1);
    t.on_descriptor(1, 1);
    EXPECT_EQ(t.on_descriptor(1, 5), SeqEvent::Gap);
    EXPECT_EQ(t.counters().drops_gap, 3U); // 2, 3, 4
    EXPECT_EQ(t.last_seen(), 5U);
    EXPECT_EQ(t.on_descriptor(1, 6), SeqEvent::InOrder);
    EXPECT_EQ(t.counters().drops_gap, 3U);
}

TEST(SeqTracker, W15_3_RejectedReadsCountAsLate) {
    SeqTracker t;
    t.reset(1);
    t.on_descriptor(1, 0);
    t.on_read_result(0, ReadResult::Torn);
    t.on_descriptor(1, 1);
    t.on_read_result(1, ReadResult::UnknownDtype);
    t.on_descriptor(1, 2);
    t.on_read_result(2, ReadResult::Ok);
    EXPECT_EQ(t.counters().drops_late, 2U);
    EXPECT_EQ(t.counters().accepted, 1U);
}

TEST(SeqTracker, W15_4_GapAboveMaxOutstandingResyncs) {
    SeqTracker t(256);
    t.reset(1);
    t.on_descriptor(1, 10);
    EXPECT_EQ(t.on_descriptor(1, 10 + 257), SeqEvent::Gap); // gap of exactly 256
    EXPECT_EQ(t.counters().resyncs, 0U);
    EXPECT_EQ(t.on_descriptor(1, 267 + 258), SeqEvent::Resync); // gap of 257
    EXPECT_EQ(t.counters().resyncs, 1U);
    EXPECT_EQ(t.counters().drops_gap, 256U + 257U);
    // Counting continues from the resync point.
    EXPECT_EQ(t.on_descriptor(1, 267 + 258 + 2), SeqEvent::Gap);
    EXPECT_EQ(t.counters().drops_gap, 256U + 257U + 1U);
}

TEST(SeqTracker, W15_4_ZeroDisablesResync) {
    SeqTracker t(0);
    t.reset(1);
    t.on_descriptor(1, 0);
    EXPECT_EQ(t.on_descriptor(1, 1'000'000), SeqEvent::Gap);
}

TEST(SeqTracker, D25_EpochMismatchDropped) {
    SeqTracker t;
    t.reset(3);
    EXPECT_EQ(t.on_descriptor(4, 0), SeqEvent::EpochMismatch);
    EXPECT_EQ(t.on_descriptor(2, 0), SeqEvent::EpochMismatch);
    EXPECT_EQ(t.counters().epoch_mismatches, 2U);
    EXPECT_FALSE(t.has_seen());
}

TEST(SeqTracker, D25_RegressionBelowLastAcceptedRequiresRemap) {
    SeqTracker t;
    t.reset(1);
    t.on_descriptor(1, 10);
    t.on_read_result(10, ReadResult::Ok);
    t.on_descriptor(1, 11);
    t.on_read_result(11, ReadResult::Ok);
    EXPECT_EQ(t.on_descriptor(1, 9), SeqEvent::Regression);
    EXPECT_EQ(t.counters().regressions, 1U);
    t.reset(2);                                        // remapped to the next epoch
    EXPECT_EQ(t.on_descriptor(2, 0), SeqEvent::First); // W §15.2: seq restarts at 0
}

TEST(SeqTracker, DuplicateDescriptorDroppedUncounted) {
    SeqTracker t;
    t.reset(1);
    t.on_descriptor(1, 10);
    t.on_read_result(10, ReadResult::Ok);
    t.on_descriptor(1, 12);
    t.on_read_result(12, ReadResult::Torn);
    EXPECT_EQ(t.on_descriptor(1, 12), SeqEvent::Duplicate);
    EXPECT_EQ(t.on_descriptor(1, 11), SeqEvent::Duplicate); // between last accepted and last seen
    EXPECT_EQ(t.counters().duplicates, 2U);
    EXPECT_EQ(t.counters().accepted + t.counters().drops_gap + t.counters().drops_late, 3U); // 10..12
}

TEST(SeqTracker, AccountingCoversEverySeqAskedFor) {
    SeqTracker t(4);
    t.reset(1);
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    bool started = false;
    // A deterministic pattern of skipped, rejected and accepted seqs, with resyncs.
    for (std::uint64_t seq = 50; seq < 5000; seq += 1 + (seq * 7919) % 11) {
        const SeqEvent e = t.on_descriptor(1, seq);
        ASSERT_NE(e, SeqEvent::Duplicate);
        if (!started) {
            first = seq;
            started = true;
        }
        last = seq;
        t.on_read_result(seq, seq % 3 == 0 ? ReadResult::Overwritten : ReadResult::Ok);
    }
    const auto& c = t.counters();
    EXPECT_GT(c.resyncs, 0U);
    EXPECT_EQ(c.accepted + c.drops_gap + c.drops_late, last - first + 1);
}

} // namespace
} // namespace tp::shm
