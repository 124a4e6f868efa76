// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the dispatcher: every input is counted exactly once, only well-formed
// messages reach the handler, and what reaches it copies cleanly through the encoder.
#include "codec/dispatch.hpp"
#include "fuzz_check.hpp"

#include <type_traits>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tp::codec;
    std::vector<std::uint8_t> out(size + 64);
    std::size_t handled = 0;
    auto handler = [&](auto& message) {
        using M = std::remove_cvref_t<decltype(message)>;
        ++handled;
        M copy;
        copy.wrap_and_apply_header(out.data(), 0, out.size());
        if (!transcode(message, copy) || copy.frame_length() > size) {
            fuzz::fail(); // dispatch walked it already: it must copy
        }
    };
    DispatchCounters counters;
    const std::span<const std::uint8_t> bytes{data, size};
    const DispatchOutcome outcome = dispatch(bytes, handler, counters);
    if (counters.delivered + counters.unhandled + counters.dropped() != 1 || counters.delivered != handled) {
        fuzz::fail();
    }
    const MessageInfo info = describe_message(bytes);
    if (outcome.result != DispatchResult::Dropped && (outcome.type == nullptr || info.type != outcome.type)) {
        fuzz::fail();
    }
    if (outcome.result == DispatchResult::Dropped && outcome.reason == DropReason::None) {
        fuzz::fail();
    }
    // Everything the dispatcher accepts, the typed checks accept too.
    if (outcome.result != DispatchResult::Dropped) {
        visit_message_type(info.header.schema_id, info.header.template_id, [&](auto tag) {
            using M = typename decltype(tag)::type;
            fuzz::check_message<M>(data, size);
        });
    }
    return 0;
}
