// SPDX-License-Identifier: Apache-2.0
#pragma once

// Field-level encode/decode of header slots over private byte images (memcpy accessors, D-09),
// and the tensor-header validation shared by readers and the writer (D-12, D-13, D-14).
//
// These functions never touch shared memory directly: the reader decodes a snapshot it loaded
// atomically, the writer encodes into a staging image it then publishes (shm/shared_copy.hpp).

#include "shm/read_result.hpp"
#include "shm/slot_descriptor.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace tp::shm {

/// SlotHeader block fields plus the headerBytes length.
struct SlotHeaderFields {
    std::uint64_t seq_commit{0};
    std::uint32_t values_len_bytes{0};
    std::uint32_t payload_slot{0};
    std::uint16_t pool_id{0};
    std::uint32_t payload_offset{0};
    std::uint64_t timestamp_ns{0};
    std::uint32_t meta_version{0};
    std::uint32_t header_bytes_length{SlotDescriptor::EMBEDDED_HEADER_LENGTH};

    [[nodiscard]] auto operator==(const SlotHeaderFields&) const -> bool = default;
};

/// The embedded SBE message header in headerBytes.
struct EmbeddedHeaderFields {
    std::uint16_t block_length{SlotDescriptor::TENSOR_HEADER_BLOCK_LENGTH};
    std::uint16_t template_id{SlotDescriptor::TENSOR_HEADER_TEMPLATE_ID};
    std::uint16_t schema_id{SlotDescriptor::WIRE_SCHEMA_ID};
    std::uint16_t version{SlotDescriptor::WIRE_SCHEMA_VERSION};

    [[nodiscard]] auto operator==(const EmbeddedHeaderFields&) const -> bool = default;
};

/// TensorHeader block fields, raw (enums as their wire integers, so invalid values survive).
struct TensorHeaderFields {
    std::int16_t dtype{0};
    std::int16_t major_order{0};
    std::uint8_t ndims{0};
    std::uint8_t pad_align{0};
    std::uint8_t progress_unit{0};
    std::uint32_t progress_stride_bytes{0};
    std::array<std::int32_t, SlotDescriptor::MAX_DIMS> dims{};
    std::array<std::int32_t, SlotDescriptor::MAX_DIMS> strides{};

    [[nodiscard]] auto operator==(const TensorHeaderFields&) const -> bool = default;
};

/// Byte distances per dimension after D-13 inference (0 → contiguous value).
using ResolvedStrides = std::array<std::int64_t, SlotDescriptor::MAX_DIMS>;

/// Decodes the SlotHeader block and headerBytes length from a slot image (≥ 64 bytes).
[[nodiscard]] auto decode_slot_header(const std::byte* slot) noexcept -> SlotHeaderFields;
/// Decodes the embedded message header from a slot image (≥ 72 bytes).
[[nodiscard]] auto decode_embedded_header(const std::byte* slot) noexcept -> EmbeddedHeaderFields;
/// Decodes a TensorHeader block (184 bytes; in a slot image it starts at TENSOR_OFFSET).
[[nodiscard]] auto decode_tensor_header(const std::byte* block) noexcept -> TensorHeaderFields;

/// Encodes the SlotHeader block, zeroed pad[26] and the headerBytes length (64 bytes).
void encode_slot_header(std::byte* slot, const SlotHeaderFields& f) noexcept;
/// Encodes the embedded message header (8 bytes at slot+64).
void encode_embedded_header(std::byte* slot, const EmbeddedHeaderFields& f) noexcept;
/// Encodes a TensorHeader block (184 bytes) with pad[109] zeroed.
void encode_tensor_header(std::byte* block, const TensorHeaderFields& f) noexcept;

/// D-12/D-13/D-14 validation of a TensorHeader: ndims ∈ 1..8, known dtype, major order and
/// progress unit, no negative dims, strides per D-13 (fills `resolved`; entries ≥ ndims are 0),
/// progress stride per D-14. Returns Ok or the first rule broken, in that order.
[[nodiscard]] auto validate_tensor_header(const TensorHeaderFields& t, ResolvedStrides& resolved) noexcept
    -> ReadResult;

} // namespace tp::shm
