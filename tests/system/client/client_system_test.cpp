// SPDX-License-Identifier: Apache-2.0
// Producers and consumers in separate processes around a real `tensorpool driver` process.
// Children report through a shared anonymous mapping; the parent waits on those counters with
// deadlines.
#include "client_test_env.hpp"

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>

#include <sys/mman.h>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::test::ChildProcess;
using tp::test::ClientTestEnv;

/// Counters shared with forked children (MAP_SHARED | MAP_ANONYMOUS, inherited across fork).
struct Shared {
    std::atomic<std::uint64_t> consumer_next[2]; ///< next seq each consumer expects
    std::atomic<std::uint64_t> delivered[2];
    std::atomic<std::uint64_t> corrupt[2];
    std::atomic<std::uint64_t> max_epoch[2];
    std::atomic<std::uint64_t> old_epoch_after_new[2];
    std::atomic<std::uint64_t> drops[2];
    std::atomic<std::uint64_t> epochs_seen[2];
    std::atomic<std::uint64_t> published;
    std::atomic<std::uint64_t> producer_epoch;
    std::atomic<bool> stop;
};

auto make_shared_block() -> Shared* {
    void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED);
    return new (p) Shared{};
}

/// Deterministic content: byte i of frame seq.
inline auto content_byte(std::uint64_t seq, std::size_t i) -> std::byte {
    return static_cast<std::byte>((seq * 2654435761ULL + i * 40503ULL) >> 7);
}

auto tensorpool_exe() -> std::string {
    return tp::test::binary_dir() + "/apps/tensorpool/tensorpool";
}

class ClientSystemTest : public ::testing::Test {
protected:
    void SetUp() override {
        shared = make_shared_block();
        std::ofstream(env.dir.file("driver.toml")) << env.driver_toml("lease_expiry_grace_intervals = 3", 64);
    }
    void TearDown() override { ::munmap(shared, sizeof(Shared)); }
    auto start_driver(const std::string& log = "driver.log") -> ChildProcess {
        return ChildProcess::spawn(tensorpool_exe(), {"driver", "--config", env.dir.file("driver.toml")},
                                   env.dir.file(log));
    }
    auto wait(const std::function<bool()>& pred, std::chrono::milliseconds t = 30s) -> bool {
        return tp::test::wait_until(pred, t, std::chrono::milliseconds(1));
    }

    ClientTestEnv env;
    Shared* shared{nullptr};
};

// A consumer child: verifies content, records epochs, reports progress through `shared`.
auto consumer_main(const tp::ClientContext& ctx, Shared* sh, int idx, bool verify) -> int {
    tp::ConsumerOptions o;
    o.context = ctx;
    auto c = tp::Consumer::create(o);
    if (!c) {
        std::fprintf(stderr, "consumer: %s\n", c.error().to_string().c_str());
        return 2;
    }
    while (!sh->stop.load()) {
        int n = c->poll(
            [&](const tp::Frame& f) {
                const auto max_epoch = sh->max_epoch[idx].load();
                if (f.epoch > max_epoch) {
                    sh->max_epoch[idx].store(f.epoch);
                    sh->epochs_seen[idx].fetch_add(1);
                } else if (f.epoch < max_epoch) {
                    sh->old_epoch_after_new[idx].fetch_add(1);
                }
                bool ok = true;
                if (verify) {
                    for (std::size_t i = 0; i < f.payload.size(); i += 1) {
                        if (f.payload[i] != content_byte(f.seq, i)) {
                            ok = false;
                            break;
                        }
                    }
                    const auto esize = tp::element_size(f.dtype);
                    std::size_t elems = 1;
                    for (std::size_t d = 0; d < f.ndims; ++d) {
                        elems *= static_cast<std::size_t>(f.dims[d]);
                    }
                    ok = ok && elems * esize == f.payload.size() && f.still_valid();
                }
                if (!ok) {
                    sh->corrupt[idx].fetch_add(1);
                }
                sh->delivered[idx].fetch_add(1);
                sh->consumer_next[idx].store(f.seq + 1);
            },
            64);
        if (n == 0) {
            std::this_thread::sleep_for(50us);
        }
        auto s = c->stats();
        sh->drops[idx].store(s.drops_gap + s.drops_late);
    }
    return 0;
}

