// SPDX-License-Identifier: Apache-2.0
// Multi-process torn-read stress (W §8.3, §15.3, §15.4, §15.13 "no torn reads"; D-10, D-11):
// one producer process overwrites a 4-slot ring as fast as it can with self-validating frames of
// varying size; several consumer processes read through their own read-only mappings with random
// delays between the first seqlock load and the re-check. No accepted frame may hold a foreign
// word or a header from another frame, and accepted + drops_gap + drops_late must account for every
// seq each consumer asked for.
//
// TP_SHM_STRESS_FRAMES (default 10,000,000) and TP_SHM_STRESS_SECONDS (default 45, the producer's
// time budget) bound the run.
#include "stress_common.hpp"

#include "process_harness.hpp"

#include "common/clock.hpp"
#include "shm/shm_layout.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <new>

#include <sys/mman.h>

namespace tp::shm::stress {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t EPOCH = 1;
constexpr std::size_t CONSUMERS = 3;

struct Shared {
    Control control;
    ConsumerStats stats[CONSUMERS];
};

TEST(ShmStressProcess, TornReadsAreNeverAcceptedAndEverySeqIsAccountedFor) {
    const std::uint64_t frames = env_u64("TP_SHM_STRESS_FRAMES", 10'000'000);
    const std::uint64_t seconds = env_u64("TP_SHM_STRESS_SECONDS", 45);
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
    const RegionSetSpec spec = created->spec;

    void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    auto* shared = new (mem) Shared{};

    std::vector<tp::test::ChildProcess> consumers;
    for (std::size_t i = 0; i < CONSUMERS; ++i) {
        consumers.push_back(tp::test::ChildProcess::fork_function(
            [&, i] {
                auto reader = ShmReader::map(spec, *policy, common::monotonic_ns());
                if (!reader) {
                    std::fprintf(stderr, "consumer %zu: %s\n", i, reader.error().to_string().c_str());
                    return 3;
                }
                consume([&](std::uint64_t seq, FrameView& f) { return reader->read(EPOCH, seq, f); }, shared->control,
                        EPOCH, 0x1234567ULL * (i + 1), 4000, shared->stats[i]);
                return 0;
            },
            dir.file("consumer" + std::to_string(i) + ".log")));
    }
    auto producer = tp::test::ChildProcess::fork_function(
        [&] {
            auto writer = ShmWriter::attach(spec, *policy);
            if (!writer) {
                std::fprintf(stderr, "producer: %s\n", writer.error().to_string().c_str());
                concurrent::store_release(&shared->control.stop, std::uint64_t{1});
                return 3;
            }
            return produce(*writer, shared->control, frames,
                           std::chrono::steady_clock::now() + std::chrono::seconds(seconds));
        },
        dir.file("producer.log"));

    const auto wait_budget = std::chrono::seconds(seconds + 60);
    const auto pst = producer.wait(wait_budget);
    ASSERT_TRUE(pst.ok()) << pst.describe() << "\n" << producer.output();
    for (std::size_t i = 0; i < CONSUMERS; ++i) {
        const auto st = consumers[i].wait(30s);
        ASSERT_TRUE(st.ok()) << "consumer " << i << ": " << st.describe() << "\n" << consumers[i].output();
    }

    const std::uint64_t produced = shared->control.produced;
    EXPECT_EQ(shared->control.producer_failures, 0U);
    std::printf("producer: %llu frames (target %llu, budget %llu s)\n", static_cast<unsigned long long>(produced),
                static_cast<unsigned long long>(frames), static_cast<unsigned long long>(seconds));
    if (produced < frames) {
        std::printf("note: the time budget ended the run before the frame target\n");
    }
    EXPECT_GT(produced, 0U);
    std::uint64_t total_accepted = 0;
    for (std::size_t i = 0; i < CONSUMERS; ++i) {
        const ConsumerStats& s = shared->stats[i];
        print_stats(i, s);
        ASSERT_EQ(s.started, 1U) << "consumer " << i << " never read";
        EXPECT_EQ(s.foreign_word_accepted, 0U) << "consumer " << i << " accepted a torn payload";
        EXPECT_EQ(s.header_mismatch_accepted, 0U) << "consumer " << i << " accepted a torn header";
        EXPECT_EQ(s.bad_events, 0U);
        EXPECT_EQ(s.accepted + s.drops_gap + s.drops_late, s.last - s.first + 1) << "consumer " << i;
        EXPECT_LT(s.last, produced);
        total_accepted += s.accepted;
    }
    EXPECT_GT(total_accepted, 0U);
    ::munmap(mem, sizeof(Shared));
}

} // namespace
} // namespace tp::shm::stress
