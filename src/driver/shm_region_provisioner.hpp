// SPDX-License-Identifier: Apache-2.0
#pragma once

// The driver's filesystem port over the shm layer: canonical layout, superblocks, prefault and
// mlock, epoch GC (D-42) and hugetlbfs detection (D-37).

#include "common/clock.hpp"
#include "driver/driver_ports.hpp"
#include "shm/shm_layout.hpp"

#include <map>
#include <memory>
#include <optional>

namespace tp::driver {

class ShmRegionProvisioner final : public RegionProvisioner {
public:
    /// Validates shm.* of the configuration (base dir exists, namespace, mode).
    static auto create(const DriverConfig& config, const common::Clock& clock)
        -> Expected<std::unique_ptr<ShmRegionProvisioner>>;

    auto provision(std::uint32_t stream_id, std::uint64_t epoch, const ProfileConfig& profile, bool hugepages)
        -> Expected<StreamLayout> override;
    [[nodiscard]] auto largest_existing_epoch(std::uint32_t stream_id) const -> std::uint64_t override;
    void collect_epochs(std::uint32_t stream_id, std::uint64_t current_epoch) override;
    void remove_stream(std::uint32_t stream_id) override;
    [[nodiscard]] auto base_is_hugetlbfs() const -> bool override { return m_hugetlbfs; }

    [[nodiscard]] auto layout() const noexcept -> const shm::ShmLayout& { return m_layout; }
    /// Epoch directories deleted by GC so far.
    [[nodiscard]] auto gc_removed() const noexcept -> std::uint64_t { return m_gc_removed; }

private:
    ShmRegionProvisioner(const DriverConfig& config, const common::Clock& clock, shm::ShmLayout layout,
                         std::optional<shm::ShmLayout> huge_layout, bool hugetlbfs);

    const DriverConfig& m_config;
    const common::Clock& m_clock;
    shm::ShmLayout m_layout;
    std::optional<shm::ShmLayout> m_huge_layout;
    bool m_hugetlbfs;
    std::map<std::uint32_t, shm::CreatedRegionSet> m_current; ///< keeps prefault/mlock mappings alive
    std::uint64_t m_gc_removed{0};
};

/// True if a process with this pid exists (kill(pid, 0)).
[[nodiscard]] auto process_alive(std::uint64_t pid) -> bool;

} // namespace tp::driver
