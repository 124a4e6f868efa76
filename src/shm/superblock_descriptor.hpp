// SPDX-License-Identifier: Apache-2.0
#pragma once

// Byte layout of ShmRegionSuperblock (schema 900, template 50, headerless, blockLength 64), the
// first 64 bytes of every SHM region (W §6, §7.1). Field order is the XML declaration order.
//
//  byte 0         8                12                         20           24            26          28
//       +---------+----------------+--------------------------+------------+-------------+-----------+
//       | magic   | layout_version | epoch                    | stream_id  | region_type | pool_id   |
//       | u64     | u32            | u64 (UNALIGNED, D-09)    | u32        | i16         | u16       |
//       +---------+----------------+--------------------------+------------+-------------+-----------+
//  byte 28        32               36             40          48                  56                  64
//       +---------+----------------+--------------+-----------+-------------------+-------------------+
//       | nslots  | slot_bytes     | stride_bytes | pid       | start_timestamp_ns| activity_         |
//       | u32     | u32            | u32          | u64       | u64               | timestamp_ns u64  |
//       |         |                |              |           |                   | (ATOMIC, D-09)    |
//       +---------+----------------+--------------+-----------+-------------------+-------------------+
//
// One cache line, no padding (D-09: the spec's "two cache lines" is wrong). Everything is read and
// written with memcpy accessors except activity_timestamp_ns, which the producer refreshes while
// consumers read it (D-24), and is therefore accessed only as an aligned 8-byte atomic.

#include <cstddef>
#include <cstdint>

namespace tp::shm {

/// Offsets and constants of the superblock layout.
struct SuperblockDescriptor {
    /// W §6: every region starts with exactly 64 bytes of superblock.
    static constexpr std::size_t SIZE = 64;
    /// D-07: the u64 0x544F504C53484D31 little-endian (file bytes "1MHSLPOT").
    static constexpr std::uint64_t MAGIC = 0x544F504C53484D31ULL;
    /// W §7.1: the only layout version of v1.2.
    static constexpr std::uint32_t LAYOUT_VERSION = 1;
    /// D-08: pool superblocks written by the C driver carry this in slot_bytes.
    static constexpr std::uint32_t NULL_SLOT_BYTES = 0xFFFFFFFFU;

    static constexpr std::size_t MAGIC_OFFSET = 0;
    static constexpr std::size_t LAYOUT_VERSION_OFFSET = 8;
    static constexpr std::size_t EPOCH_OFFSET = 12;
    static constexpr std::size_t STREAM_ID_OFFSET = 20;
    static constexpr std::size_t REGION_TYPE_OFFSET = 24;
    static constexpr std::size_t POOL_ID_OFFSET = 26;
    static constexpr std::size_t NSLOTS_OFFSET = 28;
    static constexpr std::size_t SLOT_BYTES_OFFSET = 32;
    static constexpr std::size_t STRIDE_BYTES_OFFSET = 36;
    static constexpr std::size_t PID_OFFSET = 40;
    static constexpr std::size_t START_TIMESTAMP_OFFSET = 48;
    static constexpr std::size_t ACTIVITY_TIMESTAMP_OFFSET = 56;
    static constexpr std::size_t BLOCK_LENGTH = 64;
};

static_assert(SuperblockDescriptor::SIZE == 64, "W §6: superblock_size is exactly 64 bytes");
static_assert(SuperblockDescriptor::BLOCK_LENGTH == SuperblockDescriptor::SIZE, "schema blockLength 64 (D-02 §2)");
static_assert(SuperblockDescriptor::LAYOUT_VERSION_OFFSET == SuperblockDescriptor::MAGIC_OFFSET + 8);
static_assert(SuperblockDescriptor::EPOCH_OFFSET == SuperblockDescriptor::LAYOUT_VERSION_OFFSET + 4);
static_assert(SuperblockDescriptor::EPOCH_OFFSET % 8 != 0, "D-09: epoch is unaligned; never access it atomically");
static_assert(SuperblockDescriptor::STREAM_ID_OFFSET == SuperblockDescriptor::EPOCH_OFFSET + 8);
static_assert(SuperblockDescriptor::REGION_TYPE_OFFSET == SuperblockDescriptor::STREAM_ID_OFFSET + 4);
static_assert(SuperblockDescriptor::POOL_ID_OFFSET == SuperblockDescriptor::REGION_TYPE_OFFSET + 2);
static_assert(SuperblockDescriptor::NSLOTS_OFFSET == SuperblockDescriptor::POOL_ID_OFFSET + 2);
static_assert(SuperblockDescriptor::SLOT_BYTES_OFFSET == SuperblockDescriptor::NSLOTS_OFFSET + 4);
static_assert(SuperblockDescriptor::STRIDE_BYTES_OFFSET == SuperblockDescriptor::SLOT_BYTES_OFFSET + 4);
static_assert(SuperblockDescriptor::PID_OFFSET == SuperblockDescriptor::STRIDE_BYTES_OFFSET + 4);
static_assert(SuperblockDescriptor::START_TIMESTAMP_OFFSET == SuperblockDescriptor::PID_OFFSET + 8);
static_assert(SuperblockDescriptor::ACTIVITY_TIMESTAMP_OFFSET == SuperblockDescriptor::START_TIMESTAMP_OFFSET + 8);
static_assert(SuperblockDescriptor::ACTIVITY_TIMESTAMP_OFFSET % 8 == 0, "D-09: activity is an aligned atomic u64");
static_assert(SuperblockDescriptor::ACTIVITY_TIMESTAMP_OFFSET + 8 == SuperblockDescriptor::SIZE);

/// W §7.1 RegionType (i16 on the wire).
enum class RegionType : std::int16_t {
    HeaderRing = 1,  ///< header.ring
    PayloadPool = 2, ///< <pool_id>.pool
};

} // namespace tp::shm
