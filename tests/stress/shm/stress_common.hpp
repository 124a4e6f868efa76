// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared pieces of the torn-read stress tests: self-validating frames (every 8-byte payload word
// holds the seq; the header encodes the seq too), the producer loop and a consumer loop that
// reads with random delays between the first seqlock load and the re-check.

#include "concurrent/atomic_ops.hpp"
#include "shm/seq_tracker.hpp"
#include "shm/shm_reader.hpp"
#include "shm/shm_writer.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace tp::shm::stress {

/// Pools of the stress ring: lengths 0..4096 bytes land in either.
inline constexpr std::uint32_t SMALL_STRIDE = 512;
inline constexpr std::uint32_t LARGE_STRIDE = 4096;
inline constexpr std::uint32_t RING_SLOTS = 4;

/// Payload length of frame `seq`: a multiple of 8 in [0, 4096], varying frame to frame.
[[nodiscard]] inline auto frame_len(std::uint64_t seq) noexcept -> std::uint32_t {
    return 8U * static_cast<std::uint32_t>(((seq * 0x9E3779B97F4A7C15ULL) >> 40) % 513U);
}

/// Reads an unsigned integer from the environment, or `fallback`.
[[nodiscard]] inline auto env_u64(const char* name, std::uint64_t fallback) -> std::uint64_t {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        return fallback;
    }
    return std::strtoull(v, nullptr, 10);
}

/// xorshift64*: cheap, deterministic per seed.
struct Rng {
    std::uint64_t state;
    auto next() noexcept -> std::uint64_t {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DULL;
    }
};

/// Busy-waits `n` pause iterations (the delay inside a read).
inline void spin(std::uint64_t n) noexcept {
    for (std::uint64_t i = 0; i < n; ++i) {
        concurrent::cpu_relax();
    }
}

/// What the producer and consumers publish to each other (in shared memory for the process
/// test). All fields accessed atomically.
struct Control {
    std::uint64_t published{0}; ///< highest committed seq + 1; 0 = nothing yet
    std::uint64_t stop{0};      ///< 1 once the producer is done
    std::uint64_t produced{0};
    std::uint64_t producer_failures{0};
};

/// One consumer's results.
struct ConsumerStats {
    std::uint64_t first{0};
    std::uint64_t last{0};
    std::uint64_t started{0};
    std::uint64_t accepted{0};
    std::uint64_t drops_gap{0};
    std::uint64_t drops_late{0};
    std::uint64_t resyncs{0};
    std::uint64_t bad_events{0};               ///< duplicates, regressions, epoch mismatches: must be 0
    std::uint64_t foreign_word_accepted{0};    ///< accepted frames holding another frame's word: must be 0
    std::uint64_t header_mismatch_accepted{0}; ///< header not matching its seq after read() said Ok: must be 0
    std::uint64_t invalidated_after_read{0};   ///< still_valid()/copy re-check caught an overwrite
    std::array<std::uint64_t, READ_RESULT_COUNT> results{};
};

/// Fills `payload` with `seq` in every word (relaxed atomic stores: race-free for TSan too).
inline void fill_payload(std::span<std::byte> payload, std::uint64_t seq) noexcept {
    auto* words = reinterpret_cast<std::uint64_t*>(payload.data());
    const std::size_t n = payload.size() / 8;
    for (std::size_t i = 0; i < n; ++i) {
        concurrent::store_relaxed(words + i, seq); // relaxed: published by the commit release store
    }
}

/// Words in shared `payload` that are not `seq` (relaxed atomic loads).
[[nodiscard]] inline auto foreign_words_shared(std::span<const std::byte> payload, std::uint64_t seq) noexcept
    -> std::uint64_t {
    const auto* words = reinterpret_cast<const std::uint64_t*>(payload.data());
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < payload.size() / 8; ++i) {
        bad += concurrent::load_relaxed(words + i) != seq ? 1 : 0; // relaxed: checked by still_valid()
    }
    return bad;
}

/// Words in a private copy that are not `seq`.
[[nodiscard]] inline auto foreign_words_private(const std::byte* data, std::size_t len, std::uint64_t seq) noexcept
    -> std::uint64_t {
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, data + i, 8);
        bad += w != seq ? 1 : 0;
    }
    return bad;
}

/// Produces frames 0..frames-1 as fast as possible, or until `deadline`. Returns 0 on success.
inline auto produce(ShmWriter& writer, Control& ctl, std::uint64_t frames,
                    std::chrono::steady_clock::time_point deadline) -> int {
    std::uint64_t seq = 0;
    for (; seq < frames; ++seq) {
        if ((seq & 0xFFFF) == 0 && std::chrono::steady_clock::now() > deadline) {
            break;
        }
        const std::uint32_t len = frame_len(seq);
        SlotClaim claim = writer.try_claim(seq, len);
        if (!claim) {
            concurrent::fetch_add_acq_rel(&ctl.producer_failures, std::uint64_t{1});
            break;
        }
        fill_payload(claim.payload(), seq);
        const std::int32_t dims[] = {static_cast<std::int32_t>(len / 8)};
        claim.set_dtype(Dtype::Uint64).set_shape(dims).set_timestamp_ns(seq + 1);
        claim.set_meta_version(static_cast<std::uint32_t>(seq));
        if (writer.commit(std::move(claim)) != CommitResult::Ok) {
            concurrent::fetch_add_acq_rel(&ctl.producer_failures, std::uint64_t{1});
            break;
        }
        // SYNC POINT(stress-published): tells consumers which seqs exist; pairs with their acquire.
        concurrent::store_release(&ctl.published, seq + 1);
    }
    concurrent::store_release(&ctl.produced, seq);
    concurrent::store_release(&ctl.stop, std::uint64_t{1});
    return 0;
}

