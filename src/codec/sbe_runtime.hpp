// SPDX-License-Identifier: Apache-2.0
// Runtime shared by the generated SBE flyweights (tools/sbe_gen): bounds-checked little-endian
// access, the sticky error model, and the message / group flyweight bases.
//
// Error model: nothing throws. Every wrap, group header, group entry and var-data access checks its
// bounds against the buffer length given at wrap time; the first failure is recorded in a
// CodecState shared by a message and the groups inside it, and from then on reads return zero or
// empty and writes do nothing. Callers check `ok()` / `error()` once at the end.
#pragma once

#include "common/bits.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

namespace tp::codec {

/// Why a wrap, group or var-data access failed. The first failure sticks to the flyweight.
enum class CodecError : std::uint8_t {
    None = 0,           ///< no failure
    ShortHeader,        ///< fewer than 8 bytes for the message header
    WrongSchema,        ///< header schemaId differs from the codec's
    WrongTemplate,      ///< header templateId differs from the codec's
    UnsupportedVersion, ///< header version above the codec's schema version (SPEC_DECISIONS §2)
    BlockTooShort,      ///< acting block length below the schema's block length
    BlockPastEnd,       ///< the fixed block runs past the buffer end
    GroupHeaderPastEnd, ///< a group's 4-byte header runs past the buffer end
    GroupBlockLength,   ///< group blockLength below the schema's, or a tags group not 0 or 4 (§3)
    GroupPastEnd,       ///< group entries run past the buffer end
    GroupCountTooLarge, ///< encode: more entries than numInGroup (uint16) can hold
    GroupOverrun,       ///< next() called more times than the group holds
    VarDataPastEnd,     ///< a var-data length prefix or its bytes run past the buffer end
    VarDataTooLong,     ///< a var-data length above the composite's maxValue
};

/// Name of a codec error, e.g. "VarDataPastEnd".
[[nodiscard]] constexpr auto to_string(CodecError e) noexcept -> std::string_view {
    switch (e) {
    case CodecError::None:
        return "None";
    case CodecError::ShortHeader:
        return "ShortHeader";
    case CodecError::WrongSchema:
        return "WrongSchema";
    case CodecError::WrongTemplate:
        return "WrongTemplate";
    case CodecError::UnsupportedVersion:
        return "UnsupportedVersion";
    case CodecError::BlockTooShort:
        return "BlockTooShort";
    case CodecError::BlockPastEnd:
        return "BlockPastEnd";
    case CodecError::GroupHeaderPastEnd:
        return "GroupHeaderPastEnd";
    case CodecError::GroupBlockLength:
        return "GroupBlockLength";
    case CodecError::GroupPastEnd:
        return "GroupPastEnd";
    case CodecError::GroupCountTooLarge:
        return "GroupCountTooLarge";
    case CodecError::GroupOverrun:
        return "GroupOverrun";
    case CodecError::VarDataPastEnd:
        return "VarDataPastEnd";
    case CodecError::VarDataTooLong:
        return "VarDataTooLong";
    }
    return "Unknown";
}

/// Length of the SBE message header (blockLength, templateId, schemaId, version; uint16 each).
inline constexpr std::size_t MESSAGE_HEADER_LENGTH = 8;
/// Length of a repeating group header (blockLength, numInGroup; uint16 each).
inline constexpr std::size_t GROUP_HEADER_LENGTH = 4;

/// The four message header fields, read without a typed codec.
struct MessageHeaderFields {
    std::uint16_t block_length{0}; ///< acting block length of the body
    std::uint16_t template_id{0};  ///< message id within the schema
    std::uint16_t schema_id{0};    ///< schema id (900 ... 910)
    std::uint16_t version{0};      ///< schema version the sender encoded
};

namespace detail {

/// Position and sticky error shared by a message and the groups wrapped inside it.
struct CodecState {
    std::size_t position{0};
    CodecError error{CodecError::None};
};

/// Records `e` unless an earlier failure is already recorded.
inline void fail(CodecState& state, CodecError e) noexcept {
    if (state.error == CodecError::None) {
        state.error = e;
    }
}

/// Bytes from `pos` to `limit`, or 0 when `pos` is at or past it.
[[nodiscard]] constexpr auto remaining(std::size_t pos, std::size_t limit) noexcept -> std::size_t {
    return pos < limit ? limit - pos : 0;
}

/// D-09: every field access goes through memcpy; fields are often unaligned.
template <typename T>
[[nodiscard]] inline auto load(const std::uint8_t* p) noexcept -> T {
    return common::load_unaligned<T>(p);
}
template <typename T>
inline void store(std::uint8_t* p, T v) noexcept {
    common::store_unaligned<T>(p, v);
}

/// Views var-data bytes as text (the bytes are not checked for ASCII).
[[nodiscard]] inline auto as_text(std::span<const std::uint8_t> bytes) noexcept -> std::string_view {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; // char may alias any object
}

/// Reads a length-prefixed var-data element at state.position and moves past it.
template <typename LenT, std::uint64_t MaxLen>
[[nodiscard]] inline auto var_read(const std::uint8_t* buffer, std::size_t limit, CodecState& state) noexcept
    -> std::span<const std::uint8_t> {
    if (state.error != CodecError::None || buffer == nullptr) {
        return {};
    }
    const std::size_t pos = state.position;
    const std::size_t room = remaining(pos, limit);
    if (room < sizeof(LenT)) {
        fail(state, CodecError::VarDataPastEnd);
        return {};
    }
    const std::uint64_t n = load<LenT>(buffer + pos);
    if (n > MaxLen) {
        fail(state, CodecError::VarDataTooLong);
        return {};
    }
    if (room - sizeof(LenT) < n) {
        fail(state, CodecError::VarDataPastEnd);
        return {};
    }
    state.position = pos + sizeof(LenT) + static_cast<std::size_t>(n);
    return {buffer + pos + sizeof(LenT), static_cast<std::size_t>(n)};
}

/// The length prefix at state.position without moving; 0 when it is past the end or after an error.
template <typename LenT>
[[nodiscard]] inline auto var_peek(const std::uint8_t* buffer, std::size_t limit, const CodecState& state) noexcept
    -> std::uint64_t {
    if (state.error != CodecError::None || buffer == nullptr || remaining(state.position, limit) < sizeof(LenT)) {
        return 0;
    }
    return load<LenT>(buffer + state.position);
}

/// Writes the length prefix for `n` bytes at state.position, moves past the bytes and returns them
/// for the caller to fill in place. Empty (and the error recorded) when they do not fit.
template <typename LenT, std::uint64_t MaxLen>
[[nodiscard]] inline auto var_claim(std::uint8_t* buffer, std::size_t limit, CodecState& state, std::size_t n) noexcept
    -> std::span<std::uint8_t> {
    if (state.error != CodecError::None || buffer == nullptr) {
        return {};
    }
    if (n > MaxLen) {
        fail(state, CodecError::VarDataTooLong);
        return {};
    }
    const std::size_t pos = state.position;
    const std::size_t room = remaining(pos, limit);
    if (room < sizeof(LenT) || room - sizeof(LenT) < n) {
        fail(state, CodecError::VarDataPastEnd);
        return {};
    }
    store<LenT>(buffer + pos, static_cast<LenT>(n));
    state.position = pos + sizeof(LenT) + n;
    return {buffer + pos + sizeof(LenT), n};
}

/// var_claim plus a copy of `n` bytes from `data`.
template <typename LenT, std::uint64_t MaxLen>
inline void var_write(std::uint8_t* buffer, std::size_t limit, CodecState& state, const void* data,
                      std::size_t n) noexcept {
    const std::span<std::uint8_t> dst = var_claim<LenT, MaxLen>(buffer, limit, state, n);
    if (!dst.empty()) {
        std::memcpy(dst.data(), data, n);
    }
}

} // namespace detail

/// Reads the 8-byte message header at `offset`; false when fewer than 8 bytes remain.
[[nodiscard]] inline auto read_message_header(const void* buffer, std::size_t offset, std::size_t length,
                                              MessageHeaderFields& out) noexcept -> bool {
    if (buffer == nullptr || detail::remaining(offset, length) < MESSAGE_HEADER_LENGTH) {
        return false;
    }
    const auto* p = static_cast<const std::uint8_t*>(buffer) + offset;
    out.block_length = detail::load<std::uint16_t>(p);
    out.template_id = detail::load<std::uint16_t>(p + 2);
    out.schema_id = detail::load<std::uint16_t>(p + 4);
    out.version = detail::load<std::uint16_t>(p + 6);
    return true;
}

/// Base of every generated message flyweight (CRTP). Derived supplies SBE_BLOCK_LENGTH,
/// SBE_TEMPLATE_ID, SBE_SCHEMA_ID, SBE_SCHEMA_VERSION and SBE_PADDING_OFFSET (end of the last field).
///
/// A flyweight neither owns nor copies the buffer. Not thread-safe. Groups and var data must be
/// accessed in schema order; each read moves a shared position. Do not copy a flyweight while a group
/// obtained from it is in use (the group points at the flyweight's state).
template <typename Derived>
class MessageFlyweight {
public:
    /// Wraps `buffer[offset, length)` to encode a body without a message header. Writes only the
    /// block padding (zero); fields keep whatever bytes were there until set (see clear()).
    /// On a buffer too short for the block, error() is BlockPastEnd and nothing is written.
    auto wrap_for_encode(void* buffer, std::size_t offset, std::size_t length) noexcept -> Derived& {
        reset(static_cast<std::uint8_t*>(buffer), offset, length, Derived::SBE_BLOCK_LENGTH,
              Derived::SBE_SCHEMA_VERSION);
        if (buffer == nullptr || offset > length || detail::remaining(offset, length) < Derived::SBE_BLOCK_LENGTH) {
            fail_wrap(CodecError::BlockPastEnd);
            return self();
        }
        m_block = m_buffer + offset;
        if constexpr (Derived::SBE_PADDING_OFFSET < Derived::SBE_BLOCK_LENGTH) {
            std::memset(m_block + Derived::SBE_PADDING_OFFSET, 0,
                        Derived::SBE_BLOCK_LENGTH - Derived::SBE_PADDING_OFFSET);
        }
        m_state.position = offset + Derived::SBE_BLOCK_LENGTH;
        return self();
    }

