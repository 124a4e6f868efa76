// SPDX-License-Identifier: Apache-2.0
#include "perf/baselines.hpp"

#include "concurrent/atomic_ops.hpp"
#include "perf/pattern.hpp"
#include "perf/process.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include <sys/mman.h>

namespace tp::perf {

namespace {

struct StreamShared {
    alignas(64) std::uint64_t published{0}; ///< frames filled
    alignas(64) std::uint64_t consumed{0};  ///< frames summed
    alignas(64) std::uint64_t stop{0};
    std::uint64_t bad{0};
    double gb_per_s{0};
    double best_gb_per_s{0};
};

struct PingPong {
    alignas(128) std::uint64_t ping{0};
    alignas(128) std::uint64_t pong{0};
};

/// A private anonymous mapping, touched page by page so no page fault lands in a timed pass.
class Buffer {
public:
    explicit Buffer(std::size_t bytes) : m_bytes(bytes) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        m_data = p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
        if (m_data != nullptr) {
            std::memset(m_data, 0x5A, bytes);
        }
    }
    Buffer(const Buffer&) = delete;
    auto operator=(const Buffer&) -> Buffer& = delete;
    ~Buffer() {
        if (m_data != nullptr) {
            ::munmap(m_data, m_bytes);
        }
    }
    [[nodiscard]] auto data() const noexcept -> std::byte* { return m_data; }

private:
    std::size_t m_bytes;
    std::byte* m_data{nullptr};
};

} // namespace

auto cache_line_round_trip(std::uint64_t rounds, double ticks_per_ns, const std::atomic<bool>& stop, bool pin)
    -> RoundTrip {
    SharedMapping<PingPong> sh;
    if (!sh.valid() || rounds == 0) {
        return {};
    }
    const std::uint64_t warmup = rounds / 10;
    const std::uint64_t total = rounds + warmup;
    PingPong* pp = sh.get();
    Child echo = Child::fork(
        [pp, total] {
            for (std::uint64_t i = 1; i <= total; ++i) {
                // SYNC POINT(pingpong-ping): acquire pairs with the parent's release store of ping.
                while (concurrent::load_acquire(&pp->ping) != i) {
                    concurrent::cpu_relax();
                }
                // SYNC POINT(pingpong-pong): release pairs with the parent's acquire load of pong.
                concurrent::store_release(&pp->pong, i);
            }
            return 0;
        },
        pin ? 1 : -1);
    if (!echo.valid()) {
        return {};
    }
    if (pin) {
        pin_to_cpu(0);
    }
    std::vector<std::uint64_t> samples;
    samples.reserve(rounds);
    SpinGuard guard(stop, std::chrono::seconds(60));
    bool ok = true;
    for (std::uint64_t i = 1; i <= total && ok; ++i) {
        const std::uint64_t t0 = ticks();
        // SYNC POINT(pingpong-ping): release pairs with the child's acquire load.
        concurrent::store_release(&pp->ping, i);
        // SYNC POINT(pingpong-pong): acquire pairs with the child's release store.
        while (concurrent::load_acquire(&pp->pong) != i) {
            if (!guard.ok()) {
                ok = false;
                break;
            }
        }
        const std::uint64_t t1 = ticks();
        if (i > warmup && ok) {
            samples.push_back(t1 - t0);
        }
    }
    if (!ok) {
        echo.kill();
        return {};
    }
    RoundTrip r;
    r.ok = echo.wait(std::chrono::seconds(10));
    r.ns = percentiles_of(samples, ticks_per_ns);
    return r;
}

auto memcpy_bandwidth(const std::vector<std::size_t>& blocks, std::size_t working_set, double seconds, int trials,
                      const std::atomic<bool>& stop) -> std::map<std::size_t, double> {
    std::map<std::size_t, double> out;
    if (blocks.empty() || trials <= 0) {
        return out;
    }
    const std::size_t largest = *std::max_element(blocks.begin(), blocks.end());
    const std::size_t bytes = std::max(working_set, 2 * largest);
    Buffer src(bytes);
    Buffer dst(bytes);
    if (src.data() == nullptr || dst.data() == nullptr) {
        return out;
    }
    const auto pass = std::chrono::duration<double>(seconds / trials);
    for (const std::size_t block : blocks) {
        if (block == 0) {
            continue;
        }
        const std::size_t nblocks = bytes / block;
        // Check the clock about every 4 MiB copied (at least every copy for large blocks).
        const std::size_t check_every = std::max<std::size_t>(1, (4U << 20U) / block);
        double best = 0.0;
        std::size_t k = 0;
        for (int t = 0; t < trials; ++t) {
            std::uint64_t copied = 0;
            const auto t0 = std::chrono::steady_clock::now();
            auto now = t0;
            while (now - t0 < pass) {
                for (std::size_t n = 0; n < check_every; ++n) {
                    std::memcpy(dst.data() + k * block, src.data() + k * block, block);
                    asm volatile("" : : "r"(dst.data()) : "memory"); // keep every copy
                    k = k + 1 == nblocks ? 0 : k + 1;
                }
                copied += check_every * block;
                now = std::chrono::steady_clock::now();
                // relaxed: a stop request needs no ordering.
                if (stop.load(std::memory_order_relaxed)) {
                    return {};
                }
            }
            const double ns =
                static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count());
            best = std::max(best, static_cast<double>(copied) / ns);
        }
        out[block] = best;
    }
    return out;
}

