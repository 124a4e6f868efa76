// SPDX-License-Identifier: Apache-2.0
// FrameProgress end to end (Wire §10.2.2, D-28): STARTED / PROGRESS / COMPLETE paced by the
// consumers' hints, nothing without an interested consumer, drops of bad progress, and one delivery
// per message when a per-consumer control stream carries it too.
#include "client_harness.hpp"

#include <time.h>

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;
using tp::test::ProgressMsg;
using tp::test::StreamInjector;
using tp::test::StreamObserver;

constexpr const char* CTRL = "aeron:ipc?term-length=4m";
constexpr std::size_t CHUNK = 64 * 1024;
constexpr std::size_t CHUNKS = 16;
constexpr std::size_t FRAME = CHUNK * CHUNKS; // 1 MiB: the largest pool

auto monotonic_ns() -> std::uint64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Everything the progress handlers of the harness's consumers received, per consumer.
struct Received {
    std::vector<std::vector<ProgressMsg>> progress;
    std::vector<std::uint64_t> frames;
};

/// One duty cycle; consumers poll with progress handlers.
void pump(Harness& h, Received& r) {
    r.progress.resize(h.consumers.size());
    r.frames.resize(h.consumers.size());
    h.driver->do_work();
    h.producer->do_work();
    for (std::size_t i = 0; i < h.consumers.size(); ++i) {
        if (!h.consumers[i]) {
            continue;
        }
        (void)h.consumers[i]->poll([&](const tp::Frame&) { ++r.frames[i]; },
                                   [&](std::uint64_t seq, std::uint64_t bytes, std::uint8_t state) {
                                       r.progress[i].push_back({10000, 0, seq, bytes, state});
                                   });
    }
}

/// Fills a 1 MiB frame in 16 steps, reporting progress after each and pumping for `step_gap`
/// between steps, then commits it. Returns the frame's seq and the fill duration (STARTED to commit).
auto fill_frame(Harness& h, Received& r, std::chrono::microseconds step_gap, std::uint64_t& fill_ns) -> std::uint64_t {
    auto claim = h.producer->try_claim(FRAME);
    EXPECT_TRUE(claim.is_valid()) << tp::to_string(claim.result());
    const auto seq = claim.seq();
    const auto t0 = monotonic_ns();
    for (std::size_t k = 0; k < CHUNKS; ++k) {
        auto p = claim.payload().subspan(k * CHUNK, CHUNK);
        std::fill(p.begin(), p.end(), static_cast<std::byte>(k));
        h.producer->report_progress(claim, (k + 1) * CHUNK);
        const auto until = monotonic_ns() + static_cast<std::uint64_t>(step_gap.count()) * 1000ULL;
        while (monotonic_ns() < until) {
            pump(h, r);
        }
    }
    fill_ns = monotonic_ns() - t0;
    EXPECT_EQ(h.producer->commit(std::move(claim)), tp::PublishResult::Ok);
    return seq;
}

auto of_seq(const std::vector<ProgressMsg>& v, std::uint64_t seq) -> std::vector<ProgressMsg> {
    std::vector<ProgressMsg> out;
    for (const auto& m : v) {
        if (m.seq == seq) {
            out.push_back(m);
        }
    }
    return out;
}

auto has_complete(const std::vector<ProgressMsg>& v, std::uint64_t seq) -> bool {
    return std::any_of(v.begin(), v.end(), [&](const ProgressMsg& m) { return m.seq == seq && m.state == 3; });
}

auto progress_consumer() -> tp::ConsumerOptions {
    tp::ConsumerOptions co;
    co.supports_progress = true;
    co.progress_interval_us = 2000;   // 2 ms
    co.progress_bytes_delta = 131072; // 128 KiB (above the 64 KiB floor)
    return co;
}

TEST(ProgressDelivery, StartedPacedProgressAndCompleteReachTheHandler) {
    Harness h;
    ASSERT_TRUE(h.start());
    const auto c = h.add_consumer(progress_consumer());
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.producer->stats().consumers == 1; }));
    Received r;
    std::uint64_t fill_ns = 0;
    const auto seq = fill_frame(h, r, 1000us, fill_ns);
    ASSERT_TRUE(tp::test::pump_until([&] { pump(h, r); },
                                     [&] { return has_complete(r.progress[c], seq) && r.frames[c] == 1; }, 10s));
    const auto got = of_seq(r.progress[c], seq);
    ASSERT_GE(got.size(), 3U);
    EXPECT_EQ(got.front().state, 1U) << "STARTED first";
    EXPECT_EQ(got.front().bytes, 0U);
    EXPECT_EQ(got.back().state, 3U) << "COMPLETE last";
    EXPECT_EQ(got.back().bytes, FRAME);
    std::size_t progress_count = 0;
    std::uint64_t last = 0;
    for (std::size_t i = 1; i + 1 < got.size(); ++i) {
        EXPECT_EQ(got[i].state, 2U) << "only PROGRESS between STARTED and COMPLETE";
        EXPECT_GE(got[i].bytes, last + 131072) << "advances by at least the hinted delta";
        EXPECT_LE(got[i].bytes, FRAME);
        last = got[i].bytes;
        ++progress_count;
    }
    EXPECT_GE(progress_count, 1U) << "a 16 ms fill at a 2 ms interval reports progress";
    // At most one PROGRESS per 2 ms interval over the fill.
    EXPECT_LE(progress_count, fill_ns / 2'000'000ULL + 1);
    const auto s = h.consumer(c).stats();
    EXPECT_EQ(s.progress_accepted, got.size());
    EXPECT_EQ(s.progress_dropped, 0U);
}

