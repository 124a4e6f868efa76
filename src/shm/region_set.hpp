// SPDX-License-Identifier: Apache-2.0
#pragma once

// A stream's regions for one epoch: the header ring plus its payload pools, as announced
// (ShmPoolAnnounce / ShmAttachResponse), opened and validated (W §7.1, §9, §15.1, §15.5, §15.22;
// D-08, D-17, D-18, D-21, D-24).

#include "shm/mapped_region.hpp"
#include "shm/path_policy.hpp"
#include "shm/slot_descriptor.hpp"
#include "shm/superblock_descriptor.hpp"

#include <tensorpool/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tp::shm {

/// Most pools a region set may have (the discovery limit `max_pools_per_entry`, D-45).
inline constexpr std::size_t MAX_POOLS = 16;

/// One announced payload pool.
struct PoolSpec {
    std::uint16_t pool_id{0};      ///< ≥ 1, unique (D-17)
    std::uint32_t nslots{0};       ///< = header_nslots (W §15.5)
    std::uint32_t stride_bytes{0}; ///< power-of-two multiple of 64 (D-17, W §15.22)
    std::string region_uri;        ///< shm:file?path=... (W §15.22)
};

/// The announced layout of a stream's regions for one epoch. Pools are in announce order, which
/// breaks pool-selection ties (D-17).
struct RegionSetSpec {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint32_t layout_version{1};
    std::uint32_t header_nslots{0};
    std::uint32_t header_slot_bytes{static_cast<std::uint32_t>(SlotDescriptor::SLOT_BYTES)};
    std::string header_region_uri;
    std::vector<PoolSpec> pools;
};

/// D-17, W §15.22: stride_bytes is a power-of-two multiple of 64.
[[nodiscard]] constexpr auto is_valid_stride(std::uint32_t stride) noexcept -> bool {
    return stride >= 64 && (stride & (stride - 1)) == 0;
}

/// Checks a spec before anything is opened: epoch ≠ 0 (D-22), layout_version 1, header_nslots a
/// power of two (D-18), header_slot_bytes 256, 1..16 pools, pool ids ≥ 1 and unique, pool nslots
/// = header_nslots (W §15.5), strides per D-17, URIs parse (D-20).
[[nodiscard]] auto validate_region_set_spec(const RegionSetSpec& spec) -> Expected<void>;

/// A mapped payload pool, as the hot paths see it.
struct PoolView {
    std::uint16_t pool_id{0};
    std::uint32_t stride_bytes{0};
    std::byte* base{nullptr}; ///< start of the pool region (its superblock)

    /// Start of payload slot `index` (W §9: 64 + index × stride).
    [[nodiscard]] auto payload(std::uint64_t index) const noexcept -> std::byte* {
        return base + SuperblockDescriptor::SIZE + index * stride_bytes;
    }
};

/// Non-owning, allocation-free view of a mapped region set (pointers into the mappings). Valid
/// while the owning ShmReader / ShmWriter / OpenedRegionSet lives. Copyable.
struct RegionSetView {
    std::uint64_t epoch{0};
    std::uint32_t stream_id{0};
    std::uint32_t header_nslots{0};
    std::byte* header_base{nullptr}; ///< start of the header ring region (its superblock)
    std::array<PoolView, MAX_POOLS> pools{};
    std::uint32_t pool_count{0};

    /// The pool with this id, or nullptr (D-12: not announced).
    [[nodiscard]] auto find_pool(std::uint16_t pool_id) const noexcept -> const PoolView* {
        for (std::uint32_t i = 0; i < pool_count; ++i) {
            if (pools[i].pool_id == pool_id) {
                return &pools[i];
            }
        }
        return nullptr;
    }
    /// W §10.2.1: header_index = seq & (header_nslots − 1).
    [[nodiscard]] auto header_index(std::uint64_t seq) const noexcept -> std::uint32_t {
        return static_cast<std::uint32_t>(seq & (static_cast<std::uint64_t>(header_nslots) - 1));
    }
    /// Start of header slot `index` (W §8.1).
    [[nodiscard]] auto slot(std::uint32_t index) const noexcept -> std::byte* {
        return header_base + SlotDescriptor::slot_offset(index);
    }
};

/// Outcome of re-reading mapped superblocks (D-24).
enum class SuperblockCheck : std::uint8_t {
    Ok,         ///< still matches the announce
    Mismatch,   ///< a field differs: unmap and remap from the announce
    PidChanged, ///< W §15.14: another writer; unmap and wait for a new epoch
};

/// An opened, validated region set. Owns the mappings; move-only.
struct OpenedRegionSet {
    RegionSetSpec spec;
    RegionSetView view;
    MappedRegion header;
    std::vector<MappedRegion> pools; ///< in spec order
    std::vector<std::uint64_t> pids; ///< superblock pid at open time: header, then pools

    /// D-24: re-reads every superblock and compares it with the spec and the pids seen at open.
    [[nodiscard]] auto check_superblocks() const -> SuperblockCheck;
};

/// Validates `spec`, then opens and maps every region through `policy` (D-21; read-only for
/// consumers, read-write for producers), mapping exactly the layout size (D-64), and validates
/// each superblock against the spec (D-08). On any failure nothing stays mapped.
[[nodiscard]] auto open_region_set(const RegionSetSpec& spec, const PathPolicy& policy, Access access)
    -> Expected<OpenedRegionSet>;

} // namespace tp::shm