auto stream_bandwidth(std::size_t frame, std::size_t stride, std::uint32_t nslots, std::uint32_t window, double seconds,
                      Stores stores, const std::atomic<bool>& stop) -> StreamBandwidth {
    if (frame == 0 || frame > stride || nslots < 2 || window == 0 || window >= nslots) {
        return {};
    }
    const std::size_t bytes = stride * nslots;
    auto* ring = static_cast<std::byte*>(map_shared_bytes(bytes));
    SharedMapping<StreamShared> sh;
    if (ring == nullptr || !sh.valid()) {
        unmap_shared_bytes(ring, bytes);
        return {};
    }
    StreamShared* ss = sh.get();
    const std::uint64_t warmup = 2ULL * nslots;
    Child consumer = Child::fork([=] {
        constexpr int WINDOWS = 8;
        std::uint64_t k = 0;
        std::chrono::steady_clock::time_point t0{};
        std::chrono::steady_clock::time_point sub0{};
        std::uint64_t k0 = 0;
        std::uint64_t sub_k0 = 0;
        int sub = 0;
        const auto sub_len = std::chrono::duration<double>(seconds / WINDOWS);
        SpinYield spin;
        for (;;) {
            // SYNC POINT(stream-publish): acquire pairs with the filler's release of `published`.
            while (concurrent::load_acquire(&ss->published) <= k) {
                if (concurrent::load_relaxed(&ss->stop) != 0) { // relaxed: a request flag
                    return 1;
                }
                spin.idle();
            }
            spin.reset();
            if (!check_pattern(ring + (k % nslots) * stride, frame, k)) {
                ++ss->bad;
            }
            ++k;
            // SYNC POINT(stream-credit): release pairs with the filler's acquire of `consumed`.
            concurrent::store_release(&ss->consumed, k);
            if (k == warmup) {
                t0 = sub0 = std::chrono::steady_clock::now();
                k0 = sub_k0 = k;
            } else if (k > warmup) {
                const auto now = std::chrono::steady_clock::now();
                if (now - sub0 >= sub_len) {
                    const double gbs =
                        static_cast<double>((k - sub_k0) * frame) /
                        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sub0).count());
                    ss->best_gb_per_s = std::max(ss->best_gb_per_s, gbs);
                    sub0 = now;
                    sub_k0 = k;
                    if (++sub == WINDOWS) {
                        ss->gb_per_s =
                            static_cast<double>((k - k0) * frame) /
                            static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count());
                        // SYNC POINT(stream-done): release pairs with the filler's acquire of `stop`.
                        concurrent::store_release(&ss->stop, std::uint64_t{2});
                        return 0;
                    }
                }
            }
        }
    });
    SpinGuard guard(stop, std::chrono::seconds(60) +
                              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::duration<double>(seconds)));
    bool ok = consumer.valid();
    SpinYield spin;
    for (std::uint64_t k = 0; ok; ++k) {
        // SYNC POINT(stream-credit): acquire pairs with the consumer's release of `consumed`.
        while (k >= concurrent::load_acquire(&ss->consumed) + window) {
            if (concurrent::load_acquire(&ss->stop) != 0 || !guard.ok()) {
                break;
            }
            spin.idle();
        }
        spin.reset();
        // SYNC POINT(stream-done): acquire pairs with the consumer's release.
        if (concurrent::load_acquire(&ss->stop) != 0 || !guard.ok()) {
            break;
        }
        fill_pattern(ring + (k % nslots) * stride, frame, k, stores);
        // SYNC POINT(stream-publish): release pairs with the consumer's acquire.
        concurrent::store_release(&ss->published, k + 1);
    }
    concurrent::store_release(&ss->stop, std::uint64_t{1});
    StreamBandwidth r;
    r.ok = consumer.wait(std::chrono::seconds(10)) && ss->bad == 0;
    r.gb_per_s = ss->gb_per_s;
    r.best_gb_per_s = ss->best_gb_per_s;
    unmap_shared_bytes(ring, bytes);
    if (!r.ok) {
        return {};
    }
    return r;
}

} // namespace tp::perf
