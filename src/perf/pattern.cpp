// SPDX-License-Identifier: Apache-2.0
#include "perf/pattern.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace tp::perf {

namespace {
// Two 64-bit lanes (SSE2 on x86-64): the fill and the sum stream at memory speed without
// depending on the compiler's loop vectoriser.
using V2 = std::uint64_t __attribute__((vector_size(16)));
} // namespace

void fill_pattern(std::byte* p, std::size_t bytes, std::uint64_t seq, Stores stores) noexcept {
    const std::size_t words = bytes / 8;
    const std::uint64_t base = pattern_base(seq);
    V2 v = {base, base + 1};
    const V2 step = {2, 2};
    std::size_t i = 0;
#if defined(__x86_64__)
    if (stores == Stores::Streaming && (reinterpret_cast<std::uintptr_t>(p) & 15U) == 0) {
        // Earlier stores (e.g. a seqlock's in-progress word) become visible before any of these.
        _mm_sfence();
        for (; i + 2 <= words; i += 2) {
            _mm_stream_si128(reinterpret_cast<__m128i*>(p + i * 8), reinterpret_cast<__m128i>(v));
            v += step;
        }
        // ... and all of these before later stores (e.g. the commit word).
        _mm_sfence();
    }
#else
    (void)stores;
#endif
    for (; i + 2 <= words; i += 2) {
        std::memcpy(p + i * 8, &v, sizeof(v));
        v += step;
    }
    if (i < words) {
        const std::uint64_t w = base + i;
        std::memcpy(p + i * 8, &w, 8);
    }
}

auto check_pattern(const std::byte* p, std::size_t bytes, std::uint64_t seq) noexcept -> bool {
    const std::size_t words = bytes / 8;
    V2 a0 = {0, 0};
    V2 a1 = {0, 0};
    V2 a2 = {0, 0};
    V2 a3 = {0, 0};
    std::size_t i = 0;
    for (; i + 8 <= words; i += 8) {
        V2 x0;
        V2 x1;
        V2 x2;
        V2 x3;
        std::memcpy(&x0, p + i * 8, 16);
        std::memcpy(&x1, p + i * 8 + 16, 16);
        std::memcpy(&x2, p + i * 8 + 32, 16);
        std::memcpy(&x3, p + i * 8 + 48, 16);
        a0 += x0;
        a1 += x1;
        a2 += x2;
        a3 += x3;
    }
    const V2 a = a0 + a1 + a2 + a3;
    std::uint64_t sum = a[0] + a[1];
    for (; i < words; ++i) {
        std::uint64_t w = 0;
        std::memcpy(&w, p + i * 8, 8);
        sum += w;
    }
    const std::uint64_t n = words;
    // sum of base + i for i < n, modulo 2^64
    const std::uint64_t expected = n * pattern_base(seq) + (n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2));
    return sum == expected;
}

auto spot_check_pattern(const std::byte* p, std::size_t bytes, std::uint64_t seq) noexcept -> bool {
    const std::size_t words = bytes / 8;
    if (words == 0) {
        return true;
    }
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::memcpy(&first, p, 8);
    std::memcpy(&last, p + (words - 1) * 8, 8);
    return first == pattern_base(seq) && last == pattern_base(seq) + (words - 1);
}

} // namespace tp::perf
