// SPDX-License-Identifier: Apache-2.0
// Shared body of the codec fuzz targets: decode a message fully (every group and var data), copy it
// with the generated encoder, and check the copy keeps every block field and is a fixed point (a
// second copy gives the same bytes). Any inconsistency traps, which libFuzzer reports as a crash.
#pragma once

#include "tensorpool/codec/registry.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tp::codec::fuzz {

/// Stops the run: libFuzzer records the input.
[[noreturn]] inline void fail() {
    __builtin_trap();
}

/// Decodes data[offset, size) as M with the given acting block length and version, walks it, copies
/// it through transcode() and checks the copy.
template <typename M>
void check_body(const std::uint8_t* data, std::size_t size, std::size_t offset, std::size_t acting_block_length,
                std::size_t acting_version) {
    M walker;
    walker.wrap_for_decode(data, offset, acting_block_length, acting_version, size);
    const bool valid = walker.skip();

    // The copy is never longer than the input: blocks shrink to the schema's, var data is unchanged.
    // Buffers start with different fill bytes, so a field the copy forgets shows up below.
    std::vector<std::uint8_t> first(size + 64, 0xA5);
    M src;
    M dst;
    src.wrap_for_decode(data, offset, acting_block_length, acting_version, size);
    dst.wrap_for_encode(first.data(), 0, first.size());
    const bool copied = transcode(src, dst);
    if (copied != valid || src.error() != walker.error()) {
        fail(); // walking and copying must agree on validity
    }
    if (!copied) {
        return;
    }
    const std::size_t in_length = src.encoded_length();
    const std::size_t out_length = dst.encoded_length();
    if (out_length > in_length || in_length != walker.encoded_length()) {
        fail();
    }
    // Every declared field of the block comes back unchanged (raw enums, pads and all).
    if (std::memcmp(first.data(), data + offset, M::SBE_PADDING_OFFSET) != 0) {
        fail();
    }
    // The copy is canonical: decoding and copying it again gives the same bytes.
    std::vector<std::uint8_t> again(out_length); // exactly sized: overreads are caught by ASan
    std::memcpy(again.data(), first.data(), out_length);
    std::vector<std::uint8_t> second(out_length + 64, 0x5A);
    M src2;
    M dst2;
    src2.wrap_for_decode(again.data(), 0, M::SBE_BLOCK_LENGTH, M::SBE_SCHEMA_VERSION, again.size());
    dst2.wrap_for_encode(second.data(), 0, second.size());
    if (!transcode(src2, dst2) || dst2.encoded_length() != out_length ||
        std::memcmp(second.data(), again.data(), out_length) != 0) {
        fail();
    }
}

/// Decodes a whole message (header first) as M when the header's template matches M.
template <typename M>
void check_message(const std::uint8_t* data, std::size_t size) {
    MessageHeaderFields h;
    if (!read_message_header(data, 0, size, h)) {
        return;
    }
    M with_header;
    with_header.wrap_for_decode_with_header(data, 0, size);
    const bool header_ok =
        h.schema_id == M::SBE_SCHEMA_ID && h.template_id == M::SBE_TEMPLATE_ID && h.version <= M::SBE_SCHEMA_VERSION;
    if (!header_ok && with_header.ok()) {
        fail();
    }
    check_body<M>(data, size, MESSAGE_HEADER_LENGTH, h.block_length, h.version);
}

} // namespace tp::codec::fuzz
