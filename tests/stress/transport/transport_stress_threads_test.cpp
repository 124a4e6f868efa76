// SPDX-License-Identifier: Apache-2.0
// Races on one IPC log between threads: several publishers, several subscribers, subscribers
// joining and leaving, a small log that wraps thousands of times. Built and run under
// ThreadSanitizer (`cmake --preset tsan`, target transport_stress_threads_test). Bounded in time.

#include "../../integration/transport/transport_test_util.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace tp::transport::test {
namespace {

using namespace std::chrono_literals;

constexpr int PUBLISHERS = 3;
constexpr int SUBSCRIBERS = 2;
constexpr std::uint64_t MAX_PER_PUBLISHER = 60'000;
constexpr auto RUN_TIME = 4s;
const std::string CHANNEL = "aeron:ipc?term-length=64k";
constexpr std::int32_t STREAM = 5001;

/// Checks per-publisher order and integrity on the fly; keeps counts only.
struct OrderChecker {
    std::uint64_t next[PUBLISHERS] = {};
    bool seen[PUBLISHERS] = {};
    std::uint64_t total{0};
    std::uint64_t errors{0};
    bool contiguous{true}; ///< every sequence from 0; false for late joiners (from their first message on)
    void operator()(std::span<const std::uint8_t> bytes, const MessageHeader& header) {
        const Received r = decode_message(bytes, header);
        if (!r.intact || r.publisher >= PUBLISHERS) {
            ++errors;
            return;
        }
        if ((contiguous || seen[r.publisher]) && r.seq != next[r.publisher]) {
            ++errors;
        }
        seen[r.publisher] = true;
        next[r.publisher] = r.seq + 1;
        ++total;
    }
};

TEST(TransportStressThreads, PublishersSubscribersAndChurnOnOneLog) {
    tp::test::TempDir dir("tp-stress-", "/dev/shm");
    TransportConfig c;
    c.directory = dir.path();
    // Generous: under ThreadSanitizer a thread may not poll for a long while without being dead.
    c.subscriber_liveness_timeout = 30s;
    c.publisher_liveness_timeout = 30s;
    c.unblock_timeout = 30s;
    auto ctx = TransportContext::create(c);
    ASSERT_TRUE(ctx) << ctx.error().to_string();

    std::vector<std::unique_ptr<Subscription>> subs;
    for (int i = 0; i < SUBSCRIBERS; ++i) {
        auto sub = ctx->add_subscription(CHANNEL, STREAM);
        ASSERT_TRUE(sub) << sub.error().to_string();
        subs.push_back(std::move(*sub));
    }
    std::vector<std::unique_ptr<Publication>> pubs;
    for (int i = 0; i < PUBLISHERS; ++i) {
        auto pub = ctx->add_publication(CHANNEL, STREAM);
        ASSERT_TRUE(pub) << pub.error().to_string();
        pubs.push_back(std::move(*pub));
    }

    const auto stop_at = deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(RUN_TIME));
    std::atomic<int> publishers_done{0};
    std::vector<std::uint64_t> sent(PUBLISHERS, 0);
    std::vector<std::thread> threads;
    for (int p = 0; p < PUBLISHERS; ++p) {
        threads.emplace_back([&, p] {
            std::uint64_t seq = 0;
            while (seq < MAX_PER_PUBLISHER && std::chrono::steady_clock::now() < stop_at) {
                const auto size = static_cast<std::size_t>((seq * 37U + static_cast<std::uint64_t>(p)) % 700U);
                if (seq % 3 == 0) {
                    const auto m = make_message(static_cast<std::uint32_t>(p), seq, size);
                    if (pubs[static_cast<std::size_t>(p)]->offer(m) > 0) {
                        ++seq;
                    }
                } else {
                    BufferClaim claim;
                    const auto m = make_message(static_cast<std::uint32_t>(p), seq, size);
                    if (pubs[static_cast<std::size_t>(p)]->try_claim(m.size(), claim) > 0) {
                        std::copy(m.begin(), m.end(), claim.buffer().begin());
                        claim.commit();
                        ++seq;
                    }
                }
            }
            sent[static_cast<std::size_t>(p)] = seq;
            publishers_done.fetch_add(1, std::memory_order_release);
        });
    }
    std::vector<OrderChecker> checkers(SUBSCRIBERS);
    for (int s = 0; s < SUBSCRIBERS; ++s) {
        threads.emplace_back([&, s] {
            OrderChecker& checker = checkers[static_cast<std::size_t>(s)];
            Subscription& sub = *subs[static_cast<std::size_t>(s)];
            // Poll until the publishers are done, then drain what is left.
            while (publishers_done.load(std::memory_order_acquire) < PUBLISHERS) {
                if (sub.poll(checker, 50) == 0) {
                    std::this_thread::yield();
                }
            }
            const auto drain_deadline = deadline_in(20s);
            int idle = 0;
            while (idle < 1000 && std::chrono::steady_clock::now() < drain_deadline) {
                idle = sub.poll(checker, 50) == 0 ? idle + 1 : 0;
            }
        });
    }
    // Churn: subscribers come and go while the others run; each sees an ordered suffix.
    std::uint64_t churn_errors = 0;
    std::uint64_t churn_rounds = 0;
    threads.emplace_back([&] {
        while (publishers_done.load(std::memory_order_acquire) < PUBLISHERS) {
            auto sub = ctx->add_subscription(CHANNEL, STREAM);
            if (!sub) {
                ++churn_errors;
                return;
            }
            OrderChecker checker;
            checker.contiguous = false;
            for (int i = 0; i < 200; ++i) {
                (*sub)->poll(checker, 20);
            }
            churn_errors += checker.errors;
            ++churn_rounds;
        }
    });
    for (auto& t : threads) {
        t.join();
    }

    std::uint64_t total_sent = 0;
    for (int p = 0; p < PUBLISHERS; ++p) {
        EXPECT_GT(sent[static_cast<std::size_t>(p)], 0U);
        total_sent += sent[static_cast<std::size_t>(p)];
    }
    for (int s = 0; s < SUBSCRIBERS; ++s) {
        const OrderChecker& checker = checkers[static_cast<std::size_t>(s)];
        EXPECT_EQ(checker.errors, 0U) << "subscriber " << s;
        EXPECT_EQ(checker.total, total_sent) << "subscriber " << s << " missed messages";
        for (int p = 0; p < PUBLISHERS; ++p) {
            EXPECT_EQ(checker.next[p], sent[static_cast<std::size_t>(p)]) << "subscriber " << s << " publisher " << p;
        }
        EXPECT_EQ(subs[static_cast<std::size_t>(s)]->counters().rejoins, 0U);
    }
    std::printf("sent %llu messages from %d publishers, %llu subscriber churn rounds\n",
                static_cast<unsigned long long>(total_sent), PUBLISHERS, static_cast<unsigned long long>(churn_rounds));
    EXPECT_EQ(churn_errors, 0U);
    EXPECT_GT(churn_rounds, 0U);
}

} // namespace
} // namespace tp::transport::test
