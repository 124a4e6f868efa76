// SPDX-License-Identifier: Apache-2.0
// RATE_LIMITED delivery (Wire §11, D-27): a 1 kHz source seen at 10 Hz, gated locally on the
// shared stream and by the producer on a per-consumer stream. Wall-clock paced; the band is wide.
#include "client_harness.hpp"

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;

constexpr std::uint32_t RATE_HZ = 10;
constexpr auto SOURCE_PERIOD = 1ms;
constexpr auto RUN = 3s;

struct RunResult {
    std::uint64_t published{0};
    std::uint64_t delivered{0};
    std::vector<std::uint64_t> timestamps;
};

/// Publishes at 1 kHz for RUN while the consumer polls, then polls until `drained` holds.
template <typename Drained>
auto run_source(Harness& h, std::size_t c, Drained&& drained) -> RunResult {
    RunResult r;
    auto on_frame = [&](const tp::Frame& f) {
        ++r.delivered;
        r.timestamps.push_back(f.timestamp_ns);
    };
    const auto start = std::chrono::steady_clock::now();
    auto next = start;
    while (std::chrono::steady_clock::now() - start < RUN) {
        if (std::chrono::steady_clock::now() >= next) {
            EXPECT_EQ(h.publish_small(), tp::PublishResult::Ok);
            ++r.published;
            next += SOURCE_PERIOD;
        }
        h.step();
        (void)h.consumer(c).poll(on_frame);
    }
    EXPECT_TRUE(h.until([&] {
        (void)h.consumer(c).poll(on_frame);
        return drained(r);
    }));
    return r;
}

void expect_ten_hertz(const RunResult& r) {
    const double seconds = std::chrono::duration<double>(RUN).count();
    const double per_s = static_cast<double>(r.delivered) / seconds;
    EXPECT_GE(per_s, 8.0) << r.delivered << " frames of " << r.published;
    EXPECT_LE(per_s, 12.0) << r.delivered << " frames of " << r.published;
    // Delivered frames are at least one period apart in frame time.
    for (std::size_t i = 1; i < r.timestamps.size(); ++i) {
        EXPECT_GE(r.timestamps[i] - r.timestamps[i - 1], 1'000'000'000ULL / RATE_HZ) << "frame " << i;
    }
}

TEST(RateLimited, SharedStreamGatesLocallyToTenHertz) {
    Harness h;
    ASSERT_TRUE(h.start({}, 256));
    tp::ConsumerOptions co;
    co.mode = tp::ConsumerMode::RateLimited;
    co.max_rate_hz = RATE_HZ;
    const auto c = h.add_consumer(co);
    ASSERT_TRUE(h.ready());
    // Every descriptor handled: delivered or counted.
    const auto r = run_source(h, c, [&](const RunResult& run) {
        const auto s = h.consumer(c).stats();
        return s.frames_delivered + s.drops_rate + s.drops_gap + s.drops_late >= run.published;
    });
    expect_ten_hertz(r);
    const auto s = h.consumer(c).stats();
    EXPECT_EQ(s.frames_delivered, r.delivered);
    EXPECT_EQ(s.frames_delivered + s.drops_rate + s.drops_late + s.drops_gap, r.published)
        << "every frame is delivered or counted once";
    EXPECT_GT(s.drops_rate, 0U);
}

TEST(RateLimited, PerConsumerStreamIsGatedByTheProducer) {
    Harness h;
    ASSERT_TRUE(h.start({}, 256));
    tp::ConsumerOptions co;
    co.mode = tp::ConsumerMode::RateLimited;
    co.max_rate_hz = RATE_HZ;
    co.per_consumer_descriptor_channel = "aeron:ipc";
    co.per_consumer_descriptor_stream_id = 31005;
    const auto c = h.add_consumer(co);
    auto own = tp::test::StreamObserver::create(h.env.transport_dir, "aeron:ipc", 31005);
    ASSERT_TRUE(own);
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.consumer(c).stats().per_consumer_descriptor && own->is_connected(); }));
    // Drained when the consumer has handled the last descriptor sent on its stream.
    const auto r = run_source(h, c, [&](const RunResult&) {
        own->poll();
        return !own->descriptors.empty() && h.consumer(c).stats().last_seq >= own->descriptors.back().seq;
    });
    expect_ten_hertz(r);
    EXPECT_EQ(own->descriptors.size(), r.delivered) << "the producer sent only the admitted descriptors";
    const auto s = h.consumer(c).stats();
    // The producer gates on the timestamp the consumer gates on, so the consumer drops nothing
    // itself; the frames the producer skipped are seqs never seen (D-29).
    EXPECT_EQ(s.drops_rate, 0U);
    EXPECT_EQ(s.drops_late, 0U);
    EXPECT_EQ(s.frames_delivered + s.drops_gap, s.last_seq + 1) << "every seq up to the last is delivered or a gap";
}

} // namespace
