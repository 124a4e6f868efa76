// SPDX-License-Identifier: Apache-2.0
#pragma once

// Control messages of schema 900 that drive client state machines, as plain values (see
// driver_messages.hpp for the rationale). Frame-path messages (FrameDescriptor) stay flyweights.

#include "codec/driver_messages.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tp::control {

/// Mode (schema 900).
enum class Mode : std::uint8_t { Stream = 1, RateLimited = 2 };
/// ClockDomain (schema 900).
enum class ClockDomain : std::uint8_t { Monotonic = 1, RealtimeSynced = 2 };

inline constexpr std::uint32_t STREAM_ID_NONE_ALT = 0xFFFFFFFFU; ///< readers treat 0 and this as "none" (D-05)

/// ShmPoolAnnounce.
struct PoolAnnounce {
    std::uint32_t stream_id{0};
    std::uint32_t producer_id{0};
    std::uint64_t epoch{0};
    std::uint64_t announce_timestamp_ns{0};
    std::uint8_t clock_domain{static_cast<std::uint8_t>(ClockDomain::Monotonic)};
    std::uint32_t layout_version{1};
    std::uint32_t header_nslots{0};
    std::uint16_t header_slot_bytes{256};
    std::vector<driver::PoolLayout> pools;
    std::string header_region_uri;
};

/// ConsumerHello.
struct ConsumerHello {
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    bool supports_shm{true};
    bool supports_progress{false};
    Mode mode{Mode::Stream};
    std::uint32_t max_rate_hz{0};
    std::uint32_t expected_layout_version{1};
    std::optional<std::uint32_t> progress_interval_us;
    std::optional<std::uint32_t> progress_bytes_delta;
    std::optional<std::uint32_t> progress_major_delta_units;
    std::uint32_t descriptor_stream_id{0};
    std::uint32_t control_stream_id{0};
    std::string descriptor_channel;
    std::string control_channel;
};

/// ConsumerConfig.
struct ConsumerConfig {
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    bool use_shm{true};
    Mode mode{Mode::Stream};
    std::uint32_t descriptor_stream_id{0};
    std::uint32_t control_stream_id{0};
    std::string payload_fallback_uri;
    std::string descriptor_channel;
    std::string control_channel;
};

/// True when a stream id field means "none" (0 or all ones, D-05).
[[nodiscard]] constexpr auto is_none_stream_id(std::uint32_t id) noexcept -> bool {
    return id == 0 || id == STREAM_ID_NONE_ALT;
}

} // namespace tp::control
