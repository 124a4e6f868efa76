// SPDX-License-Identifier: Apache-2.0
#pragma once

// The SHM driver's state machine (Driver Model spec with SPEC_DECISIONS D-22, D-31 … D-42):
// streams, epochs, leases, node ids, announces, shutdown. Single-threaded: the conductor calls
// the on_* handlers with decoded requests and do_work() once per duty cycle. Time comes from the
// injected clock, read once per call.

#include "codec/driver_messages.hpp"
#include "common/clock.hpp"
#include "driver/driver_config.hpp"
#include "driver/driver_ports.hpp"
#include "driver/node_id_allocator.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tp::driver {

/// Lifecycle of the driver.
enum class DriverPhase { Running, Draining, Stopped };

/// Counters for `tensorpool stat` and tests.
struct DriverCounters {
    std::uint64_t attaches_ok{0};
    std::array<std::uint64_t, 5> attach_rejects{}; ///< indexed by ResponseCode (index 0 unused)
    std::uint64_t attach_duplicates{0};
    std::uint64_t keepalives{0};
    std::uint64_t keepalives_ignored{0};
    std::uint64_t detaches_ok{0};
    std::uint64_t detaches_rejected{0};
    std::uint64_t expiries{0};
    std::uint64_t revocations{0};
    std::uint64_t epoch_bumps{0};
    std::uint64_t announces{0};
    std::uint64_t provision_failures{0};
    std::uint64_t shutdown_requests_ignored{0};
    std::uint64_t malformed_messages{0}; ///< incremented by the adapter
};

/// An active lease.
struct Lease {
    std::uint64_t lease_id{0};
    std::uint32_t stream_id{0};
    std::uint32_t client_id{0};
    Role role{Role::Consumer};
    std::uint64_t expiry_ns{0};
    std::optional<std::uint32_t> node_id;
};

/// A stream the driver knows (configured or dynamic).
struct StreamState {
    std::uint32_t stream_id{0};
    const ProfileConfig* profile{nullptr};
    bool dynamic{false};
    bool hugepages{false};
    std::uint64_t epoch{0};  ///< 0 = never provisioned
    bool provisioned{false}; ///< regions of `epoch` exist
    StreamLayout layout;
    std::optional<std::uint64_t> producer_lease;
    std::uint32_t producer_client_id{0};
    std::uint32_t lease_count{0};
};

class DriverState {
public:
    /// `lease_id_seed` is random in production (D-33) and fixed in tests.
    DriverState(const DriverConfig& config, RegionProvisioner& provisioner, DriverProxy& proxy,
                const common::Clock& clock, std::uint64_t lease_id_seed);

    /// Start-up work: epoch GC of configured streams when policies.epoch_gc_on_startup.
    void start();

    void on_attach(const AttachRequest& req);
    void on_detach(const DetachRequest& req);
    void on_keepalive(const Keepalive& ka);
    void on_shutdown_request(const ShutdownRequest& req);

    /// Begins a graceful shutdown (also used for SIGINT/SIGTERM): drain, then ShmDriverShutdown.
    void begin_shutdown(ShutdownReason reason, const std::string& message);

    /// Lease expiry, periodic announces, drain completion. Returns work done.
    auto do_work() -> int;

    [[nodiscard]] auto phase() const noexcept -> DriverPhase { return m_phase; }
    [[nodiscard]] auto counters() const noexcept -> const DriverCounters& { return m_counters; }
    [[nodiscard]] auto counters() noexcept -> DriverCounters& { return m_counters; }
    [[nodiscard]] auto streams() const noexcept -> const std::map<std::uint32_t, StreamState>& { return m_streams; }
    [[nodiscard]] auto leases() const noexcept -> const std::map<std::uint64_t, Lease>& { return m_leases; }
    [[nodiscard]] auto lease_count(Role role) const -> std::size_t;

    /// Removes every region this driver created when policies.cleanup_shm_on_exit is set.
    void close();

private:
    auto handle_attach(const AttachRequest& req, std::uint64_t now) -> AttachResponse;
    auto resolve_stream(const AttachRequest& req, PublishMode mode, AttachResponse& rsp) -> StreamState*;
    auto check_hugepages(std::uint8_t policy, AttachResponse& rsp) const -> std::optional<bool>;
    auto bump_epoch(StreamState& s, std::uint64_t now) -> bool;
    void invalidate(const Lease& lease, RevokeReason reason, std::uint64_t now, const std::string& why);
    void announce(const StreamState& s, std::uint64_t now);
    void announce_all(std::uint64_t now);
    auto next_lease_id() -> std::uint64_t;
    static auto reject(AttachResponse& rsp, ResponseCode code, const std::string& msg) -> AttachResponse&;
    auto find_lease_by_client(std::uint32_t client_id) const -> const Lease*;
    void remember_response(std::uint32_t client_id, const AttachResponse& rsp);
    auto find_remembered(std::uint32_t client_id, std::int64_t correlation_id) const -> const AttachResponse*;

    const DriverConfig& m_config;
    RegionProvisioner& m_provisioner;
    DriverProxy& m_proxy;
    const common::Clock& m_clock;
    NodeIdAllocator m_node_ids;
    std::map<std::uint32_t, StreamState> m_streams;
    std::map<std::uint64_t, Lease> m_leases;
    struct Remembered {
        std::uint32_t client_id;
        AttachResponse response;
    };
    std::deque<Remembered> m_recent_responses;
    DriverCounters m_counters;
    DriverPhase m_phase{DriverPhase::Running};
    std::uint64_t m_next_lease_id;
    std::uint64_t m_lease_duration_ns;
    std::uint64_t m_announce_period_ns;
    std::uint64_t m_next_announce_ns{0};
    std::uint64_t m_next_expiry_check_ns{0};
    std::uint64_t m_drain_deadline_ns{0};
    ShutdownNotice m_pending_shutdown;
};

} // namespace tp::driver
