// SPDX-License-Identifier: Apache-2.0
#pragma once

// The driver state machine's two ports: the filesystem (RegionProvisioner) and the control plane
// out (DriverProxy). Production implementations sit on the shm and transport layers; tests use
// fakes.

#include "codec/driver_messages.hpp"
#include "driver/driver_config.hpp"
#include "tensorpool/error.hpp"

#include <cstdint>

namespace tp::driver {

/// Creates, retires and garbage-collects stream epoch regions.
class RegionProvisioner {
public:
    virtual ~RegionProvisioner() = default;
    /// Creates and initialises the header ring and pools of (stream, epoch) with the profile's
    /// layout (superblocks written, pid = this process). `hugepages` selects hugepage-backed URIs.
    virtual auto provision(std::uint32_t stream_id, std::uint64_t epoch, const ProfileConfig& profile, bool hugepages)
        -> Expected<StreamLayout> = 0;
    /// The largest epoch directory existing for a stream (0 if none): epochs stay strictly greater
    /// across restarts on non-tmpfs bases (D-22).
    [[nodiscard]] virtual auto largest_existing_epoch(std::uint32_t stream_id) const -> std::uint64_t = 0;
    /// Epoch GC for one stream (D-42): keep `current` plus the newest keep-1 older epochs.
    virtual void collect_epochs(std::uint32_t stream_id, std::uint64_t current_epoch) = 0;
    /// Removes every epoch directory of a stream (dynamic stream end, cleanup on exit).
    virtual void remove_stream(std::uint32_t stream_id) = 0;
    /// True if the base directory is hugetlbfs (D-37).
    [[nodiscard]] virtual auto base_is_hugetlbfs() const -> bool = 0;
};

/// Publishes the driver's control-plane messages. Implementations must not block.
class DriverProxy {
public:
    virtual ~DriverProxy() = default;
    virtual void send_attach_response(const AttachResponse& r) = 0;
    virtual void send_detach_response(const DetachResponse& r) = 0;
    virtual void send_lease_revoked(const LeaseRevoked& r) = 0;
    virtual void send_announce(const PoolAnnounce& a) = 0;
    virtual void send_shutdown(const ShutdownNotice& n) = 0;
};

} // namespace tp::driver