    /// Writes the message header (schema block length, template, schema, version) at `offset` and
    /// wraps the body after it for encoding. encoded_length() then excludes the header and
    /// frame_length() includes it.
    auto wrap_and_apply_header(void* buffer, std::size_t offset, std::size_t length) noexcept -> Derived& {
        if (buffer == nullptr ||
            detail::remaining(offset, length) < MESSAGE_HEADER_LENGTH + Derived::SBE_BLOCK_LENGTH) {
            reset(static_cast<std::uint8_t*>(buffer), offset, length, Derived::SBE_BLOCK_LENGTH,
                  Derived::SBE_SCHEMA_VERSION);
            fail_wrap(CodecError::BlockPastEnd);
            return self();
        }
        auto* p = static_cast<std::uint8_t*>(buffer) + offset;
        detail::store<std::uint16_t>(p, Derived::SBE_BLOCK_LENGTH);
        detail::store<std::uint16_t>(p + 2, Derived::SBE_TEMPLATE_ID);
        detail::store<std::uint16_t>(p + 4, Derived::SBE_SCHEMA_ID);
        detail::store<std::uint16_t>(p + 6, Derived::SBE_SCHEMA_VERSION);
        wrap_for_encode(buffer, offset + MESSAGE_HEADER_LENGTH, length);
        m_start = offset;
        return self();
    }

