// SPDX-License-Identifier: Apache-2.0
// Steady-state offer / try_claim / poll allocate nothing (the whole process's operator new is
// counted, the conductor thread included).

#include "transport_test_util.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> g_allocations{0};
} // namespace

auto operator new(std::size_t size) -> void* {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
    std::free(p);
}

namespace tp::transport::test {
namespace {

using namespace std::chrono_literals;

/// Counts messages without storing them (storing would allocate).
struct Counter {
    std::uint64_t messages{0};
    std::uint64_t bytes{0};
    void operator()(std::span<const std::uint8_t> m, const MessageHeader& /*header*/) {
        ++messages;
        bytes += m.size();
    }
};

void run_cycles(Publication& pub, Subscription& sub, std::uint64_t cycles) {
    Counter counter;
    std::uint8_t payload[200] = {};
    std::uint64_t sent = 0;
    for (std::uint64_t i = 0; i < cycles; ++i) {
        if (pub.offer(std::span<const std::uint8_t>(payload, 64 + i % 100)) > 0) {
            ++sent;
        }
        BufferClaim claim;
        if (pub.try_claim(48, claim) > 0) {
            claim.buffer()[0] = 1;
            claim.commit();
            ++sent;
        }
        sub.poll(counter, 16);
    }
    const auto deadline = deadline_in(10s);
    while (counter.messages < sent && std::chrono::steady_clock::now() < deadline) {
        sub.poll(counter, 16);
    }
    EXPECT_EQ(counter.messages, sent);
}

TEST(TransportAllocations, TheCounterSeesAllocations) {
    const std::uint64_t before = g_allocations.load();
    auto* p = new std::uint64_t(42); // NOLINT(cppcoreguidelines-owning-memory): counted on purpose
    EXPECT_EQ(*p, 42U);
    delete p; // NOLINT(cppcoreguidelines-owning-memory)
    EXPECT_GE(g_allocations.load() - before, 1U);
}

TEST(TransportAllocations, IpcOfferClaimAndPollAllocateNothing) {
    tp::test::TempDir dir("tp-alloc-", "/dev/shm");
    TransportConfig c;
    c.directory = dir.path();
    auto ctx = TransportContext::create(c);
    ASSERT_TRUE(ctx);
    auto sub = ctx->add_subscription("aeron:ipc?term-length=64k", 4001);
    auto pub = ctx->add_publication("aeron:ipc?term-length=64k", 4001);
    ASSERT_TRUE(sub && pub);
    run_cycles(**pub, **sub, 1000); // warm-up: first image notifications and the like
    const std::uint64_t before = g_allocations.load();
    run_cycles(**pub, **sub, 200'000);
    EXPECT_EQ(g_allocations.load() - before, 0U);
}

TEST(TransportAllocations, UdpOfferClaimAndPollAllocateNothing) {
    tp::test::TempDir dir("tp-alloc-", "/dev/shm");
    TransportConfig c;
    c.directory = dir.path();
    auto ctx = TransportContext::create(c);
    ASSERT_TRUE(ctx);
    auto sub = ctx->add_subscription("aeron:udp?endpoint=127.0.0.1:0|mtu=1408", 4002);
    ASSERT_TRUE(sub);
    auto pub = ctx->add_publication((*sub)->resolved_channel(), 4002);
    ASSERT_TRUE(pub);
    run_cycles(**pub, **sub, 1000);
    const std::uint64_t before = g_allocations.load();
    run_cycles(**pub, **sub, 20'000);
    EXPECT_EQ(g_allocations.load() - before, 0U);
}

} // namespace
} // namespace tp::transport::test
