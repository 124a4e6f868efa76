// SPDX-License-Identifier: Apache-2.0
#pragma once

// Driver attach round trip: ShmAttachRequest on the control stream -> the matching OK
// ShmAttachResponse, each attach followed by a detach (not timed).

#include "perf/timing.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace tp::perf {

/// Attach round trips in nanoseconds.
struct AttachRoundTrip {
    Percentiles ns;
    std::uint64_t refused{0}; ///< responses other than OK (not sampled)
    bool ok{false};           ///< false when stopped, timed out or no transport
};

/// Runs `iterations` consumer attach + detach round trips (after 10% warm-up) against a driver
/// listening on the built-in transport in `transport_dir`, on the default control stream
/// (aeron:ipc?term-length=4m, 1000), for logical stream `stream_id`.
[[nodiscard]] auto attach_round_trip(const std::string& transport_dir, std::uint32_t stream_id, int iterations,
                                     const std::atomic<bool>& stop) -> AttachRoundTrip;

} // namespace tp::perf
