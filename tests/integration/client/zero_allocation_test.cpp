// SPDX-License-Identifier: Apache-2.0
// Steady-state publishing (try_claim / commit / do_work) and consuming (poll, which runs the
// consumer's duty cycle) allocate nothing. Global operator new is replaced by a counting version;
// only calls made by this thread while counting is switched on are counted, so the driver's duty
// cycle and the transport's conductor thread stay out of the figure.
#include "client_harness.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

thread_local bool g_counting = false;
std::atomic<std::uint64_t> g_allocations{0};

auto counted_alloc(std::size_t n, std::size_t align) -> void* {
    if (g_counting) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    if (n == 0) {
        n = 1;
    }
    void* p =
        align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align) : std::malloc(n);
    return p;
}

/// Frees memory from counted_alloc. Out of line so the compiler does not pair std::free with the
/// operator new call sites it inlined (a false -Wmismatched-new-delete).
[[gnu::noinline]] void release(void* p) noexcept {
    std::free(p);
}

/// Counts allocations of this thread inside its scope.
struct Counting {
    Counting() { g_counting = true; }
    ~Counting() { g_counting = false; }
    Counting(const Counting&) = delete;
    auto operator=(const Counting&) -> Counting& = delete;
};

} // namespace

auto operator new(std::size_t n) -> void* {
    if (void* p = counted_alloc(n, 0)) {
        return p;
    }
    throw std::bad_alloc();
}
auto operator new[](std::size_t n) -> void* {
    if (void* p = counted_alloc(n, 0)) {
        return p;
    }
    throw std::bad_alloc();
}
auto operator new(std::size_t n, const std::nothrow_t&) noexcept -> void* {
    return counted_alloc(n, 0);
}
auto operator new[](std::size_t n, const std::nothrow_t&) noexcept -> void* {
    return counted_alloc(n, 0);
}
auto operator new(std::size_t n, std::align_val_t a) -> void* {
    if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) {
        return p;
    }
    throw std::bad_alloc();
}
auto operator new[](std::size_t n, std::align_val_t a) -> void* {
    if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    release(p);
}
void operator delete[](void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    release(p);
}

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;

constexpr std::uint64_t FRAMES = 10'000;

TEST(ZeroAllocation, CounterSeesAllocations) {
    // The counting operator new is in effect (otherwise the test below proves nothing).
    const auto before = g_allocations.load();
    {
        Counting on;
        auto* v = new std::vector<int>(100);
        delete v;
    }
    EXPECT_GE(g_allocations.load() - before, 2U);
}

TEST(ZeroAllocation, SteadyStatePublishAndPollAllocateNothing) {
    Harness h;
    tp::ProducerOptions po;
    po.name = "alloc-check"; // DataSourceAnnounce / Meta repeat every second
    ASSERT_TRUE(h.start(po));
    h.producer->set_metadata({{"exposure_us", "text/plain", "250"}});
    tp::ConsumerOptions co;
    co.per_consumer_descriptor_channel = "aeron:ipc"; // hellos carry a request
    co.per_consumer_descriptor_stream_id = 31005;
    const auto c = h.add_consumer(co);
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] { return h.consumer(c).stats().per_consumer_descriptor; }));

    const std::int32_t shape[] = {16, 16};
    std::uint64_t delivered = 0;
    std::uint64_t checksum = 0;
    auto on_frame = [&](const tp::Frame& f) {
        ++delivered;
        checksum += static_cast<std::uint64_t>(f.payload[0]);
    };
    auto publish = [&](std::uint64_t i) {
        auto claim = h.producer->try_claim(256);
        if (!claim.is_valid()) {
            return claim.result();
        }
        claim.payload()[0] = static_cast<std::byte>(i);
        claim.set_dtype(tp::Dtype::Uint8).set_shape(shape);
        return h.producer->commit(std::move(claim));
    };

    // Warm-up: every periodic path (announce, keepalive, hello, QoS, metadata) runs at least once.
    const auto warm_until = std::chrono::steady_clock::now() + 1500ms;
    std::uint64_t i = 0;
    while (std::chrono::steady_clock::now() < warm_until) {
        const auto rc = publish(i++);
        ASSERT_EQ(rc, tp::PublishResult::Ok) << tp::to_string(rc) << " at frame " << i;
        h.driver->do_work();
        h.producer->do_work();
        (void)h.consumer(c).poll(on_frame);
    }

    // Measured: FRAMES frames, spread over at least 1.5 s so the periodic paths run again.
    const auto first = delivered;
    const auto start = std::chrono::steady_clock::now();
    const auto spacing = std::chrono::microseconds(150);
    auto next = start;
    std::uint64_t published = 0;
    std::uint64_t failures = 0;
    std::uint64_t counted = 0;
    while (published < FRAMES || delivered - first < FRAMES) {
        h.driver->do_work(); // not counted: the driver is not part of the client
        const auto before = g_allocations.load();
        {
            Counting on;
            if (published < FRAMES && std::chrono::steady_clock::now() >= next) {
                failures += publish(i++) == tp::PublishResult::Ok ? 0 : 1;
                ++published;
                next += spacing;
            }
            h.producer->do_work();
            (void)h.consumer(c).poll(on_frame);
        }
        counted += g_allocations.load() - before;
        if (std::chrono::steady_clock::now() - start > 30s) {
            break;
        }
    }
    EXPECT_EQ(failures, 0U);
    EXPECT_EQ(delivered - first, FRAMES);
    EXPECT_EQ(counted, 0U) << "allocations in steady state";
    EXPECT_GE(h.consumer(c).stats().meta_version, 1U);
    EXPECT_EQ(h.consumer(c).metadata("exposure_us").value_or(""), "250");
    (void)checksum;
}

} // namespace
