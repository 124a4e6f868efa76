// SPDX-License-Identifier: Apache-2.0
#pragma once

// The v1.2 enum registries (W §15.8) and element sizes (D-13).

#include <cstdint>
#include <string_view>

namespace tp::shm {

/// W §15.8 Dtype (i16 on the wire). 12 is unassigned.
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

/// W §15.8 MajorOrder (i16 on the wire).
enum class MajorOrder : std::int16_t {
    Unknown = 0,
    Row = 1,
    Column = 2,
};

/// ProgressUnit (u8 on the wire).
enum class ProgressUnit : std::uint8_t {
    None = 0,
    Rows = 1,
    Columns = 2,
};

/// D-13 element size in bytes of a known dtype, 0 for Unknown or an unassigned value.
[[nodiscard]] constexpr auto element_size(std::int16_t raw_dtype) noexcept -> std::int64_t {
    switch (raw_dtype) {
    case 1:  // UINT8
    case 2:  // INT8
    case 11: // BOOLEAN
    case 13: // BYTES
    case 14: // BIT
        return 1;
    case 3: // UINT16
    case 4: // INT16
        return 2;
    case 5: // UINT32
    case 6: // INT32
    case 9: // FLOAT32
        return 4;
    case 7:  // UINT64
    case 8:  // INT64
    case 10: // FLOAT64
        return 8;
    default:
        return 0;
    }
}

/// D-12: dtype ∈ {1..11, 13, 14}.
[[nodiscard]] constexpr auto is_known_dtype(std::int16_t raw) noexcept -> bool {
    return element_size(raw) != 0;
}
/// D-12: majorOrder ∈ {1, 2}.
[[nodiscard]] constexpr auto is_known_major_order(std::int16_t raw) noexcept -> bool {
    return raw == 1 || raw == 2;
}
/// D-12: progressUnit ∈ {0, 1, 2}.
[[nodiscard]] constexpr auto is_known_progress_unit(std::uint8_t raw) noexcept -> bool {
    return raw <= 2;
}

/// Schema name of a dtype value ("UINT8", ...), "UNKNOWN" for 0 and "INVALID" for unassigned values.
[[nodiscard]] constexpr auto dtype_name(std::int16_t raw) noexcept -> std::string_view {
    switch (raw) {
    case 0:
        return "UNKNOWN";
    case 1:
        return "UINT8";
    case 2:
        return "INT8";
    case 3:
        return "UINT16";
    case 4:
        return "INT16";
    case 5:
        return "UINT32";
    case 6:
        return "INT32";
    case 7:
        return "UINT64";
    case 8:
        return "INT64";
    case 9:
        return "FLOAT32";
    case 10:
        return "FLOAT64";
    case 11:
        return "BOOLEAN";
    case 13:
        return "BYTES";
    case 14:
        return "BIT";
    default:
        return "INVALID";
    }
}

/// Schema name of a major order value.
[[nodiscard]] constexpr auto major_order_name(std::int16_t raw) noexcept -> std::string_view {
    switch (raw) {
    case 0:
        return "UNKNOWN";
    case 1:
        return "ROW";
    case 2:
        return "COLUMN";
    default:
        return "INVALID";
    }
}

/// Schema name of a progress unit value.
[[nodiscard]] constexpr auto progress_unit_name(std::uint8_t raw) noexcept -> std::string_view {
    switch (raw) {
    case 0:
        return "NONE";
    case 1:
        return "ROWS";
    case 2:
        return "COLUMNS";
    default:
        return "INVALID";
    }
}

} // namespace tp::shm