TEST_F(ClientSystemTest, TenThousandMixedFramesAcrossProcessesBitExact) {
    auto drv = start_driver();
    const auto ctx = env.context();
    Shared* sh = shared;
    auto consumer =
        ChildProcess::fork_function([&] { return consumer_main(ctx, sh, 0, true); }, env.dir.file("consumer.log"));
    auto producer = ChildProcess::fork_function(
        [&] {
            tp::ProducerOptions o;
            o.context = ctx;
            auto p = tp::Producer::create(o);
            if (!p || !p->wait_ready(20000)) {
                return 2;
            }
            // Wait until the consumer is mapped (it sends hellos): then publish 10,000 frames.
            const auto deadline = std::chrono::steady_clock::now() + 20s;
            while (p->stats().consumers == 0 && std::chrono::steady_clock::now() < deadline) {
                p->do_work();
                std::this_thread::sleep_for(1ms);
            }
            std::mt19937_64 rng(99);
            const tp::Dtype dtypes[] = {tp::Dtype::Uint8,   tp::Dtype::Int8,    tp::Dtype::Uint16,  tp::Dtype::Int16,
                                        tp::Dtype::Uint32,  tp::Dtype::Int32,   tp::Dtype::Uint64,  tp::Dtype::Int64,
                                        tp::Dtype::Float32, tp::Dtype::Float64, tp::Dtype::Boolean, tp::Dtype::Bytes};
            for (std::uint64_t seq = 0; seq < 10000; ++seq) {
                // No overwrite: stay within half the ring of the consumer.
                while (seq >= sh->consumer_next[0].load() + 32) {
                    p->do_work();
                }
                const auto dtype = dtypes[seq % 12];
                const std::size_t esize = tp::element_size(dtype);
                std::size_t bytes = seq % 97 == 0 ? 0 : seq % 101 == 0 ? 1048576 : rng() % 300000;
                if (seq % 503 == 0) {
                    bytes = 1048576 - (1048576 % esize);
                }
                const auto elems = static_cast<std::int32_t>(bytes / esize);
                const std::size_t ndims = 1 + seq % 8;
                std::int32_t shape[8] = {elems, 1, 1, 1, 1, 1, 1, 1};
                std::swap(shape[0], shape[seq % ndims]);
                auto claim = p->try_claim(static_cast<std::size_t>(elems) * esize);
                if (!claim.is_valid()) {
                    std::fprintf(stderr, "claim %llu failed: %s\n", static_cast<unsigned long long>(seq),
                                 tp::to_string(claim.result()));
                    return 3;
                }
                auto payload = claim.payload();
                for (std::size_t i = 0; i < payload.size(); ++i) {
                    payload[i] = content_byte(claim.seq(), i);
                }
                claim.set_dtype(dtype).set_shape(std::span<const std::int32_t>(shape, ndims));
                auto rc = p->commit(std::move(claim));
                if (rc != tp::PublishResult::Ok) {
                    std::fprintf(stderr, "commit %llu: %s\n", static_cast<unsigned long long>(seq), tp::to_string(rc));
                    return 4;
                }
                sh->published.store(seq + 1);
                p->do_work();
            }
            while (!sh->stop.load()) {
                p->do_work();
                std::this_thread::sleep_for(1ms);
            }
            return 0;
        },
        env.dir.file("producer.log"));
    const bool done = wait([&] { return sh->delivered[0].load() >= 10000 || !producer.running(); }, 120s);
    sh->stop.store(true);
    EXPECT_TRUE(done);
    EXPECT_TRUE(producer.wait(20s).ok()) << producer.output();
    EXPECT_TRUE(consumer.wait(20s).ok()) << consumer.output();
    EXPECT_EQ(sh->published.load(), 10000U) << producer.output();
    EXPECT_EQ(sh->delivered[0].load(), 10000U);
    EXPECT_EQ(sh->corrupt[0].load(), 0U);
    EXPECT_EQ(sh->drops[0].load(), 0U) << "QoS drops (gap + late)";
}

