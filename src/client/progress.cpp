// SPDX-License-Identifier: Apache-2.0
#include "client/progress.hpp"

namespace tp::client {

void ProgressThrottle::begin(std::uint64_t seq, const ProgressPolicy& policy, std::uint64_t row_bytes,
                             std::uint64_t now_ns) noexcept {
    m_policy = policy;
    m_row_bytes = row_bytes;
    m_seq = seq;
    m_last_sent_bytes = 0;
    m_last_sent_ns = now_ns; // STARTED counts as a send
    m_has_pending = false;
    m_active = true;
}

auto ProgressThrottle::due(std::uint64_t level, std::uint64_t now_ns) const noexcept -> bool {
    if (now_ns - m_last_sent_ns < m_policy.interval_ns) {
        return false;
    }
    const std::uint64_t advanced = level - m_last_sent_bytes;
    if (advanced >= m_policy.bytes_delta) {
        return true;
    }
    // Row threshold, when the consumers hinted one and the row size is known.
    return m_policy.major_delta_units != 0 && m_row_bytes != 0 &&
           advanced >= std::uint64_t{m_policy.major_delta_units} * m_row_bytes;
}

auto ProgressThrottle::update(std::uint64_t bytes_filled, std::uint64_t now_ns) noexcept
    -> std::optional<std::uint64_t> {
    if (!m_active || bytes_filled <= m_last_sent_bytes) {
        return std::nullopt; // never regress (Wire §10.2.2)
    }
    if (due(bytes_filled, now_ns)) {
        m_last_sent_bytes = bytes_filled;
        m_last_sent_ns = now_ns;
        m_has_pending = false;
        return bytes_filled;
    }
    m_pending = bytes_filled;
    m_has_pending = true;
    return std::nullopt;
}

auto ProgressThrottle::poll(std::uint64_t now_ns) noexcept -> std::optional<std::uint64_t> {
    if (!m_active || !m_has_pending || !due(m_pending, now_ns)) {
        return std::nullopt;
    }
    // "always send the latest state when the interval elapses", once it has also advanced by the
    // delta threshold: without the threshold a duty cycle faster than the fill rate would send
    // every tiny advance (Wire §10.2.2 "only when payload_bytes_filled advances by a threshold").
    m_last_sent_bytes = m_pending;
    m_last_sent_ns = now_ns;
    m_has_pending = false;
    return m_last_sent_bytes;
}

void ProgressTracker::reset(std::uint32_t stream_id, std::uint64_t epoch) noexcept {
    m_stream_id = stream_id;
    m_epoch = epoch;
    m_seq = UINT64_MAX;
    m_last_bytes = 0;
}

auto ProgressTracker::check(std::uint32_t stream_id, std::uint64_t epoch, std::uint64_t seq, std::uint64_t bytes_filled,
                            std::uint64_t values_len) noexcept -> Verdict {
    Verdict v = Verdict::Accept;
    if (stream_id != m_stream_id) {
        v = Verdict::WrongStream;
    } else if (epoch != m_epoch) {
        v = Verdict::WrongEpoch;
    } else if (values_len != 0 && bytes_filled > values_len) {
        v = Verdict::BeyondValuesLen;
    } else if (seq == m_seq && bytes_filled < m_last_bytes) {
        v = Verdict::Regressed;
    }
    if (v != Verdict::Accept) {
        ++m_drops;
        return v;
    }
    if (seq != m_seq) {
        m_seq = seq;
    }
    m_last_bytes = bytes_filled;
    return v;
}

} // namespace tp::client
