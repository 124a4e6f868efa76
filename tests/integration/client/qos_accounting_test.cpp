// SPDX-License-Identifier: Apache-2.0
// Drop accounting exact against constructed gaps and overwrites (Wire §15.4, D-25, D-29), in the
// consumer's stats and in the QosConsumer it publishes.
#include "client_harness.hpp"

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;
using tp::test::StreamObserver;

constexpr const char* QOS = "aeron:ipc?term-length=4m";
constexpr std::uint32_t NSLOTS = 8;

/// Polls the consumer until it has handled every descriptor published so far (its last_seq
/// reaches `last`), counting deliveries; `on_frame` runs inside the handler.
template <typename OnFrame>
auto drain(Harness& h, std::size_t c, std::uint64_t last, std::uint64_t& delivered, OnFrame&& on_frame) -> bool {
    return h.until([&] {
        (void)h.consumer(c).poll([&](const tp::Frame& f) {
            ++delivered;
            on_frame(f);
        });
        return h.consumer(c).stats().last_seq >= last;
    });
}

TEST(QosAccounting, GapsAndOverwritesAreCountedExactly) {
    Harness h;
    ASSERT_TRUE(h.start({}, NSLOTS));
    auto qos = StreamObserver::create(h.env.transport_dir, QOS, 1200);
    ASSERT_TRUE(qos);
    const auto c = h.add_consumer();
    ASSERT_TRUE(h.ready());
    std::uint64_t delivered = 0;
    auto nothing = [](const tp::Frame&) {};

    // Phase 1, seq 0..9 in lockstep; seqs 3 and 7 are claimed and abandoned: never described, so
    // the consumer sees two gaps of one.
    for (std::uint64_t seq = 0; seq < 10; ++seq) {
        if (seq == 3 || seq == 7) {
            auto abandoned = h.producer->try_claim(64);
            ASSERT_TRUE(abandoned.is_valid());
            ASSERT_EQ(abandoned.seq(), seq);
            continue; // dropped uncommitted
        }
        ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
        ASSERT_TRUE(drain(h, c, seq, delivered, nothing)) << "seq " << seq;
    }
    auto s = h.consumer(c).stats();
    EXPECT_EQ(s.frames_delivered, 8U);
    EXPECT_EQ(s.drops_gap, 2U);
    EXPECT_EQ(s.drops_late, 0U);

    // Phase 2, seq 10..29 while the consumer is not polling: a ring of 8 keeps only 22..29, so the
    // descriptors of 10..21 find their slots overwritten.
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
    }
    ASSERT_TRUE(drain(h, c, 29, delivered, nothing));
    s = h.consumer(c).stats();
    EXPECT_EQ(s.frames_delivered, 16U);
    EXPECT_EQ(s.drops_gap, 2U);
    EXPECT_EQ(s.drops_late, 12U);

    // Phase 3, seq 30 is overwritten while the handler reads it: the handler publishes 31..38, and
    // 38 lands in 30's slot, so still_valid() fails after the callback (D-11). 31..38 are intact.
    ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
    bool overwrote = false;
    bool saw_invalid = false;
    ASSERT_TRUE(drain(h, c, 38, delivered, [&](const tp::Frame& f) {
        if (f.seq == 30 && !overwrote) {
            overwrote = true;
            for (int i = 0; i < 8; ++i) {
                EXPECT_EQ(h.publish_small(), tp::PublishResult::Ok);
            }
            saw_invalid = !f.still_valid();
        }
    }));
    EXPECT_TRUE(overwrote);
    EXPECT_TRUE(saw_invalid) << "the slot was reused during the callback";
    s = h.consumer(c).stats();
    EXPECT_EQ(s.frames_delivered, 24U);
    EXPECT_EQ(s.drops_gap, 2U);
    EXPECT_EQ(s.drops_late, 13U);
    EXPECT_EQ(s.last_seq, 38U);
    EXPECT_EQ(delivered, 25U) << "the handler saw seq 30 too; it is not counted as delivered";

    // The QosConsumer published after the last frame carries the same figures (D-29).
    const auto id = s.consumer_id;
    const tp::test::QosConsumerMsg* last = nullptr;
    ASSERT_TRUE(h.until([&] {
        qos->poll();
        for (const auto& q : qos->qos_consumers) {
            if (q.consumer_id == id && q.last_seq_seen == 38) {
                last = &q;
                return true;
            }
        }
        return false;
    })) << "no QosConsumer with lastSeqSeen 38";
    EXPECT_EQ(last->stream_id, 10000U);
    EXPECT_EQ(last->epoch, s.epoch);
    EXPECT_EQ(last->drops_gap, 2U);
    EXPECT_EQ(last->drops_late, 13U);
    EXPECT_EQ(last->mode, 1U) << "STREAM";
}

TEST(QosAccounting, GapBeyondMaxOutstandingResyncsAndKeepsCounting) {
    Harness h;
    ASSERT_TRUE(h.start({}, NSLOTS));
    tp::ConsumerOptions co;
    co.max_outstanding_seq_gap = 4;
    const auto c = h.add_consumer(co);
    ASSERT_TRUE(h.ready());
    std::uint64_t delivered = 0;
    auto nothing = [](const tp::Frame&) {};
    ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok); // seq 0
    ASSERT_TRUE(drain(h, c, 0, delivered, nothing));
    for (int i = 0; i < 6; ++i) { // seqs 1..6 abandoned: one gap of 6 > 4
        auto abandoned = h.producer->try_claim(64);
        ASSERT_TRUE(abandoned.is_valid());
    }
    ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok); // seq 7
    ASSERT_TRUE(drain(h, c, 7, delivered, nothing));
    auto abandoned = h.producer->try_claim(64); // seq 8
    abandoned = tp::FrameClaim{};
    ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok); // seq 9
    ASSERT_TRUE(drain(h, c, 9, delivered, nothing));
    const auto s = h.consumer(c).stats();
    EXPECT_EQ(s.frames_delivered, 3U);
    EXPECT_EQ(s.drops_gap, 7U) << "6 before the resync, 1 after (W §15.4)";
    EXPECT_EQ(s.drops_late, 0U);
}

} // namespace
