// SPDX-License-Identifier: Apache-2.0
#pragma once

// The SHM driver as an embeddable object: owns the shared memory, grants leases, announces
// regions (Driver Model spec). `tensorpool driver --config FILE` runs one as a process.

#include "tensorpool/error.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tp {

/// A snapshot of the driver's counters (for `tensorpool stat` and monitoring).
struct DriverStats {
    std::uint64_t streams{0};         ///< streams with an epoch
    std::uint64_t producer_leases{0}; ///< active producer leases
    std::uint64_t consumer_leases{0}; ///< active consumer leases
    std::uint64_t attaches_ok{0};
    std::array<std::uint64_t, 5> attach_rejects{}; ///< by ResponseCode (1 UNSUPPORTED … 4 INTERNAL_ERROR)
    std::uint64_t keepalives{0};
    std::uint64_t keepalives_ignored{0};
    std::uint64_t detaches{0};
    std::uint64_t expiries{0};
    std::uint64_t revocations{0};
    std::uint64_t epoch_bumps{0};
    std::uint64_t announces{0};
    std::uint64_t malformed_messages{0};
    std::uint64_t offers_failed{0};
};

/// Lifecycle of a driver.
enum class DriverRunState { Running, Draining, Stopped };

/// The SHM driver. Single-threaded: call do_work() from one thread (or run()). Move-only.
class Driver {
public:
    struct Impl;

    /// Loads a TOML configuration file (environment overrides apply, see docs/CONFIG.md),
    /// validates it and starts: creates the transport endpoints and the SHM base directories.
    /// Errors name the configuration key or the file that was wrong.
    [[nodiscard]] static auto create_from_file(const std::string& path) -> Expected<Driver>;
    /// The same from TOML text (handy for embedding and tests).
    [[nodiscard]] static auto create_from_toml(const std::string& toml_text) -> Expected<Driver>;

    Driver(Driver&&) noexcept;
    auto operator=(Driver&&) noexcept -> Driver&;
    Driver(const Driver&) = delete;
    auto operator=(const Driver&) -> Driver& = delete;
    /// Stops without draining (leases end with the process); see request_shutdown().
    ~Driver();

    /// One duty cycle: control messages, lease expiry, announces. Returns the work done.
    auto do_work() -> int;
    /// Runs duty cycles with a backoff idle strategy until `stop` is set or the driver stopped.
    /// Setting `stop` starts a graceful shutdown; run() returns when it completes.
    void run(const std::atomic<bool>& stop);
    /// Starts a graceful shutdown: draining, a final announce, then ShmDriverShutdown after
    /// policies.shutdown_timeout_ms.
    void request_shutdown();
    [[nodiscard]] auto run_state() const -> DriverRunState;
    [[nodiscard]] auto stats() const -> DriverStats;
    /// driver.instance_id.
    [[nodiscard]] auto instance_id() const -> const std::string&;
    /// Configuration warnings (unknown keys) collected at load.
    [[nodiscard]] auto warnings() const -> const std::vector<std::string>&;
    /// One line per configured stream and the endpoints, for start-up logs.
    [[nodiscard]] auto describe() const -> std::string;

private:
    explicit Driver(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace tp
