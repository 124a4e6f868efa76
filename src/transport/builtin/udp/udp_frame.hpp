// SPDX-License-Identifier: Apache-2.0
#pragma once

// Datagram format of the built-in UDP transport: one message per datagram.
//
//   0        4     5     6       8          12         16               24               32
//   +--------+-----+-----+-------+----------+----------+----------------+----------------+
//   | magic  | ver | type| flags | session  | stream   | sequence u64   | position i64   | payload
//   | u32    | u8  | u8  | u16   | id i32   | id i32   |                |                |
//   +--------+-----+-----+-------+----------+----------+----------------+----------------+
//
// `sequence` counts DATA datagrams of the session from 0; a HEARTBEAT carries the next sequence
// without using it, so a lost last message is detected too. `position` is the session's stream
// position after the message (32-byte aligned frame lengths summed, as Aeron counts).

#include "common/bits.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tp::transport::udp {

inline constexpr std::uint32_t DATAGRAM_MAGIC = 0x44555054U; // "TPUD" little-endian
inline constexpr std::uint8_t DATAGRAM_VERSION = 1;
inline constexpr std::uint8_t DATAGRAM_DATA = 1;
inline constexpr std::uint8_t DATAGRAM_HEARTBEAT = 2;
inline constexpr std::size_t DATAGRAM_HEADER_LENGTH = 32;

inline constexpr std::size_t MAGIC_OFFSET = 0;
inline constexpr std::size_t VERSION_OFFSET = 4;
inline constexpr std::size_t TYPE_OFFSET = 5;
inline constexpr std::size_t FLAGS_OFFSET = 6;
inline constexpr std::size_t SESSION_ID_OFFSET = 8;
inline constexpr std::size_t STREAM_ID_OFFSET = 12;
inline constexpr std::size_t SEQUENCE_OFFSET = 16;
inline constexpr std::size_t POSITION_OFFSET = 24;
static_assert(POSITION_OFFSET + 8 == DATAGRAM_HEADER_LENGTH, "datagram header is 32 bytes");

/// Decoded datagram header.
struct DatagramHeader {
    std::uint8_t type{0};
    std::int32_t session_id{0};
    std::int32_t stream_id{0};
    std::uint64_t sequence{0};
    std::int64_t position{0};
};

inline void encode_header(std::uint8_t* out, const DatagramHeader& h) noexcept {
    common::store_unaligned<std::uint32_t>(out + MAGIC_OFFSET, DATAGRAM_MAGIC);
    out[VERSION_OFFSET] = DATAGRAM_VERSION;
    out[TYPE_OFFSET] = h.type;
    common::store_unaligned<std::uint16_t>(out + FLAGS_OFFSET, 0);
    common::store_unaligned<std::int32_t>(out + SESSION_ID_OFFSET, h.session_id);
    common::store_unaligned<std::int32_t>(out + STREAM_ID_OFFSET, h.stream_id);
    common::store_unaligned<std::uint64_t>(out + SEQUENCE_OFFSET, h.sequence);
    common::store_unaligned<std::int64_t>(out + POSITION_OFFSET, h.position);
}

/// Decodes a header; false when the datagram is too short or not ours.
[[nodiscard]] inline auto decode_header(const std::uint8_t* in, std::size_t length, DatagramHeader& h) noexcept
    -> bool {
    if (length < DATAGRAM_HEADER_LENGTH || common::load_unaligned<std::uint32_t>(in + MAGIC_OFFSET) != DATAGRAM_MAGIC ||
        in[VERSION_OFFSET] != DATAGRAM_VERSION) {
        return false;
    }
    h.type = in[TYPE_OFFSET];
    h.session_id = common::load_unaligned<std::int32_t>(in + SESSION_ID_OFFSET);
    h.stream_id = common::load_unaligned<std::int32_t>(in + STREAM_ID_OFFSET);
    h.sequence = common::load_unaligned<std::uint64_t>(in + SEQUENCE_OFFSET);
    h.position = common::load_unaligned<std::int64_t>(in + POSITION_OFFSET);
    if (h.type == DATAGRAM_HEARTBEAT) {
        return length == DATAGRAM_HEADER_LENGTH;
    }
    return h.type == DATAGRAM_DATA;
}

/// The stream id of a datagram with a valid magic and version, else nullopt.
[[nodiscard]] inline auto peek_stream_id(const std::uint8_t* in, std::size_t length) noexcept
    -> std::optional<std::int32_t> {
    if (length < DATAGRAM_HEADER_LENGTH || common::load_unaligned<std::uint32_t>(in + MAGIC_OFFSET) != DATAGRAM_MAGIC ||
        in[VERSION_OFFSET] != DATAGRAM_VERSION) {
        return std::nullopt;
    }
    return common::load_unaligned<std::int32_t>(in + STREAM_ID_OFFSET);
}

/// Frame length a message adds to the position (32-byte aligned, header included).
[[nodiscard]] constexpr auto position_delta(std::size_t payload) noexcept -> std::int64_t {
    return static_cast<std::int64_t>((DATAGRAM_HEADER_LENGTH + payload + 31U) & ~std::size_t{31U});
}

} // namespace tp::transport::udp
