// SPDX-License-Identifier: Apache-2.0
#pragma once

// Layout of a built-in IPC log file: `<transport dir>/ipc-<stream id>.log`.
//
//   0                         32 KiB                                   32 KiB + term_length
//   +-------------------------+-------------------------------------------+
//   | metadata                | ring: frames, 32-byte aligned              |
//   +-------------------------+-------------------------------------------+
//
// Metadata (all integers little-endian, native alignment):
//
//   0      8      12     16     20     24     32     36     40     44     48     56    64
//   +------+------+------+------+------+------+------+------+------+------+------+-----+
//   |magic |layout|meta  |term  |max   |stamp |stream|sub   |pub   |align |create|pid  | header
//   |u64   |u32   |len   |len   |msg   |key   |id    |slots |slots |u32   |ns i64|i32  |
//   +------+------+------+------+------+------+------+------+------+------+------+-----+
//   128: tail i64 (alone in its 128 bytes: the only word publishers contend on)
//   256: sub_changes u64 | 264: pub_changes u64 | 272: active_subs u64[2] (bit per sub slot)
//   1024:  128 subscriber slots x 128 bytes (one writer each; 128 so neighbours never share a
//          prefetched line pair)
//   17408: 128 publisher slots x 64 bytes
//   25600..32767 reserved
//
// Subscriber slot:                         Publisher slot:
//   0  owner u64 (generation<<8 | state)     0  owner u64 (generation<<8 | state)
//   8  position i64  (next frame to read)    8  session_id i32 | 12 pid i32
//   16 heartbeat_ns i64 (coarse monotonic)   16 heartbeat_ns i64 (coarse monotonic)
//   24 join_position i64                     24 join_position i64
//   32 pid i32 | 36 reserved                 32 end_position i64 (set when CLOSED)
//   40 rejoins u64                           40 join_time_ns i64
//
// Frame (32-byte header, then the payload, then padding to the next multiple of 32):
//
//   0               8          12       16          20         24               32
//   +---------------+----------+--------+-----------+----------+----------------+
//   | stamp u64     | length   | flags  | session   | stream   | reserved i64   | payload...
//   | (pos^key)|st  | u32      | u32    | id i32    | id i32   |                |
//   +---------------+----------+--------+-----------+----------+----------------+
//
// `stamp` identifies the frame's position and state in one word: (position XOR stamp_key) with the
// state in the low 5 bits (positions are multiples of 32, the key's low 5 bits are zero). A word
// left from an earlier lap or from payload bytes never matches the current position, so the ring
// needs no cleaning. `length` counts header and payload, unaligned (PAD: the whole padded span).
// A frame never crosses the end of the ring: the space left before the end is a PAD frame.

#include <cstddef>
#include <cstdint>

