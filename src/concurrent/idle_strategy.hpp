// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "concurrent/atomic_ops.hpp"

#include <chrono>
#include <cstdint>
#include <thread>

namespace tp::concurrent {

/// Spins without yielding (lowest latency, burns a core).
class BusySpinIdleStrategy {
public:
    void idle(int work_count) noexcept {
        if (work_count <= 0) {
            cpu_relax();
        }
    }
    void reset() noexcept {}
};

/// Yields the CPU when there was no work.
class YieldingIdleStrategy {
public:
    void idle(int work_count) noexcept {
        if (work_count <= 0) {
            std::this_thread::yield();
        }
    }
    void reset() noexcept {}
};

/// Sleeps a fixed period when there was no work.
class SleepingIdleStrategy {
public:
    explicit SleepingIdleStrategy(std::chrono::nanoseconds period = std::chrono::milliseconds(1)) noexcept
        : m_period(period) {}
    void idle(int work_count) const noexcept {
        if (work_count <= 0) {
            std::this_thread::sleep_for(m_period);
        }
    }
    void reset() noexcept {}

private:
    std::chrono::nanoseconds m_period;
};

/// Agrona's backoff: spin, then yield, then park with exponentially growing sleeps. An idle agent
/// on this strategy uses almost no CPU, and wakes within max_park of new work.
class BackoffIdleStrategy {
public:
    BackoffIdleStrategy(std::uint32_t max_spins = 10, std::uint32_t max_yields = 5,
                        std::chrono::nanoseconds min_park = std::chrono::microseconds(1),
                        std::chrono::nanoseconds max_park = std::chrono::milliseconds(1)) noexcept
        : m_max_spins(max_spins), m_max_yields(max_yields), m_min_park(min_park), m_max_park(max_park),
          m_park(min_park) {}

    void idle(int work_count) noexcept {
        if (work_count > 0) {
            reset();
            return;
        }
        if (m_spins < m_max_spins) {
            ++m_spins;
            cpu_relax();
        } else if (m_yields < m_max_yields) {
            ++m_yields;
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(m_park);
            m_park = std::min(m_park * 2, m_max_park);
        }
    }
    void reset() noexcept {
        m_spins = 0;
        m_yields = 0;
        m_park = m_min_park;
    }

private:
    std::uint32_t m_max_spins;
    std::uint32_t m_max_yields;
    std::chrono::nanoseconds m_min_park;
    std::chrono::nanoseconds m_max_park;
    std::uint32_t m_spins{0};
    std::uint32_t m_yields{0};
    std::chrono::nanoseconds m_park;
};

} // namespace tp::concurrent
