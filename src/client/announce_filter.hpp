// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which ShmPoolAnnounces a consumer accepts (Wire §10.1.1, SPEC_DECISIONS D-17, D-18, D-23).

#include "codec/control_messages.hpp"

#include <cstdint>

namespace tp::client {

/// Why an announce was accepted or ignored.
enum class AnnounceVerdict {
    Accept,
    WrongStream,
    BadHeaderSlotBytes,
    NoPools,
    BadNslots, ///< header_nslots not a power of two, or a pool's nslots differs
    BadStride, ///< a stride is not a power-of-two multiple of 64 (D-17)
    BadLayoutVersion,
    ZeroTimestamp,
    UnknownClockDomain,
    StaleEpoch, ///< below the highest epoch seen
    NotFresh,   ///< older than the freshness window
    BeforeJoin, ///< MONOTONIC timestamp before the subscription's join time
};

[[nodiscard]] auto to_string(AnnounceVerdict v) noexcept -> const char*;

/// Applies D-23 for one stream; remembers the highest accepted epoch.
class AnnounceFilter {
public:
    AnnounceFilter(std::uint32_t stream_id, std::uint64_t announce_period_ns) noexcept
        : m_stream_id(stream_id), m_freshness_ns(3 * announce_period_ns) {}

    /// The local monotonic time at which the announce subscription's image became available.
    void set_join_time(std::uint64_t join_ns) noexcept { m_join_ns = join_ns; }
    /// Forgets the highest epoch (e.g. after the driver restarted on a fresh base directory).
    void reset() noexcept { m_highest_epoch = 0; }

    /// Checks an announce; on Accept, records its epoch as the highest seen.
    auto check(const control::PoolAnnounce& a, std::uint64_t now_monotonic_ns, std::uint64_t now_realtime_ns)
        -> AnnounceVerdict;

    [[nodiscard]] auto highest_epoch() const noexcept -> std::uint64_t { return m_highest_epoch; }
    void set_stream_id(std::uint32_t id) noexcept { m_stream_id = id; }

private:
    std::uint32_t m_stream_id;
    std::uint64_t m_freshness_ns;
    std::uint64_t m_join_ns{0};
    std::uint64_t m_highest_epoch{0};
};

} // namespace tp::client
