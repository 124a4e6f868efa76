// SPDX-License-Identifier: Apache-2.0
#pragma once

// Byte layout of one 256-byte header-ring slot (W §8.1, §8.2): a headerless SlotHeader body
// (schema 900, template 51, blockLength 60), the headerBytes varData length (u32), then the
// embedded TensorHeader (template 52) with its 8-byte SBE message header.
//
//  slot byte  0            8               12             16        18               22
//             +------------+---------------+--------------+---------+----------------+
//             | seq_commit | values_len_   | payload_slot | pool_id | payload_offset |
//             | u64 ATOMIC | bytes u32     | u32          | u16     | u32 UNALIGNED  |
//             +------------+---------------+--------------+---------+----------------+
//  slot byte  22                    30                   34                          60
//             +---------------------+--------------------+---------------------------+
//             | timestamp_ns        | meta_version       | pad[26] (zeroed, D-15)    |
//             | u64 UNALIGNED       | u32 UNALIGNED      |                           |
//             +---------------------+--------------------+---------------------------+
//  slot byte  60                    64                                               72
//             +---------------------+------------------------------------------------+
//             | headerBytes length  | message header: blockLength 184, templateId 52,|
//             | u32 = 192           | schemaId 900, version 1 (4 x u16)              |
//             +---------------------+------------------------------------------------+
//  slot byte  72      74            76      77        78              79                83
//             +-------+-------------+-------+---------+---------------+-----------------+
//             | dtype | major_order | ndims | pad_    | progress_unit | progress_stride_|
//             | i16   | i16         | u8    | align u8| u8            | bytes u32 UNAL. |
//             +-------+-------------+-------+---------+---------------+-----------------+
//  slot byte  83                          115                         147              256
//             +---------------------------+---------------------------+----------------+
//             | dims[8] i32 UNALIGNED     | strides[8] i32 UNALIGNED  | pad[109] (0)   |
//             +---------------------------+---------------------------+----------------+
//
// D-09: only seq_commit (slot+0, 8-aligned because the ring starts at 64 and slots are 256 bytes)
// is accessed atomically as a u64. "pad_align aligns dims" is false: dims sit at slot+83.

#include <cstddef>
#include <cstdint>

namespace tp::shm {

/// Offsets (from the start of a slot) and constants of the header-slot layout.
struct SlotDescriptor {
    /// W §8.1: every header slot is exactly 256 bytes.
    static constexpr std::size_t SLOT_BYTES = 256;
    /// v1.2 MAX_DIMS (W §8.2); a schema constant, never encoded.
    static constexpr std::size_t MAX_DIMS = 8;

    // SlotHeader body (headerless, blockLength 60).
    static constexpr std::size_t SEQ_COMMIT_OFFSET = 0;
    static constexpr std::size_t VALUES_LEN_OFFSET = 8;
    static constexpr std::size_t PAYLOAD_SLOT_OFFSET = 12;
    static constexpr std::size_t POOL_ID_OFFSET = 16;
    static constexpr std::size_t PAYLOAD_OFFSET_OFFSET = 18;
    static constexpr std::size_t TIMESTAMP_OFFSET = 22;
    static constexpr std::size_t META_VERSION_OFFSET = 30;
    static constexpr std::size_t PAD_OFFSET = 34;
    static constexpr std::size_t PAD_LENGTH = 26;
    static constexpr std::size_t SLOT_HEADER_BLOCK_LENGTH = 60;

    // headerBytes varData: u32 length, then the embedded message.
    static constexpr std::size_t HEADER_BYTES_LENGTH_OFFSET = 60;
    static constexpr std::size_t EMBEDDED_OFFSET = 64;
    static constexpr std::size_t EMBEDDED_BLOCK_LENGTH_OFFSET = 64;
    static constexpr std::size_t EMBEDDED_TEMPLATE_ID_OFFSET = 66;
    static constexpr std::size_t EMBEDDED_SCHEMA_ID_OFFSET = 68;
    static constexpr std::size_t EMBEDDED_VERSION_OFFSET = 70;
    static constexpr std::size_t MESSAGE_HEADER_LENGTH = 8;

    /// D-12: the only accepted embedded header {blockLength, templateId, schemaId, version}.
    static constexpr std::uint16_t TENSOR_HEADER_BLOCK_LENGTH = 184;
    static constexpr std::uint16_t TENSOR_HEADER_TEMPLATE_ID = 52;
    static constexpr std::uint16_t WIRE_SCHEMA_ID = 900;
    static constexpr std::uint16_t WIRE_SCHEMA_VERSION = 1;
    /// D-12: headerBytes length = message header + TensorHeader block = 192.
    static constexpr std::uint32_t EMBEDDED_HEADER_LENGTH = 192;