    /// Wraps a received body at `offset` (after the header) for decoding with the header's block
    /// length and version. A block length below SBE_BLOCK_LENGTH is rejected (BlockTooShort); a larger
    /// one is honoured (the extra bytes are skipped). `length` is the buffer length: nothing at or
    /// past it is read.
    auto wrap_for_decode(const void* buffer, std::size_t offset, std::size_t acting_block_length,
                         std::size_t acting_version, std::size_t length) noexcept -> Derived& {
        // Decoding never writes; the cast only lets one flyweight type serve both directions.
        reset(const_cast<std::uint8_t*>(static_cast<const std::uint8_t*>(buffer)), offset, length, acting_block_length,
              acting_version);
        if (buffer == nullptr) {
            fail_wrap(CodecError::BlockPastEnd);
        } else if (acting_block_length < Derived::SBE_BLOCK_LENGTH) {
            fail_wrap(CodecError::BlockTooShort);
        } else if (offset > length || detail::remaining(offset, length) < acting_block_length) {
            fail_wrap(CodecError::BlockPastEnd);
        } else {
            m_block = m_buffer + offset;
            m_state.position = offset + acting_block_length;
        }
        return self();
    }

    /// Reads and checks the message header at `offset` (schema, template, version <= ours), then
    /// wraps the body with the header's block length. frame_length() then includes the header.
    auto wrap_for_decode_with_header(const void* buffer, std::size_t offset, std::size_t length) noexcept -> Derived& {
        MessageHeaderFields h;
        CodecError e = CodecError::None;
        if (!read_message_header(buffer, offset, length, h)) {
            e = CodecError::ShortHeader;
        } else if (h.schema_id != Derived::SBE_SCHEMA_ID) {
            e = CodecError::WrongSchema;
        } else if (h.template_id != Derived::SBE_TEMPLATE_ID) {
            e = CodecError::WrongTemplate;
        } else if (h.version > Derived::SBE_SCHEMA_VERSION) {
            e = CodecError::UnsupportedVersion; // SPEC_DECISIONS §2 step 4
        }
        if (e != CodecError::None) {
            reset(nullptr, offset, length, Derived::SBE_BLOCK_LENGTH, Derived::SBE_SCHEMA_VERSION);
            fail_wrap(e);
            return self();
        }
        wrap_for_decode(buffer, offset + MESSAGE_HEADER_LENGTH, h.block_length, h.version, length);
        m_start = offset;
        return self();
    }

