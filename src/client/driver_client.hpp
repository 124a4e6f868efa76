// SPDX-License-Identifier: Apache-2.0
#pragma once

// The driver client state machine (Driver §4.12.1, SPEC_DECISIONS D-33, D-38, D-39, D-40): attach
// with timeout and exponential backoff, keepalives, validation of the OK contract (§4.2, §4.7a),
// revoke / shutdown / driver-loss handling and re-attach. Pure logic: the owner feeds it decoded
// messages and the time, and it talks through a DriverClientProxy and a listener.

#include "codec/driver_messages.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace tp::client {

using driver::AttachRequest;
using driver::AttachResponse;
using driver::HugepagesPolicy;
using driver::PublishMode;
using driver::Role;

/// State of the driver client.
enum class DriverClientState { Unattached, Attaching, Attached, Detaching, Backoff, Closed };

[[nodiscard]] auto to_string(DriverClientState s) noexcept -> const char*;

/// Why an attached lease was lost.
enum class LeaseLoss { Revoked, Expired, Detached, DriverShutdown, DriverSilent, EpochChanged, KeepaliveFailed };

[[nodiscard]] auto to_string(LeaseLoss l) noexcept -> const char*;

/// Settings of one lease holder.
struct DriverClientConfig {
    std::uint32_t stream_id{10000};
    Role role{Role::Consumer};
    std::uint32_t client_id{0}; ///< 0 = pick a random non-zero id (D-33)
    PublishMode publish_mode{PublishMode::RequireExisting};
    HugepagesPolicy hugepages{HugepagesPolicy::Unspecified};
    std::optional<std::uint32_t> desired_node_id;
    std::uint64_t keepalive_interval_ns{1'000'000'000ULL};
    std::uint64_t attach_timeout_ns{5'000'000'000ULL};
    std::uint64_t retry_backoff_ns{1'000'000'000ULL};      ///< first retry delay
    std::uint64_t max_retry_backoff_ns{10'000'000'000ULL}; ///< cap of the doubling delay
    std::uint64_t announce_period_ns{1'000'000'000ULL};    ///< must equal the driver's
    std::uint64_t seed{0};                                 ///< 0 = from std::random_device
};

/// What the client sends. Implementations return false when the message could not be sent.
class DriverClientProxy {
public:
    virtual ~DriverClientProxy() = default;
    virtual auto send_attach(const AttachRequest& r) -> bool = 0;
    virtual auto send_keepalive(const driver::Keepalive& k) -> bool = 0;
    virtual auto send_detach(const driver::DetachRequest& r) -> bool = 0;
};

/// What the owner (producer, consumer, service) hears.
class DriverClientListener {
public:
    virtual ~DriverClientListener() = default;
    /// A validated OK attach: map the regions and start.
    virtual void on_attached(const AttachResponse& response) = 0;
    /// The lease is gone: stop using mapped regions immediately (Driver §4.7).
    virtual void on_lease_lost(LeaseLoss why) = 0;
    /// A non-OK attach or a protocol error (for logs and counters).
    virtual void on_attach_failed(const AttachResponse& response, const std::string& why) = 0;
};

/// Counters for QoS and stat.
struct DriverClientCounters {
    std::uint64_t attach_requests{0};
    std::uint64_t attach_ok{0};
    std::uint64_t attach_rejected{0};
    std::uint64_t attach_timeouts{0};
    std::uint64_t protocol_errors{0};
    std::uint64_t keepalives_sent{0};
    std::uint64_t leases_lost{0};
};

class DriverClient {
public:
    DriverClient(const DriverClientConfig& config, DriverClientProxy& proxy, DriverClientListener& listener);

    /// Starts attaching (from Unattached/Backoff/Closed).
    void open(std::uint64_t now_ns);
    /// Detaches if attached; the client then stays closed.
    void close(std::uint64_t now_ns);

    void on_attach_response(const AttachResponse& r, std::uint64_t now_ns);
    void on_detach_response(const driver::DetachResponse& r, std::uint64_t now_ns);
    void on_lease_revoked(const driver::LeaseRevoked& r, std::uint64_t now_ns);
    void on_driver_shutdown(const driver::ShutdownNotice& n, std::uint64_t now_ns);
    /// Every accepted ShmPoolAnnounce for this client's stream: driver liveness and, for a
    /// producer, detection of an epoch it did not cause (a restarted driver).
    void on_announce(std::uint32_t stream_id, std::uint64_t epoch, std::uint64_t now_ns);

    /// Timers: attach timeout, backoff, keepalive, driver silence. Returns work done.
    auto do_work(std::uint64_t now_ns) -> int;

    [[nodiscard]] auto state() const noexcept -> DriverClientState { return m_state; }
    [[nodiscard]] auto client_id() const noexcept -> std::uint32_t { return m_client_id; }
    [[nodiscard]] auto lease() const noexcept -> const std::optional<AttachResponse>& { return m_lease; }
    [[nodiscard]] auto node_id() const noexcept -> std::optional<std::uint32_t> { return m_node_id; }
    [[nodiscard]] auto counters() const noexcept -> const DriverClientCounters& { return m_counters; }
    /// The stream id of the lease (the driver may assign a dynamic one, D-36).
    [[nodiscard]] auto stream_id() const noexcept -> std::uint32_t;

    /// Validates an OK response against Driver §4.2 / §4.7a; returns a reason or empty.
    [[nodiscard]] static auto validate_ok(const AttachResponse& r) -> std::string;

private:
    void send_attach(std::uint64_t now_ns);
    void enter_backoff(std::uint64_t now_ns);
    void lose_lease(LeaseLoss why, std::uint64_t now_ns);
    auto random_client_id() -> std::uint32_t;

    DriverClientConfig m_config;
    DriverClientProxy& m_proxy;
    DriverClientListener& m_listener;
    std::mt19937_64 m_rng;
    DriverClientState m_state{DriverClientState::Unattached};
    std::uint32_t m_client_id{0};
    bool m_client_id_configured{false};
    std::int64_t m_next_correlation_id{0};
    std::int64_t m_inflight_correlation_id{0};
    std::optional<AttachResponse> m_lease;
    std::optional<std::uint32_t> m_node_id;
    bool m_desired_node_refused{false};
    std::uint64_t m_deadline_ns{0};
    std::uint64_t m_next_keepalive_ns{0};
    std::uint64_t m_last_announce_ns{0};
    std::uint64_t m_backoff_ns{0};
    DriverClientCounters m_counters;
};

} // namespace tp::client
