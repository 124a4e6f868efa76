// SPDX-License-Identifier: Apache-2.0
// Per-consumer streams and progress across processes around a `tensorpool driver` process: the
// hello / ConsumerConfig exchange (D-26) with producer and consumers reading the control stream at
// their own pace. Children report through a shared anonymous mapping.
#include "client_test_env.hpp"

#include <atomic>
#include <fstream>

#include <sys/mman.h>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::test::ChildProcess;
using tp::test::ClientTestEnv;

constexpr int CONSUMERS = 2;
constexpr std::uint64_t FRAMES = 2000;
constexpr std::uint64_t PROGRESS_EVERY = 100; // frames filled with progress reports
constexpr std::size_t FRAME_BYTES = 64 * 1024;

struct Shared {
    std::atomic<std::uint64_t> granted[CONSUMERS];
    std::atomic<std::uint64_t> next_seq[CONSUMERS]; ///< next seq each consumer expects
    std::atomic<std::uint64_t> delivered[CONSUMERS];
    std::atomic<std::uint64_t> corrupt[CONSUMERS];
    std::atomic<std::uint64_t> drops[CONSUMERS];
    std::atomic<std::uint64_t> completes[CONSUMERS];
    std::atomic<std::uint64_t> progress_dropped[CONSUMERS];
    std::atomic<std::uint64_t> published;
    std::atomic<bool> stop;
};

inline auto content_byte(std::uint64_t seq, std::size_t i) -> std::byte {
    return static_cast<std::byte>((seq * 131U + i * 7U) >> 3);
}

auto tensorpool_exe() -> std::string {
    return tp::test::binary_dir() + "/apps/tensorpool/tensorpool";
}

auto consumer_main(const tp::ClientContext& ctx, Shared* sh, int idx) -> int {
    tp::ConsumerOptions o;
    o.context = ctx;
    o.supports_progress = true;
    o.per_consumer_descriptor_channel = "aeron:ipc";
    o.per_consumer_descriptor_stream_id = 31005; // both ask for the same ids: the second gets the next free
    o.per_consumer_control_channel = "aeron:ipc";
    o.per_consumer_control_stream_id = 32005;
    auto c = tp::Consumer::create(o);
    if (!c) {
        std::fprintf(stderr, "consumer: %s\n", c.error().to_string().c_str());
        return 2;
    }
    while (!sh->stop.load()) {
        const int n = c->poll(
            [&](const tp::Frame& f) {
                bool ok = f.payload.size() == FRAME_BYTES;
                for (std::size_t i = 0; ok && i < f.payload.size(); i += 61) {
                    ok = f.payload[i] == content_byte(f.seq, i);
                }
                if (!ok || !f.still_valid()) {
                    sh->corrupt[idx].fetch_add(1);
                }
                sh->delivered[idx].fetch_add(1);
                sh->next_seq[idx].store(f.seq + 1);
            },
            [&](std::uint64_t, std::uint64_t, std::uint8_t state) {
                if (state == 3) {
                    sh->completes[idx].fetch_add(1);
                }
            },
            64);
        const auto s = c->stats();
        sh->granted[idx].store(s.per_consumer_descriptor ? 1 : 0);
        sh->drops[idx].store(s.drops_gap + s.drops_late);
        sh->progress_dropped[idx].store(s.progress_dropped);
        if (n == 0) {
            std::this_thread::sleep_for(50us);
        }
    }
    return 0;
}

