// SPDX-License-Identifier: Apache-2.0
#pragma once

// The model behind `tensorpool stat`: a client::SupervisorTable fed from the announce, control,
// QoS and metadata streams, plus driver-wide counts seen on the control stream, rendered as a
// table or as one JSON snapshot.

#include "client/supervisor_table.hpp"
#include "codec/dispatch.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace tp::apps {

/// Driver-wide outcomes seen on the control stream since stat started.
struct DriverCounts {
    std::uint64_t attaches_ok{0};                           ///< ShmAttachResponse with code OK
    std::map<std::string, std::uint64_t> attaches_rejected; ///< other ShmAttachResponse, by code name
    std::uint64_t detaches{0};                              ///< ShmDetachResponse, any code
    std::map<std::string, std::uint64_t> revocations;       ///< ShmLeaseRevoked, by reason name
    std::uint64_t shutdowns{0};                             ///< ShmDriverShutdown
    std::string last_shutdown_reason;                       ///< of the last ShmDriverShutdown
    std::string last_shutdown_message;                      ///< of the last ShmDriverShutdown
};

/// Collects what stat shows. Not thread-safe: one thread feeds and renders it.
class StatView {
public:
    /// `stale_after_ns`: a stream whose last announce is older is flagged stale.
    explicit StatView(std::uint64_t stale_after_ns) : m_table(stale_after_ns) {}

    /// Dispatches one received message (header first). Malformed messages are counted, never
    /// thrown; types stat does not use are counted as ignored.
    void on_message(std::span<const std::uint8_t> bytes, std::uint64_t now_ns);
    /// Forgets consumers and streams not heard from for `forget_after_ns`.
    void expire(std::uint64_t now_ns, std::uint64_t forget_after_ns) { m_table.expire(now_ns, forget_after_ns); }

    /// {"streams": [...], "driver": {...}, "messages": {...}}; see docs/USAGE.md.
    [[nodiscard]] auto to_json(std::uint64_t now_ns) const -> nlohmann::ordered_json;
    /// A fixed-width table, one row per stream and one indented row per consumer, then a driver line.
    [[nodiscard]] auto render_text(std::uint64_t now_ns) const -> std::string;

    /// The table (for tests and other views).
    [[nodiscard]] auto table() const noexcept -> const client::SupervisorTable& { return m_table; }
    /// Driver-wide counts.
    [[nodiscard]] auto driver() const noexcept -> const DriverCounts& { return m_driver; }
    /// Dispatch outcomes (delivered, ignored, drops by reason).
    [[nodiscard]] auto counters() const noexcept -> const codec::DispatchCounters& { return m_counters; }

private:
    friend struct StatHandler;

    client::SupervisorTable m_table;
    DriverCounts m_driver;
    codec::DispatchCounters m_counters;
};

} // namespace tp::apps