/// Reads until the producer stops, choosing in-order, skipping and stale targets at random, with
/// random delays between read() (first load) and the re-check. `read(seq, frame)` reads a frame.
template <typename ReadFn>
void consume(ReadFn&& read, Control& ctl, std::uint64_t epoch, std::uint64_t seed, std::uint64_t max_delay,
             ConsumerStats& out) {
    SeqTracker tracker;
    tracker.reset(epoch);
    Rng rng{seed | 1};
    std::vector<std::byte> copy(LARGE_STRIDE);
    std::uint64_t next = 0;
    bool started = false;
    while (true) {
        const std::uint64_t published = concurrent::load_acquire(&ctl.published);
        const bool stopping = concurrent::load_acquire(&ctl.stop) != 0;
        if (published == 0 || (started && next >= published)) {
            if (stopping && concurrent::load_acquire(&ctl.published) == published) {
                break;
            }
            concurrent::cpu_relax();
            continue;
        }
        const std::uint64_t latest = published - 1;
        std::uint64_t target = latest;
        if (started) {
            const std::uint64_t mode = rng.next() % 4;
            const std::uint64_t back = rng.next() % RING_SLOTS;
            target = mode == 0 ? next : (latest >= back ? latest - back : 0);
            if (target < next) {
                target = next;
            }
        }
        const SeqEvent ev = tracker.on_descriptor(epoch, target);
        if (ev == SeqEvent::Duplicate || ev == SeqEvent::Regression || ev == SeqEvent::EpochMismatch) {
            ++out.bad_events;
        }
        if (!started) {
            out.first = target;
            started = true;
        }
        out.last = target;
        next = target + 1;

        FrameView frame;
        ReadResult r = read(target, frame);
        if (r == ReadResult::Ok) {
            const std::uint32_t len = frame_len(target);
            const bool header_ok = frame.values_len_bytes == len && frame.ndims == 1 &&
                                   frame.dims[0] == static_cast<std::int32_t>(len / 8) &&
                                   frame.dtype == Dtype::Uint64 && frame.timestamp_ns == target + 1 &&
                                   frame.meta_version == static_cast<std::uint32_t>(target) &&
                                   frame.payload.size() == len;
            out.header_mismatch_accepted += header_ok ? 0 : 1;
            const std::uint64_t roll = rng.next();
            const std::uint64_t delay = (roll & 7) == 0 ? rng.next() % (max_delay + 1) : rng.next() % 16;
            std::uint64_t foreign = 0;
            if ((roll & 8) != 0) {
                spin(delay);
                r = copy_payload(frame, copy); // copy, then re-check
                if (r == ReadResult::Ok) {
                    foreign = foreign_words_private(copy.data(), frame.payload.size(), target);
                }
            } else {
                foreign = foreign_words_shared(frame.payload, target);
                spin(delay);
                r = frame.still_valid() ? ReadResult::Ok : ReadResult::Torn;
            }
            if (r == ReadResult::Ok) {
                out.foreign_word_accepted += foreign != 0 ? 1 : 0;
            } else {
                ++out.invalidated_after_read;
            }
        }
        ++out.results[static_cast<std::size_t>(r)];
        tracker.on_read_result(target, r);
    }
    out.started = started ? 1 : 0;
    out.accepted = tracker.counters().accepted;
    out.drops_gap = tracker.counters().drops_gap;
    out.drops_late = tracker.counters().drops_late;
    out.resyncs = tracker.counters().resyncs;
}

/// One line per consumer for the test log.
inline void print_stats(std::size_t id, const ConsumerStats& s) {
    std::printf("consumer %zu: seqs %llu..%llu accepted %llu gap %llu late %llu resyncs %llu invalidated %llu |", id,
                static_cast<unsigned long long>(s.first), static_cast<unsigned long long>(s.last),
                static_cast<unsigned long long>(s.accepted), static_cast<unsigned long long>(s.drops_gap),
                static_cast<unsigned long long>(s.drops_late), static_cast<unsigned long long>(s.resyncs),
                static_cast<unsigned long long>(s.invalidated_after_read));
    for (std::size_t i = 0; i < s.results.size(); ++i) {
        if (s.results[i] != 0) {
            std::printf(" %s=%llu", std::string(to_string(static_cast<ReadResult>(i))).c_str(),
                        static_cast<unsigned long long>(s.results[i]));
        }
    }
    std::printf("\n");
}

} // namespace tp::shm::stress