    /// True while no bounds or header check has failed.
    [[nodiscard]] auto ok() const noexcept -> bool { return m_state.error == CodecError::None; }
    /// The first failure, or CodecError::None.
    [[nodiscard]] auto error() const noexcept -> CodecError { return m_state.error; }
    /// Bytes from the body start to the current position (after the last group or var data read
    /// or written): the encoded body length once everything is encoded or walked (skip()).
    [[nodiscard]] auto encoded_length() const noexcept -> std::size_t { return m_state.position - m_offset; }
    /// encoded_length() plus the message header when the wrap applied or checked one.
    [[nodiscard]] auto frame_length() const noexcept -> std::size_t { return m_state.position - m_start; }
    /// The block length used to find the first group / var data.
    [[nodiscard]] auto acting_block_length() const noexcept -> std::size_t { return m_acting_block_length; }
    /// The schema version the message was encoded with.
    [[nodiscard]] auto acting_version() const noexcept -> std::size_t { return m_acting_version; }
    /// Offset of the body in the buffer.
    [[nodiscard]] auto sbe_offset() const noexcept -> std::size_t { return m_offset; }
    /// Current absolute position in the buffer.
    [[nodiscard]] auto sbe_position() const noexcept -> std::size_t { return m_state.position; }
    /// The buffer length given at wrap time.
    [[nodiscard]] auto buffer_length() const noexcept -> std::size_t { return m_limit; }

protected:
    template <typename T>
    [[nodiscard]] auto get(std::size_t at) const noexcept -> T {
        if (m_block == nullptr) [[unlikely]] {
            return T{};
        }
        return detail::load<T>(m_block + at);
    }
    template <typename T>
    void put(std::size_t at, T v) noexcept {
        if (m_block != nullptr) [[likely]] {
            detail::store<T>(m_block + at, v);
        }
    }
    [[nodiscard]] auto block_bytes(std::size_t at, std::size_t n) const noexcept -> std::span<const std::uint8_t> {
        if (m_block == nullptr) {
            return {};
        }
        return {m_block + at, n};
    }
    void put_block_bytes(std::size_t at, std::size_t n, std::span<const std::uint8_t> src) noexcept {
        if (m_block == nullptr) {
            return;
        }
        const std::size_t k = src.size() < n ? src.size() : n;
        if (k != 0) {
            std::memcpy(m_block + at, src.data(), k);
        }
        std::memset(m_block + at + k, 0, n - k);
    }
    [[nodiscard]] auto block_ptr(std::size_t at) const noexcept -> std::uint8_t* {
        return m_block == nullptr ? nullptr : m_block + at;
    }

