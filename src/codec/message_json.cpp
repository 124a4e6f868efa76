// SPDX-License-Identifier: Apache-2.0
#include "codec/message_json.hpp"

#include "codec/dispatch.hpp"

#include <string_view>

namespace tp::codec {

auto body_to_json(const MessageType& type, std::span<const std::uint8_t> buffer, std::size_t offset,
                  std::size_t acting_block_length, std::size_t acting_version, Json& out, std::size_t& body_length)
    -> CodecError {
    CodecError error = CodecError::WrongTemplate;
    visit_message_type(type.schema_id, type.template_id, [&](auto tag) {
        using M = typename decltype(tag)::type;
        M m;
        m.wrap_for_decode(buffer.data(), offset, acting_block_length, acting_version, buffer.size());
        out = to_json(m);
        body_length = m.encoded_length();
        error = m.error();
    });
    return error;
}

auto message_to_json(std::span<const std::uint8_t> bytes) -> Expected<Json> {
    std::size_t body_length = 0;
    const DispatchOutcome outcome = check_message(bytes, body_length);
    if (outcome.result == DispatchResult::Dropped) {
        std::string msg = "message dropped: ";
        msg += to_string(outcome.reason);
        if (outcome.error != CodecError::None) {
            msg += " (";
            msg += to_string(outcome.error);
            msg += ")";
        }
        return make_error(ErrorCode::ParseError, std::move(msg));
    }
    MessageHeaderFields h{};
    static_cast<void>(read_message_header(bytes.data(), 0, bytes.size(), h));
    Json fields;
    std::size_t decoded = 0;
    const CodecError e =
        body_to_json(*outcome.type, bytes, MESSAGE_HEADER_LENGTH, h.block_length, h.version, fields, decoded);
    if (e != CodecError::None) {
        return make_error(ErrorCode::ParseError, std::string("decode failed: ") + std::string(to_string(e)));
    }
    Json doc = Json::object();
    doc["schema"] = std::string(outcome.type->stem);
    doc["message"] = std::string(outcome.type->name);
    doc["schemaId"] = h.schema_id;
    doc["templateId"] = h.template_id;
    doc["version"] = h.version;
    doc["blockLength"] = h.block_length;
    doc["encodedLength"] = MESSAGE_HEADER_LENGTH + decoded;
    doc["fields"] = std::move(fields);
    return doc;
}

auto encode_from_json(const MessageType& type, const Json& fields, std::span<std::uint8_t> buffer, bool with_header)
    -> Expected<std::size_t> {
    std::string error = "unknown message type";
    std::size_t written = 0;
    bool ok = false;
    visit_message_type(type.schema_id, type.template_id, [&](auto tag) {
        using M = typename decltype(tag)::type;
        M m;
        if (with_header) {
            m.wrap_and_apply_header(buffer.data(), 0, buffer.size());
        } else {
            m.wrap_for_encode(buffer.data(), 0, buffer.size());
        }
        ok = fill_from_json(fields, m, error);
        written = m.frame_length();
    });
    if (!ok) {
        return make_error(ErrorCode::ParseError, error);
    }
    return written;
}

} // namespace tp::codec