TEST(ProgressDelivery, NothingIsPublishedWithoutAConsumerThatSupportsProgress) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    h.add_consumer(); // no progress
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.producer->stats().consumers == 1; }));
    Received r;
    std::uint64_t fill_ns = 0;
    const auto seq = fill_frame(h, r, 500us, fill_ns);
    const auto committed_at = monotonic_ns();
    const auto producer_id = h.producer->stats().client_id;
    // Control-stream order per publisher: a producer keepalive stamped after the commit comes after
    // anything the producer published for this frame.
    ASSERT_TRUE(tp::test::pump_until(
        [&] {
            pump(h, r);
            control->poll();
        },
        [&] {
            return std::any_of(control->keepalives.begin(), control->keepalives.end(), [&](const auto& k) {
                return k.client_id == producer_id && k.client_timestamp_ns > committed_at;
            });
        },
        10s));
    EXPECT_TRUE(control->progress.empty()) << control->progress.size() << " FrameProgress published";

    // The same observer sees progress once a consumer opts in.
    h.add_consumer(progress_consumer());
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.producer->stats().consumers == 2; }));
    const auto seq2 = fill_frame(h, r, 500us, fill_ns);
    ASSERT_GT(seq2, seq);
    ASSERT_TRUE(tp::test::pump_until(
        [&] {
            pump(h, r);
            control->poll();
        },
        [&] { return has_complete(control->progress, seq2); }, 10s));
    const auto seen = of_seq(control->progress, seq2);
    EXPECT_EQ(seen.front().state, 1U);
    EXPECT_EQ(seen.back().state, 3U);
}

TEST(ProgressDelivery, RegressingStaleAndOversizedProgressIsDropped) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto inject = StreamInjector::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(inject);
    const auto c = h.add_consumer(progress_consumer());
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.producer->stats().consumers == 1; }));
    Received r;
    std::uint64_t fill_ns = 0;
    const auto seq = fill_frame(h, r, 200us, fill_ns);
    ASSERT_TRUE(tp::test::pump_until([&] { pump(h, r); }, [&] { return has_complete(r.progress[c], seq); }, 10s));
    const auto before = h.consumer(c).stats();
    const auto handled_before = r.progress[c].size();
    const auto epoch = before.epoch;
    using State = tp::codec::control::FrameProgressState;
    ASSERT_TRUE(inject->progress(10000, epoch, seq, FRAME, State::PROGRESS));     // equal: accepted
    ASSERT_TRUE(inject->progress(10000, epoch, seq, FRAME / 2, State::PROGRESS)); // regresses
    ASSERT_TRUE(inject->progress(10000, epoch, seq, FRAME + 1, State::PROGRESS)); // beyond valuesLen
    ASSERT_TRUE(inject->progress(10000, epoch, seq + 5, 100, State::PROGRESS));   // slot holds another frame
    ASSERT_TRUE(inject->progress(10000, epoch + 1, seq, FRAME, State::PROGRESS)); // wrong epoch
    ASSERT_TRUE(tp::test::pump_until([&] { pump(h, r); },
                                     [&] {
                                         const auto s = h.consumer(c).stats();
                                         return s.progress_accepted + s.progress_dropped >=
                                                before.progress_accepted + before.progress_dropped + 5;
                                     },
                                     10s));
    for (int i = 0; i < 50; ++i) {
        pump(h, r);
    }
    const auto after = h.consumer(c).stats();
    EXPECT_EQ(after.progress_accepted, before.progress_accepted + 1);
    EXPECT_EQ(after.progress_dropped, before.progress_dropped + 4);
    ASSERT_EQ(r.progress[c].size(), handled_before + 1) << "only the non-regressing one reaches the handler";
    EXPECT_EQ(r.progress[c].back().bytes, FRAME);
}

TEST(ProgressDelivery, PerConsumerControlStreamDeliversEachMessageOnce) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto own_control = StreamObserver::create(h.env.transport_dir, "aeron:ipc", 32005);
    ASSERT_TRUE(own_control);
    auto co = progress_consumer();
    co.per_consumer_descriptor_channel = "aeron:ipc";
    co.per_consumer_descriptor_stream_id = 31005;
    co.per_consumer_control_channel = "aeron:ipc";
    co.per_consumer_control_stream_id = 32005;
    const auto c = h.add_consumer(co);
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] {
        return h.consumer(c).stats().per_consumer_descriptor && own_control->is_connected() &&
               h.producer->stats().consumers == 1;
    }));
    Received r;
    std::uint64_t fill_ns = 0;
    const auto s1 = fill_frame(h, r, 500us, fill_ns);
    const auto s2 = fill_frame(h, r, 500us, fill_ns);
    ASSERT_TRUE(tp::test::pump_until(
        [&] {
            pump(h, r);
            own_control->poll();
        },
        [&] { return has_complete(r.progress[c], s2) && has_complete(own_control->progress, s2); }, 10s));
    for (int i = 0; i < 100; ++i) {
        pump(h, r);
        own_control->poll();
    }
    for (const auto seq : {s1, s2}) {
        const auto sent = of_seq(own_control->progress, seq);
        const auto got = of_seq(r.progress[c], seq);
        ASSERT_EQ(got.size(), sent.size()) << "seq " << seq << ": each message delivered exactly once";
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].bytes, sent[i].bytes);
            EXPECT_EQ(got[i].state, sent[i].state);
        }
    }
    EXPECT_EQ(r.frames[c], 2U);
}

} // namespace