    template <typename LenT, std::uint64_t MaxLen>
    [[nodiscard]] auto read_var() noexcept -> std::span<const std::uint8_t> {
        return detail::var_read<LenT, MaxLen>(m_buffer, m_limit, m_state);
    }
    template <typename LenT>
    [[nodiscard]] auto peek_var() const noexcept -> std::uint64_t {
        return detail::var_peek<LenT>(m_buffer, m_limit, m_state);
    }
    template <typename LenT, std::uint64_t MaxLen>
    [[nodiscard]] auto claim_var(std::size_t n) noexcept -> std::span<std::uint8_t> {
        return detail::var_claim<LenT, MaxLen>(m_buffer, m_limit, m_state, n);
    }
    template <typename LenT, std::uint64_t MaxLen>
    void write_var(const void* data, std::size_t n) noexcept {
        detail::var_write<LenT, MaxLen>(m_buffer, m_limit, m_state, data, n);
    }
    template <typename G>
    auto wrap_group_decode(G& group) noexcept -> G& {
        group.wrap_for_decode(m_buffer, m_limit, m_state, m_acting_version);
        return group;
    }
    template <typename G>
    auto wrap_group_encode(G& group, std::size_t count) noexcept -> G& {
        group.wrap_for_encode(m_buffer, m_limit, m_state, count);
        return group;
    }

private:
    auto self() noexcept -> Derived& { return static_cast<Derived&>(*this); }
    void reset(std::uint8_t* buffer, std::size_t offset, std::size_t length, std::size_t acting_block_length,
               std::size_t acting_version) noexcept {
        m_buffer = buffer;
        m_block = nullptr;
        m_start = offset;
        m_offset = offset;
        m_limit = length;
        m_acting_block_length = acting_block_length;
        m_acting_version = acting_version;
        m_state = detail::CodecState{offset, CodecError::None};
    }
    void fail_wrap(CodecError e) noexcept {
        m_buffer = nullptr;
        m_block = nullptr;
        detail::fail(m_state, e);
    }

    std::uint8_t* m_buffer{nullptr}; // nullptr after a failed wrap: nothing is read or written
    std::uint8_t* m_block{nullptr};  // start of the fixed block, nullptr after a failed wrap
    std::size_t m_start{0};          // where the wrap began (the header, when there is one)
    std::size_t m_offset{0};         // body start
    std::size_t m_limit{0};          // buffer length
    std::size_t m_acting_block_length{0};
    std::size_t m_acting_version{0};
    detail::CodecState m_state{};
};

/// Base of every generated repeating-group flyweight (CRTP). Derived supplies SBE_BLOCK_LENGTH,
/// SBE_VAR_ENTRY (SPEC_DECISIONS §3 tags shape) and SBE_MIN_ENTRY_EXTRA (the smallest number of
/// bytes an entry holds after its block: var-data length prefixes and nested group headers).
/// A group is wrapped by its enclosing message or entry, at the shared position.
template <typename Derived>
class GroupFlyweight {
public:
    /// Number of entries (numInGroup).
    [[nodiscard]] auto count() const noexcept -> std::size_t { return m_count; }
    /// Number of entries visited so far by next().
    [[nodiscard]] auto index() const noexcept -> std::size_t { return m_index; }
    /// True while entries remain and nothing has failed.
    [[nodiscard]] auto has_next() const noexcept -> bool {
        return m_index < m_count && m_state != nullptr && m_state->error == CodecError::None;
    }
    /// Moves to the next entry. Past the last entry or the buffer end, the failure is recorded and
    /// the entry's fields read as zero.
    auto next() noexcept -> Derived& {
        m_entry = nullptr;
        if (m_state == nullptr || m_state->error != CodecError::None || m_buffer == nullptr) {
            return self();
        }
        if (m_index >= m_count) {
            detail::fail(*m_state, CodecError::GroupOverrun);
            return self();
        }
        const std::size_t pos = m_state->position;
        if (detail::remaining(pos, m_limit) < m_step) {
            detail::fail(*m_state, CodecError::GroupPastEnd);
            return self();
        }
        m_entry = m_buffer + pos;
        m_state->position = pos + m_step;
        ++m_index;
        return self();
    }
    /// True while nothing in the enclosing message has failed.
    [[nodiscard]] auto ok() const noexcept -> bool { return m_state != nullptr && m_state->error == CodecError::None; }
    /// The first failure of the enclosing message.
    [[nodiscard]] auto error() const noexcept -> CodecError {
        return m_state == nullptr ? CodecError::None : m_state->error;
    }
    /// The group header's blockLength (decode) or the schema's (encode).
    [[nodiscard]] auto acting_block_length() const noexcept -> std::size_t { return m_block_length; }

