// SPDX-License-Identifier: Apache-2.0
#pragma once

// The driver's duty cycle: polls the control stream, decodes with the generated codecs through
// the dispatcher (malformed input is a counted drop), feeds DriverState, and publishes what the
// state machine emits (the DriverProxy port) on the control and announce streams.

#include "codec/dispatch.hpp"
#include "common/clock.hpp"
#include "driver/driver_state.hpp"
#include "tensorpool/transport.hpp"

#include <array>
#include <memory>

namespace tp::driver {

/// Counters of the conductor's I/O.
struct ConductorCounters {
    std::uint64_t messages_in{0};
    std::uint64_t offers_failed{0}; ///< messages that could not be published (back-pressure, not connected)
    std::uint64_t encode_failed{0};
};

class DriverConductor final : private DriverProxy {
public:
    /// Creates the control subscription and the control / announce publications.
    static auto create(const DriverConfig& config, transport::TransportContext& transport,
                       RegionProvisioner& provisioner, const common::Clock& clock, std::uint64_t lease_id_seed)
        -> Expected<std::unique_ptr<DriverConductor>>;

    /// One duty cycle: poll up to `fragment_limit` control messages, then timers.
    auto do_work(int fragment_limit = 64) -> int;

    [[nodiscard]] auto state() noexcept -> DriverState& { return *m_state; }
    [[nodiscard]] auto state() const noexcept -> const DriverState& { return *m_state; }
    [[nodiscard]] auto dispatch_counters() const noexcept -> const codec::DispatchCounters& {
        return m_dispatch_counters;
    }
    [[nodiscard]] auto counters() const noexcept -> const ConductorCounters& { return m_counters; }

    // Dispatch targets (called by the dispatcher).
    void operator()(codec::driver::ShmAttachRequest& m);
    void operator()(codec::driver::ShmDetachRequest& m);
    void operator()(codec::driver::ShmLeaseKeepalive& m);
    void operator()(codec::driver::ShmDriverShutdownRequest& m);

private:
    DriverConductor(const DriverConfig& config, RegionProvisioner& provisioner, const common::Clock& clock,
                    std::uint64_t lease_id_seed);

    void on_fragment(std::span<const std::uint8_t> message);
    void publish(transport::Publication& pub, std::size_t length);

    void send_attach_response(const AttachResponse& r) override;
    void send_detach_response(const DetachResponse& r) override;
    void send_lease_revoked(const LeaseRevoked& r) override;
    void send_announce(const PoolAnnounce& a) override;
    void send_shutdown(const ShutdownNotice& n) override;

    std::unique_ptr<DriverState> m_state;
    std::unique_ptr<transport::Subscription> m_control_sub;
    std::unique_ptr<transport::Publication> m_control_pub;
    std::unique_ptr<transport::Publication> m_announce_pub; ///< null when announce = control stream
    codec::DispatchCounters m_dispatch_counters;
    ConductorCounters m_counters;
    std::array<std::uint8_t, 64 * 1024> m_buffer{};
};

} // namespace tp::driver
