// SPDX-License-Identifier: Apache-2.0
#include "client/announce_filter.hpp"

#include "common/bits.hpp"

namespace tp::client {

auto to_string(AnnounceVerdict v) noexcept -> const char* {
    switch (v) {
    case AnnounceVerdict::Accept:
        return "accept";
    case AnnounceVerdict::WrongStream:
        return "wrong stream";
    case AnnounceVerdict::BadHeaderSlotBytes:
        return "headerSlotBytes != 256";
    case AnnounceVerdict::NoPools:
        return "no pools";
    case AnnounceVerdict::BadNslots:
        return "bad nslots";
    case AnnounceVerdict::BadStride:
        return "bad stride";
    case AnnounceVerdict::BadLayoutVersion:
        return "layoutVersion != 1";
    case AnnounceVerdict::ZeroTimestamp:
        return "timestamp 0";
    case AnnounceVerdict::UnknownClockDomain:
        return "unknown clock domain";
    case AnnounceVerdict::StaleEpoch:
        return "epoch below highest seen";
    case AnnounceVerdict::NotFresh:
        return "older than the freshness window";
    case AnnounceVerdict::BeforeJoin:
        return "before join time";
    }
    return "?";
}

auto AnnounceFilter::check(const control::PoolAnnounce& a, std::uint64_t now_monotonic_ns,
                           std::uint64_t now_realtime_ns) -> AnnounceVerdict {
    // D-23, in order.
    if (a.stream_id != m_stream_id) {
        return AnnounceVerdict::WrongStream;
    }
    if (a.header_slot_bytes != 256) {
        return AnnounceVerdict::BadHeaderSlotBytes;
    }
    if (a.pools.empty()) {
        return AnnounceVerdict::NoPools;
    }
    if (!common::is_power_of_two(a.header_nslots)) {
        return AnnounceVerdict::BadNslots; // D-18
    }
    for (const auto& p : a.pools) {
        if (p.pool_nslots != a.header_nslots) {
            return AnnounceVerdict::BadNslots;
        }
        if (p.stride_bytes < 64 || !common::is_power_of_two(p.stride_bytes)) {
            return AnnounceVerdict::BadStride; // D-17: such regions are not mapped
        }
    }
    if (a.layout_version != 1) {
        return AnnounceVerdict::BadLayoutVersion;
    }
    if (a.announce_timestamp_ns == 0) {
        return AnnounceVerdict::ZeroTimestamp;
    }
    std::uint64_t now = 0;
    if (a.clock_domain == static_cast<std::uint8_t>(control::ClockDomain::Monotonic)) {
        now = now_monotonic_ns;
    } else if (a.clock_domain == static_cast<std::uint8_t>(control::ClockDomain::RealtimeSynced)) {
        now = now_realtime_ns;
    } else {
        return AnnounceVerdict::UnknownClockDomain;
    }
    if (a.epoch < m_highest_epoch) {
        return AnnounceVerdict::StaleEpoch;
    }
    if (now > a.announce_timestamp_ns && now - a.announce_timestamp_ns > m_freshness_ns) {
        return AnnounceVerdict::NotFresh;
    }
    // W §10.1.1: the join-time rule applies to MONOTONIC only; strict comparison (D-23).
    if (a.clock_domain == static_cast<std::uint8_t>(control::ClockDomain::Monotonic) &&
        a.announce_timestamp_ns < m_join_ns) {
        return AnnounceVerdict::BeforeJoin;
    }
    m_highest_epoch = a.epoch;
    return AnnounceVerdict::Accept;
}

} // namespace tp::client
