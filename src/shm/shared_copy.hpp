// SPDX-License-Identifier: Apache-2.0
#pragma once

// Copies into and out of seqlock-protected shared memory (header slots and payload slots).
//
// Header slot words are always moved with relaxed 8-byte atomics: the slot is 8-aligned, only
// 19 words are read and 32 written, and it keeps the seqlock formally race-free (every access to
// protected data is atomic, ordered by the D-10 fences).
//
// Payload bytes are moved with memcpy in normal builds (bandwidth matters; the seqlock decides
// whether the bytes are kept, W §8.3). ThreadSanitizer builds copy payloads with relaxed atomics
// too, so TSan checks the protocol instead of reporting the accepted benign race on payloads.

#include "concurrent/atomic_ops.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#include <emmintrin.h>
#define TP_SHARED_COPY_STREAMING 1
#endif

namespace tp::shm {

/// Loads `nwords` aligned u64 words from shared memory (relaxed: the caller's seqlock fences
/// order them, D-10). `src` must be 8-byte aligned.
inline void load_words_relaxed(std::uint64_t* dst, const std::byte* src, std::size_t nwords) noexcept {
    const auto* words = reinterpret_cast<const std::uint64_t*>(src);
    for (std::size_t i = 0; i < nwords; ++i) {
        dst[i] = concurrent::load_relaxed(words + i); // relaxed: inside the seqlock read section
    }
}

/// Stores `nwords` aligned u64 words into shared memory (relaxed: ordered by the writer's release
/// fence before and release store after, D-10). `dst` must be 8-byte aligned.
inline void store_words_relaxed(std::byte* dst, const std::uint64_t* src, std::size_t nwords) noexcept {
    auto* words = reinterpret_cast<std::uint64_t*>(dst);
    for (std::size_t i = 0; i < nwords; ++i) {
        concurrent::store_relaxed(words + i, src[i]); // relaxed: inside the seqlock write section
    }
}

#if defined(__SANITIZE_THREAD__)
inline constexpr bool SHARED_COPY_IS_ATOMIC = true;
#else
/// True when payload copies use atomics (ThreadSanitizer builds).
inline constexpr bool SHARED_COPY_IS_ATOMIC = false;
#endif

/// Copies n payload bytes out of shared memory into private memory.
inline void copy_from_shared(void* dst, const std::byte* src, std::size_t n) noexcept {
    if constexpr (SHARED_COPY_IS_ATOMIC) {
        auto* out = static_cast<unsigned char*>(dst);
        std::size_t i = 0;
        for (; i < n && (reinterpret_cast<std::uintptr_t>(src + i) & 7U) != 0; ++i) {
            out[i] = concurrent::load_relaxed(reinterpret_cast<const unsigned char*>(src + i));
        }
        for (; i + 8 <= n; i += 8) {
            const std::uint64_t w = concurrent::load_relaxed(reinterpret_cast<const std::uint64_t*>(src + i));
            std::memcpy(out + i, &w, 8);
        }
        for (; i < n; ++i) {
            out[i] = concurrent::load_relaxed(reinterpret_cast<const unsigned char*>(src + i));
        }
    } else {
        if (n != 0) {
            std::memcpy(dst, src, n);
        }
    }
}

/// Copies n payload bytes from private memory into shared memory.
inline void copy_to_shared(std::byte* dst, const void* src, std::size_t n) noexcept {
    if constexpr (SHARED_COPY_IS_ATOMIC) {
        const auto* in = static_cast<const unsigned char*>(src);
        std::size_t i = 0;
        for (; i < n && (reinterpret_cast<std::uintptr_t>(dst + i) & 7U) != 0; ++i) {
            concurrent::store_relaxed(reinterpret_cast<unsigned char*>(dst + i), in[i]);
        }
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, in + i, 8);
            concurrent::store_relaxed(reinterpret_cast<std::uint64_t*>(dst + i), w);
        }
        for (; i < n; ++i) {
            concurrent::store_relaxed(reinterpret_cast<unsigned char*>(dst + i), in[i]);
        }
    } else {
        if (n != 0) {
            std::memcpy(dst, src, n);
        }
    }
}

/// Payload copies of STREAMING_COPY_MIN_BYTES to STREAMING_COPY_MAX_BYTES go to shared memory with
/// streaming stores (docs/PERFORMANCE.md has the measurements behind both bounds).
inline constexpr std::size_t STREAMING_COPY_MIN_BYTES = 256U * 1024U;
/// See STREAMING_COPY_MIN_BYTES.
inline constexpr std::size_t STREAMING_COPY_MAX_BYTES = 8U * 1024U * 1024U;

/// True when stream_to_shared uses streaming stores for n bytes.
[[nodiscard]] constexpr auto streams_copy_of(std::size_t n) noexcept -> bool {
    return n >= STREAMING_COPY_MIN_BYTES && n <= STREAMING_COPY_MAX_BYTES;
}

/// Copies n payload bytes from private memory into shared memory, with non-temporal (streaming)
/// stores on x86-64 when streams_copy_of(n), else as copy_to_shared. A frame that another core will
/// read is better in memory than in the writer's caches: a reader on another core (on another die,
/// often) otherwise pulls it line by line out of the writer's cache, which can be slower than
/// reading memory. Frames much larger than the last-level cache reach memory anyway, and there
/// ordinary stores were the faster way on the machines measured.
/// Streaming stores are not ordered with other stores on x86, so the copy is fenced on both sides.
inline void stream_to_shared(std::byte* dst, const void* src, std::size_t n) noexcept {
#if defined(TP_SHARED_COPY_STREAMING)
    if (streams_copy_of(n)) {
        const auto* in = static_cast<const std::byte*>(src);
        std::size_t head = (16U - (reinterpret_cast<std::uintptr_t>(dst) & 15U)) & 15U;
        std::memcpy(dst, in, head);
        // SYNC POINT(payload-stream-begin): sfence makes the writer's earlier stores (the slot's
        // in-progress word, slot-claim) visible before any streaming store below; a regular store
        // needs no fence for that (x86 keeps stores in order), a streaming one does.
        _mm_sfence();
        std::size_t i = head;
        for (; i + 64 <= n; i += 64) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 16));
            const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 32));
            const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 48));
            _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), a);
            _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
            _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
            _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
        }
        std::memcpy(dst + i, in + i, n - i);
        // SYNC POINT(payload-stream-end): sfence makes every streaming store visible before the
        // writer's later stores (the slot-commit release store of the committed word).
        _mm_sfence();
        return;
    }
#endif
    copy_to_shared(dst, src, n);
}

} // namespace tp::shm
