// SPDX-License-Identifier: Apache-2.0
#include "codec/dispatch.hpp"

namespace tp::codec {

auto to_string(DropReason r) noexcept -> std::string_view {
    switch (r) {
    case DropReason::None:
        return "None";
    case DropReason::TooShort:
        return "TooShort";
    case DropReason::UnknownSchema:
        return "UnknownSchema";
    case DropReason::UnknownTemplate:
        return "UnknownTemplate";
    case DropReason::BadVersion:
        return "BadVersion";
    case DropReason::BadBlockLength:
        return "BadBlockLength";
    case DropReason::MalformedBody:
        return "MalformedBody";
    }
    return "Unknown";
}

void DispatchCounters::count(DropReason reason) noexcept {
    switch (reason) {
    case DropReason::None:
        break;
    case DropReason::TooShort:
        ++too_short;
        break;
    case DropReason::UnknownSchema:
        ++unknown_schema;
        break;
    case DropReason::UnknownTemplate:
        ++unknown_template;
        break;
    case DropReason::BadVersion:
        ++bad_version;
        break;
    case DropReason::BadBlockLength:
        ++bad_block_length;
        break;
    case DropReason::MalformedBody:
        ++malformed_body;
        break;
    }
}

auto check_header(std::span<const std::uint8_t> bytes) noexcept -> HeaderCheck {
    HeaderCheck check;
    // §2 step 1: anything shorter than a message header.
    if (!read_message_header(bytes.data(), 0, bytes.size(), check.header)) {
        check.reason = DropReason::TooShort;
        return check;
    }
    // §2 step 2: schema first; template ids repeat across schemas sharing a stream.
    const SchemaInfo* schema = find_schema(check.header.schema_id);
    if (schema == nullptr) {
        check.reason = DropReason::UnknownSchema;
        return check;
    }
    // §2 step 3. The SHM layouts stored without a header are never valid messages on a stream.
    const MessageType* type = find_message_type(check.header.schema_id, check.header.template_id);
    if (type == nullptr || type->headerless) {
        check.reason = DropReason::UnknownTemplate;
        return check;
    }
    check.type = type;
    // §2 step 4: a newer schema version may change meaning; drop rather than misread.
    if (check.header.version > schema->version) {
        check.reason = DropReason::BadVersion;
        return check;
    }
    // §2 step 5: a shorter block would put fields past the body; a longer one is the acting length.
    if (check.header.block_length < type->block_length) {
        check.reason = DropReason::BadBlockLength;
        return check;
    }
    return check;
}

auto check_message(std::span<const std::uint8_t> bytes, std::size_t& body_length) noexcept -> DispatchOutcome {
    DispatchOutcome outcome;
    const HeaderCheck check = check_header(bytes);
    outcome.type = check.type;
    if (check.reason != DropReason::None) {
        outcome.reason = check.reason;
        return outcome;
    }
    // §2 step 6: walk every group and var data before any handler sees the message.
    outcome.error = check.type->validate(bytes.data(), MESSAGE_HEADER_LENGTH, check.header.block_length,
                                         check.header.version, bytes.size(), body_length);
    if (outcome.error != CodecError::None) {
        outcome.reason = DropReason::MalformedBody;
        return outcome;
    }
    outcome.result = DispatchResult::Unhandled; // well-formed; the caller decides delivery
    return outcome;
}

auto describe_message(std::span<const std::uint8_t> bytes) noexcept -> MessageInfo {
    MessageInfo info;
    info.has_header = read_message_header(bytes.data(), 0, bytes.size(), info.header);
    if (!info.has_header) {
        return info;
    }
    if (const SchemaInfo* schema = find_schema(info.header.schema_id); schema != nullptr) {
        info.schema = schema->name;
    }
    info.type = find_message_type(info.header.schema_id, info.header.template_id);
    if (info.type != nullptr) {
        info.name = info.type->name;
    }
    return info;
}

} // namespace tp::codec
