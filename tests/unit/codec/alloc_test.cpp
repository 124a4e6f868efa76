// SPDX-License-Identifier: Apache-2.0
// Encoding and decoding allocate nothing: global operator new/delete are replaced by counting
// versions, and every message type is encoded, decoded, walked, transcoded and dispatched inside a
// counted window.
#include "codec/dispatch.hpp"
#include "tensorpool/codec/samples.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

namespace {
std::atomic<std::size_t> g_allocations{0};
} // namespace

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed); // a counter only; no ordering needed
    void* p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) {
        std::abort(); // out of memory in a test
    }
    return p;
}
void* operator new[](std::size_t size) {
    return operator new(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

namespace tp::codec::test {
namespace {

using samples::SampleKind;

// Static buffers: nothing inside the window needs the heap.
std::array<std::uint8_t, samples::MAX_SAMPLE_LENGTH> g_in{};
std::array<std::uint8_t, samples::MAX_SAMPLE_LENGTH> g_out{};

auto allocations() -> std::size_t {
    return g_allocations.load(std::memory_order_relaxed);
}

TEST(Allocation, CounterSeesAllocations) {
    const std::size_t before = allocations();
    auto* s = new std::string(100, 'x'); // the window below would notice this
    const std::size_t after = allocations();
    delete s;
    EXPECT_GE(after - before, 1U);
}

TEST(Allocation, EncodeDecodeAndDispatchAllocateNothing) {
    std::size_t delivered = 0;
    std::size_t bad = 0;
    DispatchCounters counters;
    auto handler = [&delivered](auto& message) {
        if (message.skip()) {
            ++delivered;
        }
    };
    const std::size_t before = allocations();
    for (const MessageType& type : MESSAGE_TYPES) {
        for (const SampleKind kind : {SampleKind::Typical, SampleKind::Nulls, SampleKind::Extremes}) {
            const samples::SampleSpec spec{kind, 11};
            const std::size_t n = samples::encode_sample(type, spec, g_in.data(), g_in.size());
            if (n == 0 || !samples::verify_sample(type, spec, g_in.data(), n)) {
                ++bad;
            }
            visit_message_type(type.schema_id, type.template_id, [&](auto tag) {
                using M = typename decltype(tag)::type;
                M src;
                M dst;
                if constexpr (M::SBE_HEADERLESS) {
                    src.wrap_for_decode(g_in.data(), 0, M::SBE_BLOCK_LENGTH, M::SBE_SCHEMA_VERSION, n);
                    dst.wrap_for_encode(g_out.data(), 0, g_out.size());
                } else {
                    src.wrap_for_decode_with_header(g_in.data(), 0, n);
                    dst.wrap_and_apply_header(g_out.data(), 0, g_out.size());
                }
                if (!transcode(src, dst)) {
                    ++bad;
                }
            });
            if (!type.headerless) {
                if (dispatch({g_in.data(), n}, handler, counters).result != DispatchResult::Delivered) {
                    ++bad;
                }
            }
        }
    }
    const std::size_t after = allocations();
    EXPECT_EQ(after - before, 0U);
    EXPECT_EQ(bad, 0U);
    EXPECT_GT(delivered, 0U);
}

} // namespace
} // namespace tp::codec::test
