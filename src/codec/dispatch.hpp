// SPDX-License-Identifier: Apache-2.0
// Dispatch of received SBE messages to typed handlers (SPEC_DECISIONS §2, D-04).
//
// Order of checks, each failure a counted drop (never an exception, never an allocation):
//   1. fewer than 8 bytes                      -> too_short
//   2. schemaId not one of ours                -> unknown_schema   (schema first: template 1 exists in
//   3. templateId not in that schema           -> unknown_template  six schemas sharing streams)
//   4. version > the schema's version          -> bad_version
//   5. blockLength < the schema's block length -> bad_block_length (larger: used as acting length)
//   6. block, group or var data past the end   -> malformed_body   (walked in full before delivery)
// Headerless SHM layouts (ShmRegionSuperblock, SlotHeader) never arrive with a header: a header that
// claims one is an unknown template.
#pragma once

#include "codec/sbe_runtime.hpp"
#include "tensorpool/codec/registry.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace tp::codec {

/// Why a message was dropped.
enum class DropReason : std::uint8_t {
    None = 0,        ///< not dropped
    TooShort,        ///< fewer than 8 bytes
    UnknownSchema,   ///< schemaId not spoken by this build
    UnknownTemplate, ///< templateId not in the schema (or a headerless SHM layout)
    BadVersion,      ///< version above the schema's
    BadBlockLength,  ///< blockLength below the schema's
    MalformedBody,   ///< block, group header, entries or var data past the end (or too long)
};

/// Name of a drop reason, e.g. "MalformedBody".
[[nodiscard]] auto to_string(DropReason r) noexcept -> std::string_view;

/// Outcome counters of a dispatcher. Plain integers: one dispatcher belongs to one thread.
struct DispatchCounters {
    std::uint64_t delivered{0};        ///< handed to a handler
    std::uint64_t unhandled{0};        ///< well-formed, but the handler takes no such type (not a drop)
    std::uint64_t too_short{0};        ///< drop: < 8 bytes
    std::uint64_t unknown_schema{0};   ///< drop: schemaId
    std::uint64_t unknown_template{0}; ///< drop: templateId
    std::uint64_t bad_version{0};      ///< drop: version
    std::uint64_t bad_block_length{0}; ///< drop: blockLength below the schema's
    std::uint64_t malformed_body{0};   ///< drop: bounds failure while walking the body

    /// Sum of every drop counter.
    [[nodiscard]] auto dropped() const noexcept -> std::uint64_t {
        return too_short + unknown_schema + unknown_template + bad_version + bad_block_length + malformed_body;
    }
    /// Adds one to the counter of `reason` (None counts nothing).
    void count(DropReason reason) noexcept;
};

/// Result of dispatching one message.
enum class DispatchResult : std::uint8_t {
    Delivered, ///< the handler was called
    Unhandled, ///< well-formed, no handler overload for its type
    Dropped,   ///< see DispatchOutcome::reason
};

/// What happened to one message.
struct DispatchOutcome {
    DispatchResult result{DispatchResult::Dropped}; ///< delivered, unhandled or dropped
    DropReason reason{DropReason::None};            ///< why it was dropped
    CodecError error{CodecError::None};             ///< the codec failure behind MalformedBody
    const MessageType* type{nullptr};               ///< the message type, when the header named a known one
};

/// Result of the header checks (steps 1-5).
struct HeaderCheck {
    DropReason reason{DropReason::None}; ///< None when steps 1-5 pass
    MessageHeaderFields header{};        ///< the header as read (zeros when too short)
    const MessageType* type{nullptr};    ///< set when schema and template are known
};

/// Steps 1-5 of SPEC_DECISIONS §2 on a message starting with its header.
[[nodiscard]] auto check_header(std::span<const std::uint8_t> bytes) noexcept -> HeaderCheck;

/// Steps 1-6: the header checks, then a full walk of the body. On success `body_length` is the
/// number of body bytes after the header.
[[nodiscard]] auto check_message(std::span<const std::uint8_t> bytes, std::size_t& body_length) noexcept
    -> DispatchOutcome;

/// Identity of a message for tools: header fields and, when known, names.
struct MessageInfo {
    bool has_header{false};           ///< at least 8 bytes
    MessageHeaderFields header{};     ///< the header fields (valid when has_header)
    std::string_view schema{};        ///< schema namespace ("control", ...) or empty if unknown
    std::string_view name{};          ///< message name or empty if unknown
    const MessageType* type{nullptr}; ///< registry entry or nullptr
};

/// Reads (schemaId, templateId, name) of a message without validating its body.
[[nodiscard]] auto describe_message(std::span<const std::uint8_t> bytes) noexcept -> MessageInfo;

/// Checks `bytes` (a whole message with its header) and, when well-formed, calls `handler(m)` with a
/// freshly wrapped decoder `m` of the message's type if the handler accepts that type (an overload
/// set, a generic lambda, or any callable). Counts every outcome in `counters`. The decoder views
/// `bytes`, which must outlive the call; handlers must not keep it.
template <typename Handler>
auto dispatch(std::span<const std::uint8_t> bytes, Handler& handler, DispatchCounters& counters) -> DispatchOutcome {
    std::size_t body_length = 0;
    DispatchOutcome outcome = check_message(bytes, body_length);
    if (outcome.result == DispatchResult::Dropped) {
        counters.count(outcome.reason);
        return outcome;
    }
    MessageHeaderFields h{};
    static_cast<void>(read_message_header(bytes.data(), 0, bytes.size(), h)); // checked by check_message
    bool delivered = false;
    visit_message_type(h.schema_id, h.template_id, [&](auto tag) {
        using M = typename decltype(tag)::type;
        if constexpr (std::is_invocable_v<Handler&, M&>) {
            M m;
            m.wrap_for_decode(bytes.data(), MESSAGE_HEADER_LENGTH, h.block_length, h.version, bytes.size());
            handler(m);
            delivered = true;
        }
    });
    if (delivered) {
        ++counters.delivered;
        outcome.result = DispatchResult::Delivered;
    } else {
        ++counters.unhandled;
        outcome.result = DispatchResult::Unhandled;
    }
    return outcome;
}

/// A handler bound to its counters: the `*Adapter` of a stream. Not thread-safe; the handler is
/// referenced, not owned.
template <typename Handler>
class Dispatcher {
public:
    /// Binds `handler`, which must outlive the dispatcher.
    explicit Dispatcher(Handler& handler) noexcept : m_handler(&handler) {}

    /// Dispatches one message (header included).
    auto on_message(std::span<const std::uint8_t> bytes) -> DispatchOutcome {
        return dispatch(bytes, *m_handler, m_counters);
    }
    /// Dispatches one message given as raw memory.
    auto on_message(const void* data, std::size_t length) -> DispatchOutcome {
        return on_message(std::span<const std::uint8_t>{static_cast<const std::uint8_t*>(data), length});
    }
    /// Counters since construction or the last reset.
    [[nodiscard]] auto counters() const noexcept -> const DispatchCounters& { return m_counters; }
    /// Zeroes the counters.
    void reset_counters() noexcept { m_counters = DispatchCounters{}; }

private:
    Handler* m_handler;
    DispatchCounters m_counters{};
};

} // namespace tp::codec
