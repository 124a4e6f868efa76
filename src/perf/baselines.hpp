// SPDX-License-Identifier: Apache-2.0
#pragma once

// The machine's own limits, measured in the same run as the figures they are compared with:
// the cross-process cache-line round trip (the floor of any cross-process notification) and
// single-thread memcpy bandwidth (the cost of touching every byte once on each side).

#include "perf/pattern.hpp"
#include "perf/timing.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace tp::perf {

/// Result of a round-trip measurement, in nanoseconds.
struct RoundTrip {
    Percentiles ns;
    bool ok{false}; ///< false when stopped, timed out or the helper process failed
};

/// Two processes (this one and a forked child, pinned to CPUs 0 and 1 when `pin`) bounce one
/// 8-byte counter in a MAP_SHARED mapping: this side stores i with release and spins until the
/// child echoes i. `rounds` samples after `rounds / 10` warm-up rounds, timed with ticks().
[[nodiscard]] auto cache_line_round_trip(std::uint64_t rounds, double ticks_per_ns, const std::atomic<bool>& stop,
                                         bool pin = false) -> RoundTrip;

/// Single-thread memcpy bandwidth in GB/s (1e9 bytes per second) for copies of each of `blocks`
/// bytes. Source and destination are separate mappings of at least `working_set` bytes each (and
/// of 2 blocks), prefaulted once and walked block after block, so for working sets beyond the
/// last-level cache every copy streams from and to memory. For each block size, the best of
/// `trials` timed passes of about `seconds / trials` each. Empty when stopped or on mapping failure.
[[nodiscard]] auto memcpy_bandwidth(const std::vector<std::size_t>& blocks, std::size_t working_set, double seconds,
                                    int trials, const std::atomic<bool>& stop) -> std::map<std::size_t, double>;

/// Result of a raw frame-streaming measurement.
struct StreamBandwidth {
    double gb_per_s{0};      ///< mean over the measurement, as the consumer saw it
    double best_gb_per_s{0}; ///< best of 8 equal sub-windows
    bool ok{false};          ///< false when stopped, timed out or the helper process failed
};

/// The same data movement as a shared-memory frame pipeline, without any protocol: this process
/// fills frames of `frame` bytes (fill_pattern) in a ring of `nslots` slots `stride` bytes apart in
/// a MAP_SHARED mapping, staying at most `window` frames ahead of a forked consumer that sums every
/// byte (check_pattern) and hands back a credit per frame. Two laps of warm-up, then `seconds`.
[[nodiscard]] auto stream_bandwidth(std::size_t frame, std::size_t stride, std::uint32_t nslots, std::uint32_t window,
                                    double seconds, Stores stores, const std::atomic<bool>& stop) -> StreamBandwidth;

} // namespace tp::perf
