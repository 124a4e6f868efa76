// SPDX-License-Identifier: Apache-2.0
#pragma once

// Atomics on mapped (shared) memory. Every access names its ordering; callers add a
// `// SYNC POINT(name): pairs with ...` comment at each acquire/release they rely on, and
// docs/memory-ordering.md lists them.

#include <atomic>
#include <cstdint>

namespace tp::concurrent {

static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free, "64-bit atomics must be lock-free for SHM");
static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free, "32-bit atomics must be lock-free for SHM");
static_assert(std::atomic_ref<std::int64_t>::is_always_lock_free, "64-bit atomics must be lock-free for SHM");

template <typename T>
[[nodiscard]] inline auto load_acquire(const T* p) noexcept -> T {
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_acquire);
}
template <typename T>
[[nodiscard]] inline auto load_relaxed(const T* p) noexcept -> T {
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_relaxed);
}
template <typename T>
[[nodiscard]] inline auto load_seq_cst(const T* p) noexcept -> T {
    return std::atomic_ref<T>(*const_cast<T*>(p)).load(std::memory_order_seq_cst);
}
template <typename T>
inline void store_release(T* p, T v) noexcept {
    std::atomic_ref<T>(*p).store(v, std::memory_order_release);
}
template <typename T>
inline void store_relaxed(T* p, T v) noexcept {
    std::atomic_ref<T>(*p).store(v, std::memory_order_relaxed);
}
template <typename T>
inline void store_seq_cst(T* p, T v) noexcept {
    std::atomic_ref<T>(*p).store(v, std::memory_order_seq_cst);
}
/// fetch_add with acq_rel ordering; returns the previous value.
template <typename T>
inline auto fetch_add_acq_rel(T* p, T delta) noexcept -> T {
    return std::atomic_ref<T>(*p).fetch_add(delta, std::memory_order_acq_rel);
}
/// Strong compare-and-swap with acq_rel ordering on success, acquire on failure.
template <typename T>
inline auto compare_exchange_acq_rel(T* p, T& expected, T desired) noexcept -> bool {
    return std::atomic_ref<T>(*p).compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                                          std::memory_order_acquire);
}
#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer does not model atomic_thread_fence and g++ rejects it under -fsanitize=thread
// (-Wtsan). In TSan builds the fences become full hardware barriers: at least as strong, and
// invisible to TSan as the real fences would be. Code that relies on them keeps every access to
// seqlock-protected memory atomic in TSan builds, so TSan has nothing to report either way.
inline void tsan_full_barrier() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("mfence" ::: "memory");
#elif defined(__aarch64__)
    asm volatile("dmb ish" ::: "memory");
#else
    __sync_synchronize();
#endif
}
/// Release fence: orders earlier stores before later stores (seqlock writer, D-10).
inline void fence_release() noexcept {
    tsan_full_barrier();
}
/// Acquire fence: orders earlier loads before later loads (seqlock reader, D-10).
inline void fence_acquire() noexcept {
    tsan_full_barrier();
}
#else
/// Release fence: orders earlier stores before later stores (seqlock writer, D-10).
inline void fence_release() noexcept {
    std::atomic_thread_fence(std::memory_order_release);
}
/// Acquire fence: orders earlier loads before later loads (seqlock reader, D-10).
inline void fence_acquire() noexcept {
    std::atomic_thread_fence(std::memory_order_acquire);
}
#endif

/// CPU pause hint for spin loops.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

} // namespace tp::concurrent
