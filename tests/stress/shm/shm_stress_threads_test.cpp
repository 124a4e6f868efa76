// SPDX-License-Identifier: Apache-2.0
// Threaded torn-read stress (W §8.3, §15.3; D-10, D-11): the process test's workload with a
// producer thread and consumer threads reading through the writer's own mapping, so that
// ThreadSanitizer sees every access to the slots (build with `cmake --preset tsan`). All accesses
// to seqlock-protected memory are atomic, so TSan must report nothing.
//
// TP_SHM_STRESS_FRAMES (default 2,000,000; 200,000 under TSan) and TP_SHM_STRESS_SECONDS
// (default 40) bound the run.
#include "stress_common.hpp"

#include "process_harness.hpp"

#include "common/clock.hpp"
#include "shm/shm_layout.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace tp::shm::stress {
namespace {

constexpr std::uint64_t EPOCH = 1;
constexpr std::size_t CONSUMERS = 3;

#if defined(__SANITIZE_THREAD__)
constexpr std::uint64_t DEFAULT_FRAMES = 200'000;
#else
constexpr std::uint64_t DEFAULT_FRAMES = 2'000'000;
#endif

TEST(ShmStressThreads, TornReadsAreNeverAcceptedAndEverySeqIsAccountedFor) {
    const std::uint64_t frames = env_u64("TP_SHM_STRESS_FRAMES", DEFAULT_FRAMES);
    const std::uint64_t seconds = env_u64("TP_SHM_STRESS_SECONDS", 40);
    const std::string parent = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "";
    tp::test::TempDir dir("tp-stress-", parent);

    LayoutConfig cfg;
    cfg.base_dir = dir.path();
    cfg.user = "stress";
    auto layout = ShmLayout::create(cfg);
    ASSERT_TRUE(layout) << layout.error().to_string();
    auto created = layout->create_regions({1, EPOCH, RING_SLOTS, {{1, SMALL_STRIDE}, {2, LARGE_STRIDE}}, 0},
                                          common::monotonic_ns());
    ASSERT_TRUE(created) << created.error().to_string();
    auto policy = PathPolicy::create({dir.path()});
    ASSERT_TRUE(policy);
    auto writer = ShmWriter::attach(created->spec, *policy);
    ASSERT_TRUE(writer) << writer.error().to_string();
    const RegionSetView view = writer->view();

    Control control;
    std::vector<ConsumerStats> stats(CONSUMERS);
    std::vector<std::thread> consumers;
    for (std::size_t i = 0; i < CONSUMERS; ++i) {
        consumers.emplace_back([&, i] {
            consume([&](std::uint64_t seq, FrameView& f) { return read_frame(view, EPOCH, seq, f); }, control, EPOCH,
                    0xABCDEFULL * (i + 1), 2000, stats[i]);
        });
    }
    std::thread producer([&] {
        static_cast<void>(
            produce(*writer, control, frames, std::chrono::steady_clock::now() + std::chrono::seconds(seconds)));
    });
    producer.join();
    for (auto& t : consumers) {
        t.join();
    }

    const std::uint64_t produced = control.produced;
    EXPECT_EQ(control.producer_failures, 0U);
    std::printf("producer: %llu frames (target %llu)\n", static_cast<unsigned long long>(produced),
                static_cast<unsigned long long>(frames));
    EXPECT_GT(produced, 0U);
    for (std::size_t i = 0; i < CONSUMERS; ++i) {
        const ConsumerStats& s = stats[i];
        print_stats(i, s);
        ASSERT_EQ(s.started, 1U);
        EXPECT_EQ(s.foreign_word_accepted, 0U) << "consumer " << i << " accepted a torn payload";
        EXPECT_EQ(s.header_mismatch_accepted, 0U) << "consumer " << i << " accepted a torn header";
        EXPECT_EQ(s.bad_events, 0U);
        EXPECT_EQ(s.accepted + s.drops_gap + s.drops_late, s.last - s.first + 1) << "consumer " << i;
        EXPECT_GT(s.accepted, 0U);
    }
}

} // namespace
} // namespace tp::shm::stress
