// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the codec unit tests.
#pragma once

#include "tensorpool/codec/registry.hpp"
#include "tensorpool/codec/samples.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tp::codec::test {

/// gtest parameter name of a message type: "<schema>_<Message>".
inline auto type_name(const ::testing::TestParamInfo<MessageType>& info) -> std::string {
    return std::string(info.param.schema) + "_" + std::string(info.param.name);
}

/// Every message type, as gtest values.
inline auto all_types() -> ::testing::internal::ParamGenerator<MessageType> {
    return ::testing::ValuesIn(MESSAGE_TYPES.begin(), MESSAGE_TYPES.end());
}

/// Encodes a sample of `type` into an exactly sized vector (header unless headerless).
inline auto encode(const MessageType& type, const samples::SampleSpec& spec) -> std::vector<std::uint8_t> {
    std::vector<std::uint8_t> buf(samples::MAX_SAMPLE_LENGTH);
    const std::size_t n = samples::encode_sample(type, spec, buf.data(), buf.size());
    buf.resize(n);
    return buf;
}

/// Validates buffer[0, size) as `type`: through the header unless headerless.
inline auto validate(const MessageType& type, const std::uint8_t* data, std::size_t size, std::size_t& body)
    -> CodecError {
    if (type.headerless) {
        return type.validate(data, 0, type.block_length, type.schema_version, size, body);
    }
    MessageHeaderFields h;
    if (!read_message_header(data, 0, size, h)) {
        return CodecError::ShortHeader;
    }
    return type.validate(data, MESSAGE_HEADER_LENGTH, h.block_length, h.version, size, body);
}

} // namespace tp::codec::test
