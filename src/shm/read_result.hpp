// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tp::shm {

/// Outcome of reading one frame from a mapped header ring (hot path, no allocation). Every value
/// but Ok is a DROP (W §15.21): the frame is skipped without error or retry. Each drop names the
/// rule that caused it.
enum class ReadResult : std::uint8_t {
    Ok = 0,
    EpochMismatch,          ///< W §10.2.1, D-25: descriptor epoch ≠ mapped epoch
    NotCommitted,           ///< W §8.3 step 2: seq_commit LSB is 0 (being written or abandoned)
    Overwritten,            ///< W §10.2.1: slot holds a newer logical sequence (stale reuse guard)
    StaleSlot,              ///< W §15.3: slot holds an older logical sequence than requested / seen
    Torn,                   ///< W §15.3, D-11: seq_commit changed between the two loads (drops_late)
    BadHeaderLength,        ///< D-12, W §8.3 step 5: headerBytes length ≠ 192
    BadEmbeddedHeader,      ///< D-12: embedded header ≠ {184, 52, 900, 1}
    BadNdims,               ///< W §8.2, D-12: ndims ∉ 1..8
    UnknownDtype,           ///< W §15.8, D-12: dtype ∉ {1..11, 13, 14}
    UnknownMajorOrder,      ///< W §15.8, D-12: majorOrder ∉ {1, 2}
    UnknownProgressUnit,    ///< D-12: progressUnit ∉ {0, 1, 2}
    NegativeDim,            ///< D-13: a dim < 0
    BadStrides,             ///< W §8.2, D-13: negative, overlapping or order-contradicting strides
    BadProgressStride,      ///< W §8.2, §10.2.2, D-14: progress stride 0 or ≠ the row/column stride
    PayloadOffsetNonZero,   ///< W §8.2, D-12: payload_offset ≠ 0
    PayloadSlotMismatch,    ///< W §15.5, D-12: payload_slot ≠ header_index
    UnknownPool,            ///< D-12: pool_id not announced / not mapped
    ValuesLenExceedsStride, ///< W §10.2.1, D-12: values_len_bytes > the pool's stride_bytes
    BufferTooSmall,         ///< copy-out only: the destination cannot hold values_len_bytes
};

/// Number of ReadResult values (for counter arrays indexed by result).
inline constexpr std::size_t READ_RESULT_COUNT = static_cast<std::size_t>(ReadResult::BufferTooSmall) + 1;

/// Short name of a read result, e.g. "NotCommitted".
[[nodiscard]] constexpr auto to_string(ReadResult r) noexcept -> std::string_view {
    switch (r) {
    case ReadResult::Ok:
        return "Ok";
    case ReadResult::EpochMismatch:
        return "EpochMismatch";
    case ReadResult::NotCommitted:
        return "NotCommitted";
    case ReadResult::Overwritten:
        return "Overwritten";
    case ReadResult::StaleSlot:
        return "StaleSlot";
    case ReadResult::Torn:
        return "Torn";
    case ReadResult::BadHeaderLength:
        return "BadHeaderLength";
    case ReadResult::BadEmbeddedHeader:
        return "BadEmbeddedHeader";
    case ReadResult::BadNdims:
        return "BadNdims";
    case ReadResult::UnknownDtype:
        return "UnknownDtype";
    case ReadResult::UnknownMajorOrder:
        return "UnknownMajorOrder";
    case ReadResult::UnknownProgressUnit:
        return "UnknownProgressUnit";
    case ReadResult::NegativeDim:
        return "NegativeDim";
    case ReadResult::BadStrides:
        return "BadStrides";
    case ReadResult::BadProgressStride:
        return "BadProgressStride";
    case ReadResult::PayloadOffsetNonZero:
        return "PayloadOffsetNonZero";
    case ReadResult::PayloadSlotMismatch:
        return "PayloadSlotMismatch";
    case ReadResult::UnknownPool:
        return "UnknownPool";
    case ReadResult::ValuesLenExceedsStride:
        return "ValuesLenExceedsStride";
    case ReadResult::BufferTooSmall:
        return "BufferTooSmall";
    }
    return "Unknown";
}

} // namespace tp::shm
