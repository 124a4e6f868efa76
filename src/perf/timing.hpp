// SPDX-License-Identifier: Apache-2.0
#pragma once

// Timing for measurements: a cheap tick counter, percentiles of samples, a stop/deadline guard for
// spin loops, and CPU pinning.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tp::perf {

/// Timestamp counter in ticks (rdtsc on x86-64, steady_clock ns elsewhere).
[[nodiscard]] inline auto ticks() noexcept -> std::uint64_t {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

/// Ticks per nanosecond, calibrated against steady_clock over `calibration` (1.0 without rdtsc).
[[nodiscard]] auto ticks_per_ns(std::chrono::milliseconds calibration = std::chrono::milliseconds(200)) -> double;

/// p50 / p99 / p99.9 of a sample set, and how many samples it had.
struct Percentiles {
    double p50{0};
    double p99{0};
    double p999{0};
    std::uint64_t samples{0};
};

/// Sorts `samples` and returns its percentiles, each divided by `divisor` (e.g. ticks per ns).
/// All zero for an empty set.
[[nodiscard]] auto percentiles_of(std::vector<std::uint64_t>& samples, double divisor = 1.0) -> Percentiles;

/// A busy-spin wait for measurement loops that gives the CPU away now and then: a pause hint per
/// idle iteration and a sched_yield() every 256th. On a machine with a free core per spinning
/// process the yields return at once; when two spinning processes share a CPU (other load took
/// the rest), the yield hands the CPU to the peer in microseconds instead of at the end of a
/// scheduler time slice (milliseconds).
class SpinYield {
public:
    /// One idle iteration.
    void idle() noexcept;
    /// After work was found.
    void reset() noexcept { m_idle = 0; }

private:
    std::uint32_t m_idle{0};
};

/// Pins the calling thread to `cpu` when the machine has more than one CPU (ignored otherwise).
void pin_to_cpu(int cpu) noexcept;

/// For measurement spin loops: false once `stop` is set or the time limit has passed (checked every
/// 4096 calls, so the common path is one relaxed load of a line that stays in L1).
class SpinGuard {
public:
    SpinGuard(const std::atomic<bool>& stop, std::chrono::nanoseconds limit) noexcept
        : m_stop(stop), m_deadline(std::chrono::steady_clock::now() + limit) {}

    [[nodiscard]] auto ok() noexcept -> bool {
        // relaxed: a stop request needs no ordering with the measured data.
        if (m_stop.load(std::memory_order_relaxed)) {
            return false;
        }
        if ((++m_calls & 0xFFFU) == 0 && std::chrono::steady_clock::now() > m_deadline) {
            m_expired = true;
        }
        return !m_expired;
    }
    /// True when ok() turned false because of the time limit.
    [[nodiscard]] auto expired() const noexcept -> bool { return m_expired; }

private:
    const std::atomic<bool>& m_stop;
    std::chrono::steady_clock::time_point m_deadline;
    std::uint64_t m_calls{0};
    bool m_expired{false};
};

} // namespace tp::perf