// A producer child that publishes small frames continuously, forever.
auto endless_producer(const tp::ClientContext& ctx, Shared* sh) -> int {
    tp::ProducerOptions o;
    o.context = ctx;
    auto p = tp::Producer::create(o);
    if (!p) {
        return 2;
    }
    std::vector<std::byte> data(1024);
    const std::int32_t shape[] = {1024};
    while (!sh->stop.load()) {
        p->do_work();
        if (p->is_ready()) {
            sh->producer_epoch.store(p->stats().epoch);
            for (std::size_t i = 0; i < data.size(); ++i) {
                data[i] = content_byte(p->stats().next_seq, i);
            }
            (void)p->publish(data, shape, tp::Dtype::Uint8);
        }
        std::this_thread::sleep_for(500us);
    }
    return 0;
}

TEST_F(ClientSystemTest, KilledProducerTwoConsumersRemapToTheNewProducer) {
    auto drv = start_driver();
    const auto ctx = env.context();
    Shared* sh = shared;
    auto c0 = ChildProcess::fork_function([&] { return consumer_main(ctx, sh, 0, true); }, env.dir.file("c0.log"));
    auto c1 = ChildProcess::fork_function([&] { return consumer_main(ctx, sh, 1, true); }, env.dir.file("c1.log"));
    auto p1 = ChildProcess::fork_function([&] { return endless_producer(ctx, sh); }, env.dir.file("p1.log"));
    ASSERT_TRUE(wait([&] { return sh->delivered[0].load() > 100 && sh->delivered[1].load() > 100; }))
        << p1.output() << c0.output();
    const auto first_epoch = sh->max_epoch[0].load();
    p1.kill(SIGKILL);
    p1.wait(5s);
    const auto before0 = sh->delivered[0].load();
    auto p2 = ChildProcess::fork_function([&] { return endless_producer(ctx, sh); }, env.dir.file("p2.log"));
    ASSERT_TRUE(wait([&] {
        return sh->max_epoch[0].load() > first_epoch && sh->max_epoch[1].load() > first_epoch &&
               sh->delivered[0].load() > before0 + 100;
    })) << p2.output();
    sh->stop.store(true);
    for (auto* c : {&c0, &c1, &p2}) {
        EXPECT_TRUE(c->wait(20s).ok()) << c->output();
    }
    EXPECT_EQ(sh->old_epoch_after_new[0].load(), 0U) << "no old-epoch frame after the new epoch";
    EXPECT_EQ(sh->old_epoch_after_new[1].load(), 0U);
    EXPECT_EQ(sh->corrupt[0].load() + sh->corrupt[1].load(), 0U);
}

TEST_F(ClientSystemTest, DriverKilledAndRestartedClientsReattachByThemselves) {
    auto drv = start_driver("driver1.log");
    const auto ctx = env.context();
    Shared* sh = shared;
    auto c0 = ChildProcess::fork_function([&] { return consumer_main(ctx, sh, 0, true); }, env.dir.file("c0.log"));
    auto p1 = ChildProcess::fork_function([&] { return endless_producer(ctx, sh); }, env.dir.file("p1.log"));
    ASSERT_TRUE(wait([&] { return sh->delivered[0].load() > 50; })) << p1.output() << c0.output();
    const auto first_epoch = sh->max_epoch[0].load();
    drv.kill(SIGKILL);
    drv.wait(5s);
    auto drv2 = start_driver("driver2.log");
    ASSERT_TRUE(wait([&] { return sh->max_epoch[0].load() > first_epoch; }, 60s)) << "consumer log:\n"
                                                                                  << c0.output() << "\nproducer log:\n"
                                                                                  << p1.output() << "\ndriver2 log:\n"
                                                                                  << drv2.output();
    const auto after = sh->delivered[0].load();
    EXPECT_TRUE(wait([&] { return sh->delivered[0].load() > after + 50; }));
    sh->stop.store(true);
    EXPECT_TRUE(c0.wait(20s).ok());
    EXPECT_TRUE(p1.wait(20s).ok());
    EXPECT_EQ(sh->corrupt[0].load(), 0U);
}

} // namespace
