// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading, writing and validating region superblocks (W §7.1, §15.1, §15.14; D-07, D-08, D-24).

#include "shm/superblock_descriptor.hpp"

#include <tensorpool/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tp::shm {

/// Every field of a superblock, decoded. region_type is kept raw so invalid values survive a
/// decode and can be reported.
struct SuperblockFields {
    std::uint64_t magic{SuperblockDescriptor::MAGIC};
    std::uint32_t layout_version{SuperblockDescriptor::LAYOUT_VERSION};
    std::uint64_t epoch{0};
    std::uint32_t stream_id{0};
    std::int16_t region_type{0};
    std::uint16_t pool_id{0};
    std::uint32_t nslots{0};
    std::uint32_t slot_bytes{0};
    std::uint32_t stride_bytes{0};
    std::uint64_t pid{0};
    std::uint64_t start_timestamp_ns{0};
    std::uint64_t activity_timestamp_ns{0};

    [[nodiscard]] auto operator==(const SuperblockFields&) const -> bool = default;
};

/// What a reader (or attaching writer) expects a region's superblock to say (D-08 "Check").
struct ExpectedSuperblock {
    RegionType region_type{RegionType::HeaderRing};
    std::uint64_t epoch{0};
    std::uint32_t stream_id{0};
    std::uint16_t pool_id{0};      ///< 0 for the header ring (W §7.1)
    std::uint32_t nslots{0};       ///< header_nslots; pools use the same (W §15.5)
    std::uint32_t stride_bytes{0}; ///< pool stride; ignored for the header ring (D-08)
    std::uint32_t layout_version{SuperblockDescriptor::LAYOUT_VERSION};
};

/// D-64: a region's minimum file size: 64 + nslots × (256 | stride). Returns 0 on overflow.
[[nodiscard]] auto expected_region_size(RegionType type, std::uint32_t nslots, std::uint32_t stride_bytes) noexcept
    -> std::uint64_t;

/// Writes all 64 superblock bytes at `dst` (8-byte aligned). The activity timestamp is stored
/// atomically; the other fields with plain stores, so call it only before the region is announced.
void write_superblock(std::byte* dst, const SuperblockFields& fields) noexcept;

/// Decodes the superblock at `src` (8-byte aligned); activity_timestamp_ns is loaded atomically.
[[nodiscard]] auto read_superblock(const std::byte* src) noexcept -> SuperblockFields;

/// D-08: checks magic, layout_version, region_type, epoch, stream_id, pool_id, nslots (power of
/// two, equal to expected), slot_bytes (256 for the ring; stride or 0xFFFFFFFF for pools), the pool
/// stride, and file_size ≥ expected_region_size. The error message names the field and both values.
[[nodiscard]] auto validate_superblock(const SuperblockFields& actual, const ExpectedSuperblock& expected,
                                       std::uint64_t file_size) -> Expected<void>;

/// D-24: refreshes activity_timestamp_ns (an atomic store; the producer calls it every announce
/// period). Thread-safe against concurrent readers.
void store_activity_timestamp(std::byte* superblock, std::uint64_t now_ns) noexcept;

/// D-24: the current activity_timestamp_ns (an atomic load).
[[nodiscard]] auto load_activity_timestamp(const std::byte* superblock) noexcept -> std::uint64_t;

/// D-24: stale when now − activity > 3 announce periods. An activity in the future is fresh.
[[nodiscard]] constexpr auto is_activity_stale(std::uint64_t activity_ns, std::uint64_t now_ns,
                                               std::uint64_t announce_period_ns) noexcept -> bool {
    return now_ns > activity_ns && now_ns - activity_ns > 3 * announce_period_ns;
}

/// Human-readable region type ("HEADER_RING", "PAYLOAD_POOL", or "INVALID(n)").
[[nodiscard]] auto region_type_name(std::int16_t raw) -> std::string;

} // namespace tp::shm
