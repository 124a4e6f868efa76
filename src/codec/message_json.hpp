// SPDX-License-Identifier: Apache-2.0
// JSON reflection of any message known to the registry: decode a body or a whole message to JSON,
// encode JSON field values back to bytes. Cold path (tools, tests): allocates, never throws.
#pragma once

#include "codec/json_support.hpp"
#include "tensorpool/codec/json_all.hpp"
#include "tensorpool/codec/registry.hpp"
#include "tensorpool/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tp::codec {

/// Decodes the body of a `type` message at `offset` (acting block length and version as given) into
/// its JSON fields. Returns the codec failure, if any; `body_length` gets the bytes decoded.
[[nodiscard]] auto body_to_json(const MessageType& type, std::span<const std::uint8_t> buffer, std::size_t offset,
                                std::size_t acting_block_length, std::size_t acting_version, Json& out,
                                std::size_t& body_length) -> CodecError;

/// Decodes a whole message (header first) into
/// {"schema", "message", "schemaId", "templateId", "version", "blockLength", "encodedLength", "fields"}.
/// Fails (ParseError) on anything the dispatcher would drop; the message names the drop reason.
[[nodiscard]] auto message_to_json(std::span<const std::uint8_t> bytes) -> Expected<Json>;

/// Encodes JSON field values as a `type` message into `buffer`, with a message header when
/// `with_header`; returns the bytes written. Fails (ParseError) on a missing, unknown or invalid value
/// or when the encoding does not fit.
[[nodiscard]] auto encode_from_json(const MessageType& type, const Json& fields, std::span<std::uint8_t> buffer,
                                    bool with_header) -> Expected<std::size_t>;

/// encode_from_json for a known message type M: with a header unless M is stored headerless.
template <typename M>
[[nodiscard]] auto encode_from_json(const Json& fields, void* buffer, std::size_t length) -> Expected<std::size_t> {
    M m;
    if constexpr (M::SBE_HEADERLESS) {
        m.wrap_for_encode(buffer, 0, length);
    } else {
        m.wrap_and_apply_header(buffer, 0, length);
    }
    std::string error;
    if (!fill_from_json(fields, m, error)) {
        return make_error(ErrorCode::ParseError, error);
    }
    return m.frame_length();
}

} // namespace tp::codec
