// SPDX-License-Identifier: Apache-2.0
#pragma once

// FrameProgress pacing on the producer (Wire §10.2.2 throttling guidance, D-28) and the
// consumer-side acceptance of progress (prefix safety rules). Allocation-free.

#include "client/consumer_registry.hpp"

#include <cstdint>
#include <optional>

namespace tp::client {

/// FrameProgressState (schema 900).
enum class ProgressState : std::uint8_t { Unknown = 0, Started = 1, Progress = 2, Complete = 3 };

/// Paces PROGRESS messages of one frame: at most one per interval and only when the fill level
/// advanced by the byte delta (or the row delta, when rows are known); the latest level is sent
/// when the interval elapses; COMPLETE always goes out.
class ProgressThrottle {
public:
    /// A new frame: returns true when STARTED should be sent (always, with a policy).
    void begin(std::uint64_t seq, const ProgressPolicy& policy, std::uint64_t row_bytes, std::uint64_t now_ns) noexcept;
    /// The fill level advanced; returns the level to report now, if any.
    auto update(std::uint64_t bytes_filled, std::uint64_t now_ns) noexcept -> std::optional<std::uint64_t>;
    /// Call from the duty cycle: returns a pending level whose interval has elapsed.
    auto poll(std::uint64_t now_ns) noexcept -> std::optional<std::uint64_t>;
    [[nodiscard]] auto seq() const noexcept -> std::uint64_t { return m_seq; }
    [[nodiscard]] auto active() const noexcept -> bool { return m_active; }
    void end() noexcept { m_active = false; }

private:
    auto due(std::uint64_t level, std::uint64_t now_ns) const noexcept -> bool;

    ProgressPolicy m_policy{};
    std::uint64_t m_row_bytes{0};
    std::uint64_t m_seq{0};
    std::uint64_t m_last_sent_bytes{0};
    std::uint64_t m_last_sent_ns{0};
    std::uint64_t m_pending{0};
    bool m_has_pending{false};
    bool m_active{false};
};

/// Consumer-side check of FrameProgress for the frame being tracked (D-28, Wire §10.2.2):
/// stream and epoch match, bytes within values_len, non-decreasing per seq.
class ProgressTracker {
public:
    enum class Verdict { Accept, WrongStream, WrongEpoch, BeyondValuesLen, Regressed };

    /// `values_len` comes from the slot header of `seq` (0 if unknown yet: then only
    /// monotonicity applies).
    auto check(std::uint32_t stream_id, std::uint64_t epoch, std::uint64_t seq, std::uint64_t bytes_filled,
               std::uint64_t values_len) noexcept -> Verdict;
    void reset(std::uint32_t stream_id, std::uint64_t epoch) noexcept;
    [[nodiscard]] auto drops() const noexcept -> std::uint64_t { return m_drops; }

private:
    std::uint32_t m_stream_id{0};
    std::uint64_t m_epoch{0};
    std::uint64_t m_seq{UINT64_MAX};
    std::uint64_t m_last_bytes{0};
    std::uint64_t m_drops{0};
};

/// RATE_LIMITED delivery gate (Wire §11 note): a fixed period of 1e9 / max_rate_hz ns between
/// delivered frames, measured on the frame's timestamp (descriptor, else slot, else local clock).
class RateGate {
public:
    explicit RateGate(std::uint32_t max_rate_hz = 0) noexcept { set_rate(max_rate_hz); }
    void set_rate(std::uint32_t max_rate_hz) noexcept {
        m_period_ns = max_rate_hz == 0 ? 0 : 1'000'000'000ULL / max_rate_hz;
    }
    /// True if a frame with this timestamp may be delivered; records it when so.
    auto allow(std::uint64_t timestamp_ns) noexcept -> bool {
        if (m_period_ns == 0) {
            return true;
        }
        if (m_has_last && timestamp_ns >= m_last_ns && timestamp_ns - m_last_ns < m_period_ns) {
            return false;
        }
        m_last_ns = timestamp_ns;
        m_has_last = true;
        return true;
    }
    void reset() noexcept { m_has_last = false; }
    [[nodiscard]] auto period_ns() const noexcept -> std::uint64_t { return m_period_ns; }

private:
    std::uint64_t m_period_ns{0};
    std::uint64_t m_last_ns{0};
    bool m_has_last{false};
};

} // namespace tp::client