    /// Reads the group header at the shared position (called by the enclosing flyweight).
    void wrap_for_decode(std::uint8_t* buffer, std::size_t limit, detail::CodecState& state,
                         std::size_t acting_version) noexcept {
        clear_wrap(limit, state, acting_version);
        if (state.error != CodecError::None || buffer == nullptr) {
            return;
        }
        const std::size_t pos = state.position;
        const std::size_t room = detail::remaining(pos, limit);
        if (room < GROUP_HEADER_LENGTH) {
            detail::fail(state, CodecError::GroupHeaderPastEnd);
            return;
        }
        const std::size_t block_length = detail::load<std::uint16_t>(buffer + pos);
        const std::size_t n = detail::load<std::uint16_t>(buffer + pos + 2);
        std::size_t step = block_length;
        if constexpr (Derived::SBE_VAR_ENTRY) {
            // SPEC_DECISIONS §3: peers write 0, some encoders 4; either way an entry is the u32
            // length and the bytes, and the next entry starts right after them.
            if (block_length != 0 && block_length != 4) {
                detail::fail(state, CodecError::GroupBlockLength);
                return;
            }
            step = 0;
        } else if (block_length < Derived::SBE_BLOCK_LENGTH) {
            detail::fail(state, CodecError::GroupBlockLength);
            return;
        }
        // Every entry needs at least its block plus its length prefixes and nested headers.
        if (n * (step + Derived::SBE_MIN_ENTRY_EXTRA) > room - GROUP_HEADER_LENGTH) {
            detail::fail(state, CodecError::GroupPastEnd);
            return;
        }
        m_buffer = buffer;
        m_block_length = block_length;
        m_step = step;
        m_count = n;
        state.position = pos + GROUP_HEADER_LENGTH;
    }

