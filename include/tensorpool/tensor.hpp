// SPDX-License-Identifier: Apache-2.0
#pragma once

// Tensor element types and the zero-copy frame a consumer receives.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tp {

/// Element type (wire spec §15.8; values are the wire encoding).
enum class Dtype : std::int16_t {
    Unknown = 0,
    Uint8 = 1,
    Int8 = 2,
    Uint16 = 3,
    Int16 = 4,
    Uint32 = 5,
    Int32 = 6,
    Uint64 = 7,
    Int64 = 8,
    Float32 = 9,
    Float64 = 10,
    Boolean = 11,
    Bytes = 13,
    Bit = 14,
};

/// Storage order of a tensor.
enum class MajorOrder : std::int16_t { Unknown = 0, Row = 1, Column = 2 };

/// Unit of FrameProgress for partially written frames.
enum class ProgressUnit : std::uint8_t { None = 0, Rows = 1, Columns = 2 };

/// Size in bytes of one element (1 for Bytes and Bit), 0 for Unknown.
[[nodiscard]] constexpr auto element_size(Dtype d) noexcept -> std::size_t {
    switch (d) {
    case Dtype::Uint8:
    case Dtype::Int8:
    case Dtype::Boolean:
    case Dtype::Bytes:
    case Dtype::Bit:
        return 1;
    case Dtype::Uint16:
    case Dtype::Int16:
        return 2;
    case Dtype::Uint32:
    case Dtype::Int32:
    case Dtype::Float32:
        return 4;
    case Dtype::Uint64:
    case Dtype::Int64:
    case Dtype::Float64:
        return 8;
    case Dtype::Unknown:
        return 0;
    }
    return 0;
}

/// Name of a dtype ("float32", ...).
[[nodiscard]] auto to_string(Dtype d) noexcept -> const char*;

inline constexpr std::size_t MAX_DIMS = 8;

/// A frame delivered by a Consumer: validated metadata copied inside the seqlock read section, and
/// a zero-copy view of the payload in shared memory. The payload is trustworthy only while
/// still_valid() holds: call it after using the payload and discard results if it is false (the
/// producer reused the slot). Valid only during the poll callback.
struct Frame {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint64_t seq{0};
    Dtype dtype{Dtype::Unknown};
    MajorOrder major_order{MajorOrder::Row};
    std::uint8_t ndims{0};
    std::array<std::int32_t, MAX_DIMS> dims{};    ///< entries >= ndims are 0
    std::array<std::int64_t, MAX_DIMS> strides{}; ///< byte strides, inferred where the producer left 0
    std::span<const std::byte> payload;           ///< values_len bytes in the payload pool
    std::uint64_t timestamp_ns{0};                ///< capture time (SlotHeader, CLOCK_MONOTONIC)
    std::uint64_t descriptor_timestamp_ns{0};     ///< publish time, 0 when the producer sent none
    std::uint32_t meta_version{0};                ///< metadata version in force for this frame
    std::uint64_t trace_id{0};                    ///< TraceLink id, 0 = none
    std::uint16_t pool_id{0};

    /// True if the slot still holds this frame (acquire fence, then a reload of its commit word).
    [[nodiscard]] auto still_valid() const noexcept -> bool;
    /// Copies the payload into dst and re-checks; false if dst is too small or the frame was
    /// overwritten during the copy (discard dst then).
    [[nodiscard]] auto copy_to(std::span<std::byte> dst) const noexcept -> bool;

    /// Set by the consumer: the slot's commit word and the value accepted.
    const std::uint64_t* commit_word_ptr{nullptr};
    std::uint64_t accepted_commit_word{0};
};

} // namespace tp