namespace tp::transport::ipc {

inline constexpr std::uint64_t LOG_MAGIC = 0x474F4C4350495054ULL; // "TPIPCLOG" little-endian
inline constexpr std::uint32_t LOG_LAYOUT_VERSION = 1;

inline constexpr std::size_t METADATA_LENGTH = 32 * 1024;
inline constexpr std::size_t FRAME_ALIGNMENT = 32;
inline constexpr std::size_t FRAME_HEADER_LENGTH = 32;
inline constexpr std::uint32_t SUB_SLOT_COUNT = 128;
inline constexpr std::uint32_t PUB_SLOT_COUNT = 128;

// Header fields.
inline constexpr std::size_t MAGIC_OFFSET = 0;
inline constexpr std::size_t LAYOUT_VERSION_OFFSET = 8;
inline constexpr std::size_t METADATA_LENGTH_OFFSET = 12;
inline constexpr std::size_t TERM_LENGTH_OFFSET = 16;
inline constexpr std::size_t MAX_MESSAGE_LENGTH_OFFSET = 20;
inline constexpr std::size_t STAMP_KEY_OFFSET = 24;
inline constexpr std::size_t STREAM_ID_OFFSET = 32;
inline constexpr std::size_t SUB_SLOTS_OFFSET = 36;
inline constexpr std::size_t PUB_SLOTS_OFFSET = 40;
inline constexpr std::size_t ALIGNMENT_OFFSET = 44;
inline constexpr std::size_t CREATE_TIME_OFFSET = 48;
inline constexpr std::size_t CREATOR_PID_OFFSET = 56;

inline constexpr std::size_t TAIL_OFFSET = 128;
inline constexpr std::size_t SUB_CHANGES_OFFSET = 256;
inline constexpr std::size_t PUB_CHANGES_OFFSET = 264;
inline constexpr std::size_t ACTIVE_SUBS_OFFSET = 272; // two u64 words

inline constexpr std::size_t SUB_SLOTS_BASE = 1024;
inline constexpr std::size_t SUB_SLOT_LENGTH = 128;
inline constexpr std::size_t PUB_SLOTS_BASE = SUB_SLOTS_BASE + SUB_SLOT_COUNT * SUB_SLOT_LENGTH;
inline constexpr std::size_t PUB_SLOT_LENGTH = 64;

// Subscriber slot fields.
inline constexpr std::size_t SUB_OWNER_OFFSET = 0;
inline constexpr std::size_t SUB_POSITION_OFFSET = 8;
inline constexpr std::size_t SUB_HEARTBEAT_OFFSET = 16;
inline constexpr std::size_t SUB_JOIN_POSITION_OFFSET = 24;
inline constexpr std::size_t SUB_PID_OFFSET = 32;
inline constexpr std::size_t SUB_REJOINS_OFFSET = 40;

// Publisher slot fields.
inline constexpr std::size_t PUB_OWNER_OFFSET = 0;
inline constexpr std::size_t PUB_SESSION_ID_OFFSET = 8;
inline constexpr std::size_t PUB_PID_OFFSET = 12;
inline constexpr std::size_t PUB_HEARTBEAT_OFFSET = 16;
inline constexpr std::size_t PUB_JOIN_POSITION_OFFSET = 24;
inline constexpr std::size_t PUB_END_POSITION_OFFSET = 32;
inline constexpr std::size_t PUB_JOIN_TIME_OFFSET = 40;

// Slot owner word: generation << 8 | state.
inline constexpr std::uint64_t SLOT_FREE = 0;
inline constexpr std::uint64_t SLOT_ACTIVE = 1;
inline constexpr std::uint64_t SLOT_CLOSED = 2;
[[nodiscard]] constexpr auto slot_state(std::uint64_t owner) noexcept -> std::uint64_t {
    return owner & 0xFFU;
}
[[nodiscard]] constexpr auto slot_generation(std::uint64_t owner) noexcept -> std::uint64_t {
    return owner >> 8U;
}
[[nodiscard]] constexpr auto make_owner(std::uint64_t generation, std::uint64_t state) noexcept -> std::uint64_t {
    return (generation << 8U) | state;
}

// Frame fields.
inline constexpr std::size_t FRAME_STAMP_OFFSET = 0;
inline constexpr std::size_t FRAME_LENGTH_OFFSET = 8;
inline constexpr std::size_t FRAME_FLAGS_OFFSET = 12;
inline constexpr std::size_t FRAME_SESSION_ID_OFFSET = 16;
inline constexpr std::size_t FRAME_STREAM_ID_OFFSET = 20;
inline constexpr std::size_t FRAME_RESERVED_OFFSET = 24;

// Frame states in the stamp's low bits.
inline constexpr std::uint64_t FRAME_PENDING = 1; ///< claimed, being written; length valid
inline constexpr std::uint64_t FRAME_DATA = 2;    ///< committed message
inline constexpr std::uint64_t FRAME_PAD = 3;     ///< skip `length` bytes (ring end, aborted or abandoned claim)
inline constexpr std::uint64_t FRAME_SKIP = 4;    ///< skip exactly 32 bytes (abandoned claim of unknown length)
inline constexpr std::uint64_t STAMP_STATE_MASK = FRAME_ALIGNMENT - 1;

/// The stamp of a frame at `position` in `state`.
[[nodiscard]] constexpr auto make_stamp(std::int64_t position, std::uint64_t key, std::uint64_t state) noexcept
    -> std::uint64_t {
    return (static_cast<std::uint64_t>(position) ^ key) | state;
}
/// The state encoded in `stamp` if it belongs to `position`, else 0 (nothing written there yet
/// in this lap).
[[nodiscard]] constexpr auto stamp_state(std::uint64_t stamp, std::int64_t position, std::uint64_t key) noexcept
    -> std::uint64_t {
    const std::uint64_t diff = stamp ^ key ^ static_cast<std::uint64_t>(position);
    return diff <= FRAME_SKIP ? diff : 0;
}

/// Largest message for a term length (Aeron's rule: an eighth of the term).
[[nodiscard]] constexpr auto max_message_length_for(std::uint32_t term_length) noexcept -> std::uint32_t {
    return term_length / 8U;
}

[[nodiscard]] constexpr auto align_frame(std::size_t length) noexcept -> std::size_t {
    return (length + FRAME_ALIGNMENT - 1) & ~(FRAME_ALIGNMENT - 1);
}

static_assert(TAIL_OFFSET % 128 == 0 && SUB_CHANGES_OFFSET == TAIL_OFFSET + 128, "tail owns its 128 bytes");
static_assert(ACTIVE_SUBS_OFFSET + 16 <= SUB_SLOTS_BASE, "header fits before the slots");
static_assert(SUB_SLOT_COUNT <= 128, "active_subs holds one bit per subscriber slot in two words");
static_assert(SUB_REJOINS_OFFSET + 8 <= SUB_SLOT_LENGTH, "subscriber slot fields fit");
static_assert(PUB_JOIN_TIME_OFFSET + 8 <= PUB_SLOT_LENGTH, "publisher slot fields fit");
static_assert(PUB_SLOTS_BASE + PUB_SLOT_COUNT * PUB_SLOT_LENGTH <= METADATA_LENGTH, "slots fit the metadata");
static_assert(METADATA_LENGTH % 4096 == 0, "the ring starts page aligned");
static_assert(FRAME_RESERVED_OFFSET + 8 == FRAME_HEADER_LENGTH, "frame header is 32 bytes");
static_assert(FRAME_SKIP < FRAME_ALIGNMENT, "states fit the stamp's low bits");

} // namespace tp::transport::ipc