auto producer_main(const tp::ClientContext& ctx, Shared* sh) -> int {
    tp::ProducerOptions o;
    o.context = ctx;
    auto p = tp::Producer::create(o);
    if (!p || !p->wait_ready(20000)) {
        return 2;
    }
    // Publish once both consumers use their own streams (frames in flight during a switch may be
    // lost to a consumer, and this test counts every one).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!(sh->granted[0].load() != 0 && sh->granted[1].load() != 0 && p->stats().consumers == CONSUMERS)) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "producer: consumers never granted (%llu, %llu), %u consumers\n",
                         static_cast<unsigned long long>(sh->granted[0].load()),
                         static_cast<unsigned long long>(sh->granted[1].load()), p->stats().consumers);
            return 3;
        }
        p->do_work();
        std::this_thread::sleep_for(1ms); // the producer reads the control stream at its own pace
    }
    for (std::uint64_t seq = 0; seq < FRAMES; ++seq) {
        // No overwrite: stay within half the ring of the slower consumer.
        while (seq >= std::min(sh->next_seq[0].load(), sh->next_seq[1].load()) + 32) {
            p->do_work();
        }
        auto claim = p->try_claim(FRAME_BYTES);
        if (!claim.is_valid()) {
            std::fprintf(stderr, "claim %llu: %s\n", static_cast<unsigned long long>(seq),
                         tp::to_string(claim.result()));
            return 4;
        }
        auto payload = claim.payload();
        const bool with_progress = seq % PROGRESS_EVERY == 0;
        for (std::size_t i = 0; i < payload.size(); ++i) {
            payload[i] = content_byte(claim.seq(), i);
            if (with_progress && (i + 1) % (16 * 1024) == 0) {
                p->report_progress(claim, i + 1);
            }
        }
        if (const auto rc = p->commit(std::move(claim)); rc != tp::PublishResult::Ok) {
            std::fprintf(stderr, "commit %llu: %s\n", static_cast<unsigned long long>(seq), tp::to_string(rc));
            return 5;
        }
        sh->published.store(seq + 1);
        p->do_work();
    }
    while (!sh->stop.load()) {
        p->do_work();
        std::this_thread::sleep_for(1ms);
    }
    return 0;
}

TEST(PerConsumerSystem, TwoConsumerProcessesGetTheirOwnStreamsAndEveryFrame) {
    ClientTestEnv env;
    std::ofstream(env.dir.file("driver.toml")) << env.driver_toml("", 64);
    void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    auto* sh = new (mem) Shared{};
    auto drv = ChildProcess::spawn(tensorpool_exe(), {"driver", "--config", env.dir.file("driver.toml")},
                                   env.dir.file("driver.log"));
    const auto ctx = env.context();
    std::vector<ChildProcess> consumers;
    for (int i = 0; i < CONSUMERS; ++i) {
        consumers.push_back(ChildProcess::fork_function([&ctx, sh, i] { return consumer_main(ctx, sh, i); },
                                                        env.dir.file("consumer" + std::to_string(i) + ".log")));
    }
    auto producer =
        ChildProcess::fork_function([&ctx, sh] { return producer_main(ctx, sh); }, env.dir.file("producer.log"));
    const bool done = tp::test::wait_until(
        [&] {
            return (sh->delivered[0].load() >= FRAMES && sh->delivered[1].load() >= FRAMES &&
                    sh->completes[0].load() >= FRAMES / PROGRESS_EVERY &&
                    sh->completes[1].load() >= FRAMES / PROGRESS_EVERY) ||
                   !producer.running();
        },
        60s, 1ms);
    // Progress counters settle after the last frame; give stragglers a moment to show up as extras.
    std::this_thread::sleep_for(100ms);
    sh->stop.store(true);
    EXPECT_TRUE(done);
    EXPECT_TRUE(producer.wait(20s).ok()) << producer.output();
    for (int i = 0; i < CONSUMERS; ++i) {
        EXPECT_TRUE(consumers[static_cast<std::size_t>(i)].wait(20s).ok())
            << consumers[static_cast<std::size_t>(i)].output();
        EXPECT_EQ(sh->granted[i].load(), 1U) << "consumer " << i << " on its own descriptor stream";
        EXPECT_EQ(sh->delivered[i].load(), FRAMES) << "consumer " << i;
        EXPECT_EQ(sh->corrupt[i].load(), 0U) << "consumer " << i;
        EXPECT_EQ(sh->drops[i].load(), 0U) << "consumer " << i;
        EXPECT_EQ(sh->completes[i].load(), FRAMES / PROGRESS_EVERY) << "consumer " << i << ": one COMPLETE each";
        EXPECT_EQ(sh->progress_dropped[i].load(), 0U) << "consumer " << i;
    }
    EXPECT_EQ(sh->published.load(), FRAMES);
    EXPECT_TRUE(drv.running()) << drv.output();
    ::munmap(mem, sizeof(Shared));
}

} // namespace