    // TensorHeader block (template 52), slot-relative.
    static constexpr std::size_t TENSOR_OFFSET = 72;
    static constexpr std::size_t DTYPE_OFFSET = TENSOR_OFFSET + 0;
    static constexpr std::size_t MAJOR_ORDER_OFFSET = TENSOR_OFFSET + 2;
    static constexpr std::size_t NDIMS_OFFSET = TENSOR_OFFSET + 4;
    static constexpr std::size_t PAD_ALIGN_OFFSET = TENSOR_OFFSET + 5;
    static constexpr std::size_t PROGRESS_UNIT_OFFSET = TENSOR_OFFSET + 6;
    static constexpr std::size_t PROGRESS_STRIDE_OFFSET = TENSOR_OFFSET + 7;
    static constexpr std::size_t DIMS_OFFSET = TENSOR_OFFSET + 11;
    static constexpr std::size_t STRIDES_OFFSET = TENSOR_OFFSET + 43;
    static constexpr std::size_t TENSOR_PAD_OFFSET = TENSOR_OFFSET + 75;
    static constexpr std::size_t TENSOR_PAD_LENGTH = 109;

    /// Bytes a reader snapshots: everything up to the end of strides (the rest is padding).
    static constexpr std::size_t READ_SNAPSHOT_BYTES = 152;

    /// Byte offset of slot `index` inside the header ring region (W §8.1).
    [[nodiscard]] static constexpr auto slot_offset(std::uint64_t index) noexcept -> std::uint64_t {
        return 64 + index * SLOT_BYTES;
    }
};

static_assert(SlotDescriptor::SLOT_HEADER_BLOCK_LENGTH == SlotDescriptor::PAD_OFFSET + SlotDescriptor::PAD_LENGTH,
              "SlotHeader blockLength 60");
static_assert(SlotDescriptor::VALUES_LEN_OFFSET == 8 && SlotDescriptor::PAYLOAD_SLOT_OFFSET == 12);
static_assert(SlotDescriptor::POOL_ID_OFFSET == 16);
static_assert(SlotDescriptor::PAYLOAD_OFFSET_OFFSET == 18, "D-09: payloadOffset@18");
static_assert(SlotDescriptor::TIMESTAMP_OFFSET == 22, "D-09: timestampNs@22");
static_assert(SlotDescriptor::META_VERSION_OFFSET == 30, "D-09: metaVersion@30");
static_assert(SlotDescriptor::HEADER_BYTES_LENGTH_OFFSET == SlotDescriptor::SLOT_HEADER_BLOCK_LENGTH);
static_assert(SlotDescriptor::EMBEDDED_OFFSET == SlotDescriptor::HEADER_BYTES_LENGTH_OFFSET + 4);
static_assert(SlotDescriptor::TENSOR_OFFSET == SlotDescriptor::EMBEDDED_OFFSET + SlotDescriptor::MESSAGE_HEADER_LENGTH);
static_assert(SlotDescriptor::EMBEDDED_HEADER_LENGTH ==
                  SlotDescriptor::MESSAGE_HEADER_LENGTH + SlotDescriptor::TENSOR_HEADER_BLOCK_LENGTH,
              "TensorHeader block 184 + 8-byte message header = 192");
static_assert(SlotDescriptor::PROGRESS_STRIDE_OFFSET - SlotDescriptor::TENSOR_OFFSET == 7, "D-09: +7");
static_assert(SlotDescriptor::DIMS_OFFSET == 83 && SlotDescriptor::DIMS_OFFSET - SlotDescriptor::TENSOR_OFFSET == 11,
              "D-09: dims at slot+83 (TensorHeader+11)");
static_assert(SlotDescriptor::STRIDES_OFFSET == 115 &&
                  SlotDescriptor::STRIDES_OFFSET - SlotDescriptor::TENSOR_OFFSET == 43,
              "D-09: strides at slot+115 (TensorHeader+43)");
static_assert(SlotDescriptor::TENSOR_PAD_OFFSET == SlotDescriptor::STRIDES_OFFSET + 4 * SlotDescriptor::MAX_DIMS);
static_assert(SlotDescriptor::TENSOR_PAD_OFFSET + SlotDescriptor::TENSOR_PAD_LENGTH ==
                  SlotDescriptor::TENSOR_OFFSET + SlotDescriptor::TENSOR_HEADER_BLOCK_LENGTH,
              "TensorHeader blockLength 184");
static_assert(SlotDescriptor::EMBEDDED_OFFSET + SlotDescriptor::EMBEDDED_HEADER_LENGTH == SlotDescriptor::SLOT_BYTES,
              "W §8.2: 60 + 4 + 192 = 256");
static_assert(SlotDescriptor::READ_SNAPSHOT_BYTES % 8 == 0 &&
              SlotDescriptor::READ_SNAPSHOT_BYTES >= SlotDescriptor::TENSOR_PAD_OFFSET);
static_assert(SlotDescriptor::slot_offset(0) % 8 == 0 && SlotDescriptor::SLOT_BYTES % 8 == 0,
              "seq_commit is an aligned u64 in every slot");

} // namespace tp::shm
