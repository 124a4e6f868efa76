// SPDX-License-Identifier: Apache-2.0
#pragma once

// A payload pattern that every byte of a frame takes part in: 64-bit word i of frame `seq` is
// base(seq) + i, so the sum of a frame's words has a closed form and a reader that sums every
// word knows whether it read exactly frame `seq`. Fill and sum stream at memory speed.

#include <cstddef>
#include <cstdint>

namespace tp::perf {

/// The first word of frame `seq`.
[[nodiscard]] constexpr auto pattern_base(std::uint64_t seq) noexcept -> std::uint64_t {
    return (seq + 1) * 0x9E3779B97F4A7C15ULL;
}

/// How fill_pattern writes.
enum class Stores : std::uint8_t {
    Regular,   ///< ordinary stores: the frame stays in the writer's caches
    Streaming, ///< non-temporal stores (x86-64; regular elsewhere): the frame goes to memory
};

/// Writes every byte of `bytes` (a multiple of 8) with frame `seq`'s pattern. Streaming stores are
/// fenced before and after (sfence), so they are ordered like regular stores with the stores
/// around the call (a seqlock's in-progress word before, its commit word after).
void fill_pattern(std::byte* p, std::size_t bytes, std::uint64_t seq, Stores stores = Stores::Regular) noexcept;
/// Reads every byte and checks the word sum against frame `seq`'s pattern.
[[nodiscard]] auto check_pattern(const std::byte* p, std::size_t bytes, std::uint64_t seq) noexcept -> bool;
/// Checks the first and the last word only.
[[nodiscard]] auto spot_check_pattern(const std::byte* p, std::size_t bytes, std::uint64_t seq) noexcept -> bool;

} // namespace tp::perf
