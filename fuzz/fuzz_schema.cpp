// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for one schema's decoders, built once per schema with TP_FUZZ_SCHEMA set to the
// schema namespace (control, driver, ...). The input's header picks the template within the schema
// (whatever schema id it names, so mutated ids still reach the decoders); the control schema also
// decodes the input as the headerless SHM layouts and a SlotHeader's embedded TensorHeader.
#include "fuzz_check.hpp"

#include <vector>

#ifndef TP_FUZZ_SCHEMA
#error "TP_FUZZ_SCHEMA must name the schema namespace"
#endif

namespace schema = tp::codec::TP_FUZZ_SCHEMA;

namespace {

using namespace tp::codec;

void check_headerless(const std::uint8_t* data, std::size_t size) {
    for_each_message_type([&](auto tag) {
        using M = typename decltype(tag)::type;
        if constexpr (M::SBE_HEADERLESS && M::SBE_SCHEMA_ID == schema::SCHEMA_ID) {
            fuzz::check_body<M>(data, size, 0, M::SBE_BLOCK_LENGTH, M::SBE_SCHEMA_VERSION);
        }
    });
    if constexpr (schema::SCHEMA_ID == 900) {
        // The slot's headerBytes carry a TensorHeader with its message header.
        tp::codec::control::SlotHeader slot;
        slot.wrap_for_decode(data, 0, tp::codec::control::SlotHeader::SBE_BLOCK_LENGTH, 1, size);
        const auto bytes = slot.header_bytes();
        if (slot.ok()) {
            const std::vector<std::uint8_t> inner(bytes.begin(), bytes.end()); // exactly sized for ASan
            fuzz::check_message<tp::codec::control::TensorHeader>(inner.data(), inner.size());
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    MessageHeaderFields h;
    if (read_message_header(data, 0, size, h)) {
        visit_message_type(schema::SCHEMA_ID, h.template_id, [&](auto tag) {
            using M = typename decltype(tag)::type;
            if constexpr (!M::SBE_HEADERLESS) {
                fuzz::check_message<M>(data, size);
            }
        });
    }
    check_headerless(data, size);
    return 0;
}
