// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading the slot tables of an IPC log: who is live, and where the slowest subscriber is.

#include "transport/builtin/ipc/ipc_log.hpp"

#include <cstdint>

namespace tp::transport::ipc {

/// Live subscribers and the lowest position among them.
struct SubscriberScan {
    int live{0};
    std::int64_t min_position{0}; ///< valid when live > 0
};

/// Scans the subscriber slots: a subscriber is live while ACTIVE with a heartbeat no older than
/// `timeout_ns` at `now_ns` (coarse clock).
[[nodiscard]] auto scan_subscribers(const IpcLog& log, std::int64_t now_ns, std::int64_t timeout_ns) noexcept
    -> SubscriberScan;

/// Number of live publishers: ACTIVE with a heartbeat no older than `timeout_ns`.
[[nodiscard]] auto count_live_publishers(const IpcLog& log, std::int64_t now_ns, std::int64_t timeout_ns) noexcept
    -> int;

/// True when `heartbeat_ns` is no older than `timeout_ns` at `now_ns`. A heartbeat slightly ahead
/// of `now_ns` (another CPU read the coarse clock a tick later) counts as fresh.
[[nodiscard]] constexpr auto is_fresh(std::int64_t heartbeat_ns, std::int64_t now_ns, std::int64_t timeout_ns) noexcept
    -> bool {
    return now_ns - heartbeat_ns <= timeout_ns;
}

} // namespace tp::transport::ipc
