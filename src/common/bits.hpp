// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tp::common {

static_assert(std::endian::native == std::endian::little, "TensorPool's wire and SHM formats are little-endian");

/// True if v is a non-zero power of two.
template <typename T>
[[nodiscard]] constexpr auto is_power_of_two(T v) noexcept -> bool {
    return v != 0 && (v & (v - 1)) == 0;
}

/// Rounds v up to a multiple of the power of two `align`.
[[nodiscard]] constexpr auto align_up(std::uint64_t v, std::uint64_t align) noexcept -> std::uint64_t {
    return (v + align - 1) & ~(align - 1);
}

/// Reads a T from possibly unaligned memory (SPEC_DECISIONS D-09: never reinterpret_cast).
template <typename T>
[[nodiscard]] inline auto load_unaligned(const void* p) noexcept -> T {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

/// Writes a T to possibly unaligned memory.
template <typename T>
inline void store_unaligned(void* p, T v) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(p, &v, sizeof(T));
}

} // namespace tp::common
