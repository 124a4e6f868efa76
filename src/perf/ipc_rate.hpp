// SPDX-License-Identifier: Apache-2.0
#pragma once

// Message rate of a transport: one publisher (this process) and one subscriber (a forked child)
// on one IPC stream.

#include "tensorpool/transport.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tp::perf {

/// One-way transport throughput.
struct MessageRate {
    double msgs_per_s{0};
    double bytes_per_ns{0}; ///< payload bytes: GB/s
    bool ok{false};         ///< false when stopped, timed out or the subscriber failed
};

/// Publishes `count` messages of `size` bytes on `channel` / `stream_id` of a built-in transport in
/// `dir` (invoker mode: no conductor thread) to a subscriber in a forked child, pinned to CPU 1 and
/// this process to CPU 0 when `pin`. The rate is the subscriber's: messages / (last - first arrival).
[[nodiscard]] auto ipc_message_rate(const std::string& dir, std::size_t size, std::uint64_t count,
                                    const std::atomic<bool>& stop, bool pin = false,
                                    const std::string& channel = "aeron:ipc?term-length=4m",
                                    std::int32_t stream_id = 201) -> MessageRate;

/// The same over any transport: the publisher's context uses `config` (with the Aeron backend
/// it may host an embedded media driver), the subscriber's the same without the embedded driver.
[[nodiscard]] auto message_rate(const transport::TransportConfig& config, std::size_t size, std::uint64_t count,
                                const std::atomic<bool>& stop, bool pin = false,
                                const std::string& channel = "aeron:ipc?term-length=4m", std::int32_t stream_id = 201)
    -> MessageRate;

} // namespace tp::perf
