// SPDX-License-Identifier: Apache-2.0
#pragma once

// The canonical filesystem layout and region creation (W §15.21a.3, §15.14; D-19, D-22, D-42, D-64):
//
//   <base_dir>/tensorpool-<user>/<namespace>/<stream_id>/<epoch>/header.ring
//                                                               /<pool_id>.pool
//
// Directories are 0770; files take the configured mode (default 0660; any "other" bit is refused
// because consumers refuse such files, D-21). Creation writes each superblock, then msyncs and
// fsyncs the file (W §15.14) before anything is announced.

#include "shm/mapped_region.hpp"
#include "shm/region_set.hpp"

#include <tensorpool/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tp::shm {

/// Where and how regions are created.
struct LayoutConfig {
    std::string base_dir{"/dev/shm"};      ///< shm.base_dir (D-04 §4); must exist
    std::string namespace_name{"default"}; ///< shm.namespace: [A-Za-z0-9._-]+, not "." or ".."
    std::string user;                      ///< empty: resolved per D-19; always sanitised
    std::uint32_t file_mode{0660};         ///< shm.permissions_mode; mode & 0007 must be 0 (D-42)
    bool prefault{false};                  ///< touch every page at creation
    bool mlock{false};                     ///< lock the creator's mappings in RAM (failure is an error, D-42)
    bool require_hugepages{false};         ///< base_dir must be hugetlbfs; URIs carry the flag (D-37)
};

/// One pool to create.
struct PoolParams {
    std::uint16_t pool_id{0};
    std::uint32_t stride_bytes{0};
};

/// One epoch's regions to create.
struct RegionSetParams {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint32_t header_nslots{0};
    std::vector<PoolParams> pools; ///< announce order
    std::uint64_t pid{0};          ///< superblock pid; 0 = this process (D-08: the creator)
};

/// Created regions: the spec to announce and the creator's read-write mappings (kept so prefault
/// and mlock stay in effect while the creator holds them). Move-only.
struct CreatedRegionSet {
    RegionSetSpec spec;
    std::string epoch_dir;
    MappedRegion header;
    std::vector<MappedRegion> pools; ///< spec order
};

/// D-19: passwd name of geteuid(), else $USER, else "unknown"; sanitised.
[[nodiscard]] auto resolve_user_name() -> std::string;
/// D-19: every character outside [A-Za-z0-9._-] becomes '_'; empty becomes "unknown".
[[nodiscard]] auto sanitize_user_name(std::string_view name) -> std::string;
/// D-04 §4: [A-Za-z0-9._-]+ and not "." or "..".
[[nodiscard]] auto is_valid_namespace(std::string_view ns) noexcept -> bool;

/// A validated layout configuration with path builders and region creation/removal. Immutable;
/// safe to share between threads (the filesystem operations are not atomic with each other).
class ShmLayout {
public:
    /// Validates the config: base_dir absolute and a directory (canonicalised with realpath), a
    /// valid namespace, file_mode ⊆ 0770 permission bits, hugetlbfs when required.
    [[nodiscard]] static auto create(LayoutConfig config) -> Expected<ShmLayout>;

    /// The config, with base_dir canonical and user resolved.
    [[nodiscard]] auto config() const noexcept -> const LayoutConfig& { return m_config; }
    /// <base>/tensorpool-<user>
    [[nodiscard]] auto user_dir() const -> std::string;
    /// <base>/tensorpool-<user>/<namespace>
    [[nodiscard]] auto namespace_dir() const -> std::string;
    /// .../<stream_id>
    [[nodiscard]] auto stream_dir(std::uint32_t stream_id) const -> std::string;
    /// .../<stream_id>/<epoch>
    [[nodiscard]] auto epoch_dir(std::uint32_t stream_id, std::uint64_t epoch) const -> std::string;
    /// .../<epoch>/header.ring
    [[nodiscard]] auto header_ring_path(std::uint32_t stream_id, std::uint64_t epoch) const -> std::string;
    /// .../<epoch>/<pool_id>.pool
    [[nodiscard]] auto pool_path(std::uint32_t stream_id, std::uint64_t epoch, std::uint16_t pool_id) const
        -> std::string;

    /// Creates the epoch directory (and parents, 0770) and every region file (O_EXCL, configured
    /// mode, sized per D-64), writes the superblocks (D-08; start and activity = now_ns), optionally
    /// prefaults and mlocks, then msyncs and fsyncs (W §15.14). Validates the params as
    /// validate_region_set_spec does. On failure, files created by this call are removed.
    [[nodiscard]] auto create_regions(const RegionSetParams& params, std::uint64_t now_ns) const
        -> Expected<CreatedRegionSet>;

    /// Removes an epoch directory: its header.ring and <n>.pool files, then the directory. Refuses
    /// (and removes nothing) if it holds anything else. NotFound if it does not exist.
    [[nodiscard]] auto remove_epoch(std::uint32_t stream_id, std::uint64_t epoch) const -> Expected<void>;

    /// The epoch directories of a stream, ascending (decimal names only, real directories only).
    /// Empty if the stream directory does not exist.
    [[nodiscard]] auto list_epochs(std::uint32_t stream_id) const -> Expected<std::vector<std::uint64_t>>;

private:
    explicit ShmLayout(LayoutConfig config) : m_config(std::move(config)) {}
    LayoutConfig m_config;
};

} // namespace tp::shm
