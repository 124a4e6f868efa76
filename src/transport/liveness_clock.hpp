// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <ctime>

namespace tp::transport {

/// CLOCK_MONOTONIC_COARSE in nanoseconds: a few nanoseconds to read (vDSO, no syscall) with the
/// resolution of the kernel tick (1-10 ms). Every heartbeat and liveness decision of the built-in
/// transport uses this clock, in every process, so ages compare like with like. Liveness timeouts
/// are hundreds of milliseconds or more, so the tick is noise.
[[nodiscard]] inline auto coarse_now_ns() noexcept -> std::int64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + static_cast<std::int64_t>(ts.tv_nsec);
}

/// CLOCK_MONOTONIC in nanoseconds (image join times).
[[nodiscard]] inline auto precise_now_ns() noexcept -> std::int64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + static_cast<std::int64_t>(ts.tv_nsec);
}

} // namespace tp::transport