    /// Writes the group header for `count` entries at the shared position (called by the enclosing
    /// flyweight).
    void wrap_for_encode(std::uint8_t* buffer, std::size_t limit, detail::CodecState& state,
                         std::size_t count) noexcept {
        clear_wrap(limit, state, 0);
        if (state.error != CodecError::None || buffer == nullptr) {
            return;
        }
        if (count > std::numeric_limits<std::uint16_t>::max()) {
            detail::fail(state, CodecError::GroupCountTooLarge);
            return;
        }
        const std::size_t pos = state.position;
        if (detail::remaining(pos, limit) < GROUP_HEADER_LENGTH) {
            detail::fail(state, CodecError::GroupHeaderPastEnd);
            return;
        }
        detail::store<std::uint16_t>(buffer + pos, Derived::SBE_BLOCK_LENGTH);
        detail::store<std::uint16_t>(buffer + pos + 2, static_cast<std::uint16_t>(count));
        m_buffer = buffer;
        m_block_length = Derived::SBE_BLOCK_LENGTH;
        m_step = Derived::SBE_BLOCK_LENGTH;
        m_count = count;
        state.position = pos + GROUP_HEADER_LENGTH;
    }

protected:
    template <typename T>
    [[nodiscard]] auto get(std::size_t at) const noexcept -> T {
        if (m_entry == nullptr) [[unlikely]] {
            return T{};
        }
        return detail::load<T>(m_entry + at);
    }
    template <typename T>
    void put(std::size_t at, T v) noexcept {
        if (m_entry != nullptr) [[likely]] {
            detail::store<T>(m_entry + at, v);
        }
    }
    [[nodiscard]] auto block_bytes(std::size_t at, std::size_t n) const noexcept -> std::span<const std::uint8_t> {
        if (m_entry == nullptr) {
            return {};
        }
        return {m_entry + at, n};
    }
    void put_block_bytes(std::size_t at, std::size_t n, std::span<const std::uint8_t> src) noexcept {
        if (m_entry == nullptr) {
            return;
        }
        const std::size_t k = src.size() < n ? src.size() : n;
        if (k != 0) {
            std::memcpy(m_entry + at, src.data(), k);
        }
        std::memset(m_entry + at + k, 0, n - k);
    }
    [[nodiscard]] auto block_ptr(std::size_t at) const noexcept -> std::uint8_t* {
        return m_entry == nullptr ? nullptr : m_entry + at;
    }

    template <typename LenT, std::uint64_t MaxLen>
    [[nodiscard]] auto read_var() noexcept -> std::span<const std::uint8_t> {
        if (m_state == nullptr) {
            return {};
        }
        return detail::var_read<LenT, MaxLen>(m_buffer, m_limit, *m_state);
    }
    template <typename LenT>
    [[nodiscard]] auto peek_var() const noexcept -> std::uint64_t {
        if (m_state == nullptr) {
            return 0;
        }
        return detail::var_peek<LenT>(m_buffer, m_limit, *m_state);
    }
    template <typename LenT, std::uint64_t MaxLen>
    [[nodiscard]] auto claim_var(std::size_t n) noexcept -> std::span<std::uint8_t> {
        if (m_state == nullptr) {
            return {};
        }
        return detail::var_claim<LenT, MaxLen>(m_buffer, m_limit, *m_state, n);
    }
    template <typename LenT, std::uint64_t MaxLen>
    void write_var(const void* data, std::size_t n) noexcept {
        if (m_state != nullptr) {
            detail::var_write<LenT, MaxLen>(m_buffer, m_limit, *m_state, data, n);
        }
    }
    template <typename G>
    auto wrap_group_decode(G& group) noexcept -> G& {
        if (m_state != nullptr) {
            group.wrap_for_decode(m_buffer, m_limit, *m_state, m_acting_version);
        }
        return group;
    }
    template <typename G>
    auto wrap_group_encode(G& group, std::size_t count) noexcept -> G& {
        if (m_state != nullptr) {
            group.wrap_for_encode(m_buffer, m_limit, *m_state, count);
        }
        return group;
    }

private:
    auto self() noexcept -> Derived& { return static_cast<Derived&>(*this); }
    void clear_wrap(std::size_t limit, detail::CodecState& state, std::size_t acting_version) noexcept {
        m_buffer = nullptr;
        m_entry = nullptr;
        m_limit = limit;
        m_state = &state;
        m_block_length = 0;
        m_step = 0;
        m_count = 0;
        m_index = 0;
        m_acting_version = acting_version;
    }

    std::uint8_t* m_buffer{nullptr}; // nullptr until the header is read or written successfully
    std::uint8_t* m_entry{nullptr};  // current entry's block, nullptr before next() or after a failure
    std::size_t m_limit{0};
    detail::CodecState* m_state{nullptr}; // the enclosing message's position and error
    std::size_t m_block_length{0};
    std::size_t m_step{0}; // bytes next() moves over: the block, or 0 for §3 tags entries
    std::size_t m_count{0};
    std::size_t m_index{0};
    std::size_t m_acting_version{0};
};

} // namespace tp::codec
