// SPDX-License-Identifier: Apache-2.0
#pragma once

// Read-modify-write operations on mapped words that concurrent/atomic_ops.hpp does not cover.

#include <atomic>
#include <cstdint>

namespace tp::transport::ipc {

/// fetch_or with acq_rel ordering; returns the previous value.
inline auto fetch_or_acq_rel(std::uint64_t* p, std::uint64_t bits) noexcept -> std::uint64_t {
    return std::atomic_ref<std::uint64_t>(*p).fetch_or(bits, std::memory_order_acq_rel);
}
/// fetch_and with acq_rel ordering; returns the previous value.
inline auto fetch_and_acq_rel(std::uint64_t* p, std::uint64_t bits) noexcept -> std::uint64_t {
    return std::atomic_ref<std::uint64_t>(*p).fetch_and(bits, std::memory_order_acq_rel);
}

} // namespace tp::transport::ipc
