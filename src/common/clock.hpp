// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace tp::common {

/// CLOCK_MONOTONIC in nanoseconds (SPEC_DECISIONS D-03: every local timestamp and epoch).
[[nodiscard]] inline auto monotonic_ns() noexcept -> std::uint64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// CLOCK_REALTIME in nanoseconds (REALTIME_SYNCED announces and trace ids only).
[[nodiscard]] inline auto realtime_ns() noexcept -> std::uint64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// The clock an agent reads once per duty cycle. Injected so tests can drive time by hand.
class Clock {
public:
    virtual ~Clock() = default;
    /// Monotonic nanoseconds.
    [[nodiscard]] virtual auto monotonic_ns() const noexcept -> std::uint64_t = 0;
    /// Wall-clock nanoseconds since the Unix epoch.
    [[nodiscard]] virtual auto realtime_ns() const noexcept -> std::uint64_t = 0;
};

/// The system clocks.
class SystemClock final : public Clock {
public:
    [[nodiscard]] auto monotonic_ns() const noexcept -> std::uint64_t override { return common::monotonic_ns(); }
    [[nodiscard]] auto realtime_ns() const noexcept -> std::uint64_t override { return common::realtime_ns(); }
    /// A process-wide instance.
    [[nodiscard]] static auto instance() noexcept -> SystemClock& {
        static SystemClock clock;
        return clock;
    }
};

/// A clock advanced by hand (tests). Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::uint64_t start_ns = 1'000'000'000ULL) noexcept : m_now(start_ns) {}
    [[nodiscard]] auto monotonic_ns() const noexcept -> std::uint64_t override {
        return m_now.load(std::memory_order_relaxed); // relaxed: test clock, no data published through it
    }
    [[nodiscard]] auto realtime_ns() const noexcept -> std::uint64_t override {
        return 1'700'000'000'000'000'000ULL + m_now.load(std::memory_order_relaxed);
    }
    void advance_ns(std::uint64_t delta) noexcept { m_now.fetch_add(delta, std::memory_order_relaxed); }
    void set_ns(std::uint64_t now) noexcept { m_now.store(now, std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_now;
};

} // namespace tp::common
