// SPDX-License-Identifier: Apache-2.0
#include "shm/seq_tracker.hpp"

namespace tp::shm {

void SeqTracker::reset(std::uint64_t mapped_epoch) noexcept {
    m_epoch = mapped_epoch;
    m_has_seen = false;
    m_has_accepted = false;
    m_last_seen = 0;
    m_last_accepted = 0;
}

auto SeqTracker::on_descriptor(std::uint64_t epoch, std::uint64_t seq) noexcept -> SeqEvent {
    if (epoch != m_epoch) {
        ++m_counters.epoch_mismatches; // D-25, W §15.21: hard boundary
        return SeqEvent::EpochMismatch;
    }
    if (!m_has_seen) {
        m_has_seen = true;
        m_last_seen = seq;
        return SeqEvent::First;
    }
    if (seq <= m_last_seen) {
        if (m_has_accepted && seq < m_last_accepted) {
            // D-25, W §15.2: a regression within an epoch means the regions can't be trusted.
            ++m_counters.regressions;
            return SeqEvent::Regression;
        }
        ++m_counters.duplicates;
        return SeqEvent::Duplicate;
    }
    const std::uint64_t gap = seq - m_last_seen - 1;
    m_last_seen = seq;
    if (gap == 0) {
        return SeqEvent::InOrder;
    }
    // W §15.4: gaps count as drops_gap. Unlike a reset of the reference point, a resync keeps
    // counting from the new seq, so later gaps are still counted.
    m_counters.drops_gap += gap;
    if (m_max_gap != 0 && gap > m_max_gap) {
        ++m_counters.resyncs;
        return SeqEvent::Resync;
    }
    return SeqEvent::Gap;
}

void SeqTracker::on_read_result(std::uint64_t seq, ReadResult result) noexcept {
    if (result == ReadResult::Ok) {
        ++m_counters.accepted;
        if (!m_has_accepted || seq > m_last_accepted) {
            m_last_accepted = seq;
        }
        m_has_accepted = true;
    } else {
        ++m_counters.drops_late; // W §15.3, D-29: seen but rejected
    }
}

} // namespace tp::shm
