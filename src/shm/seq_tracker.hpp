// SPDX-License-Identifier: Apache-2.0
#pragma once

// Consumer-side sequence tracking and drop accounting (W §15.2, §15.3, §15.4; D-25, D-29).
//
//   tracker.reset(mapped_epoch);                       // after each (re)map
//   switch (tracker.on_descriptor(desc.epoch, desc.seq)) {
//   case SeqEvent::Regression: remap(); break;         // D-25
//   case SeqEvent::EpochMismatch: case SeqEvent::Duplicate: break;   // dropped
//   default:                                           // First, InOrder, Gap, Resync: read it
//       ReadResult r = reader.read(desc.epoch, desc.seq, frame);
//       ... use, then still_valid() ...
//       tracker.on_read_result(desc.seq, final_result);
//   }
//
// Every sequence from the first one read to the last one asked for ends up in exactly one of
// accepted, drops_gap (never asked for) and drops_late (asked for, dropped).

#include "shm/read_result.hpp"

#include <cstdint>

namespace tp::shm {

/// What on_descriptor decided about a descriptor.
enum class SeqEvent : std::uint8_t {
    First,         ///< first seq since reset: read it
    InOrder,       ///< seq = last seen + 1: read it
    Gap,           ///< seq > last seen + 1: the missing ones were added to drops_gap; read it
    Resync,        ///< a gap > max_outstanding_seq_gap (W §15.4): counted, resynced to seq; read it
    Duplicate,     ///< seq already seen (≥ last accepted): drop, nothing counted
    Regression,    ///< D-25: seq below the last accepted in this epoch: drop, unmap and remap
    EpochMismatch, ///< D-25: descriptor epoch ≠ mapped epoch: drop
};

/// Drop counters (QosConsumer fields, D-29, plus diagnostics).
struct SeqCounters {
    std::uint64_t accepted{0};
    std::uint64_t drops_gap{0};  ///< seqs never seen (W §15.4)
    std::uint64_t drops_late{0}; ///< seqs seen but dropped: seqlock or validation (W §15.3, D-29)
    std::uint64_t resyncs{0};
    std::uint64_t regressions{0};
    std::uint64_t epoch_mismatches{0};
    std::uint64_t duplicates{0};
};

/// Per-stream seq tracker. Not thread-safe (one consumer thread); no allocation.
class SeqTracker {
public:
    /// W §15.4 default: 256. 0 disables resync.
    static constexpr std::uint64_t DEFAULT_MAX_OUTSTANDING_SEQ_GAP = 256;

    explicit SeqTracker(std::uint64_t max_outstanding_seq_gap = DEFAULT_MAX_OUTSTANDING_SEQ_GAP) noexcept
        : m_max_gap(max_outstanding_seq_gap) {}

    /// Starts tracking a newly mapped epoch: forgets seqs; counters are kept.
    void reset(std::uint64_t mapped_epoch) noexcept;

    /// Classifies a descriptor (see SeqEvent) and does the gap accounting.
    auto on_descriptor(std::uint64_t epoch, std::uint64_t seq) noexcept -> SeqEvent;

    /// Records the final outcome of reading `seq` (after still_valid() for zero-copy use):
    /// Ok → accepted, anything else → drops_late.
    void on_read_result(std::uint64_t seq, ReadResult result) noexcept;

    /// Counters so far.
    [[nodiscard]] auto counters() const noexcept -> const SeqCounters& { return m_counters; }
    /// The mapped epoch tracked.
    [[nodiscard]] auto epoch() const noexcept -> std::uint64_t { return m_epoch; }
    /// Last accepted seq (valid if has_accepted()).
    [[nodiscard]] auto last_accepted() const noexcept -> std::uint64_t { return m_last_accepted; }
    [[nodiscard]] auto has_accepted() const noexcept -> bool { return m_has_accepted; }
    /// Highest seq seen in this epoch (valid if has_seen()).
    [[nodiscard]] auto last_seen() const noexcept -> std::uint64_t { return m_last_seen; }
    [[nodiscard]] auto has_seen() const noexcept -> bool { return m_has_seen; }

private:
    std::uint64_t m_max_gap;
    std::uint64_t m_epoch{0};
    std::uint64_t m_last_seen{0};
    std::uint64_t m_last_accepted{0};
    bool m_has_seen{false};
    bool m_has_accepted{false};
    SeqCounters m_counters{};
};

} // namespace tp::shm
