// SPDX-License-Identifier: Apache-2.0
// bench_transport: the built-in IPC transport against the limits of the machine, in one run.
//
//   raw ping-pong    two processes bounce a cache line through a shared mapping (the floor for
//                    any cross-process round trip)
//   memcpy           bandwidth for 4 KiB copies (in cache) and 64 MiB copies (memory)
//   IPC ping-pong    round trip publish -> poll -> publish back -> poll, 32 B and 256 B
//   IPC throughput   one publisher process, one subscriber process, 32 B and 4 KiB messages
//
// Usage: bench_transport [--quick] [--json FILE] [--throughput-only (32 B case, for profiling)]
//                        [--aeron (also through an embedded Aeron media driver, when built with Aeron)].
// Processes are pinned to CPUs 0 and 1 when the
// machine has two or more. Results vary with whatever else runs on those CPUs.

#include "concurrent/atomic_ops.hpp"
#include "perf/baselines.hpp"
#include "perf/ipc_rate.hpp"
#include "perf/process.hpp"
#include "perf/timing.hpp"
#include "tensorpool/transport.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using namespace tp::transport;
using tp::perf::Percentiles;
using tp::perf::pin_to_cpu;
using tp::perf::ticks;
using Clock = std::chrono::steady_clock;

const std::atomic<bool> NEVER_STOP{false};

/// Memory shared with forked children (results, go/stop flags).
struct Shared {
    alignas(128) std::uint64_t ping{0};
    alignas(128) std::uint64_t pong{0};
    alignas(128) std::uint64_t ready{0};
    std::uint64_t count{0};
    std::uint64_t elapsed_ns{0};
};

auto load_acq(const std::uint64_t* p) -> std::uint64_t {
    return tp::concurrent::load_acquire(p);
}
void store_rel(std::uint64_t* p, std::uint64_t v) {
    tp::concurrent::store_release(p, v);
}

/// A forked child pinned to CPU 1 (the parent runs on CPU 0).
template <typename Fn>
auto fork_child(Fn fn) -> tp::perf::Child {
    return tp::perf::Child::fork(fn, 1);
}

// ---------------------------------------------------------------------------------------------
// Baselines (the cache-line round trip and memcpy come from tp_perf)

/// The best one-way rate for 32-byte messages this machine gives two processes at the moment: a
/// single-producer ring of 64-byte slots (8-byte sequence, 32-byte payload), the consumer
/// publishing its position every 256 slots and the producer caching its limit. No transport; the
/// same line traffic as the IPC log for one publisher. With `locked_claim` the producer also does
/// one locked read-modify-write per message on a tail word, as any multi-producer log (the IPC
/// log's CAS, Aeron's fetch-add) must: the lock waits for the previous message's stores to reach
/// the consumer's core, which is what bounds multi-producer throughput on a given machine.
auto raw_spsc_throughput(std::uint64_t count, bool locked_claim) -> double {
    constexpr std::uint64_t SLOTS = (4U << 20U) / 64U;
    struct alignas(64) Slot {
        std::uint64_t seq;
        std::uint8_t payload[56];
    };
    auto* ring = static_cast<Slot*>(tp::perf::map_shared_bytes(SLOTS * sizeof(Slot)));
    tp::perf::SharedMapping<Shared> mapping;
    if (ring == nullptr || !mapping.valid()) {
        std::perror("mmap");
        std::exit(1);
    }
    Shared* sh = mapping.get();
    auto child = fork_child([&] {
        std::uint64_t sink = 0;
        Clock::time_point first{};
        for (std::uint64_t i = 1; i <= count; ++i) {
            Slot& slot = ring[(i - 1) & (SLOTS - 1)];
            while (load_acq(&slot.seq) != i) {
            }
            if (i == 1) {
                first = Clock::now();
            }
            sink += slot.payload[0];
            if ((i & 255U) == 0) {
                store_rel(&sh->pong, i);
            }
        }
        sh->count = sink;
        store_rel(&sh->elapsed_ns, static_cast<std::uint64_t>((Clock::now() - first).count()));
        return 0;
    });
    std::uint8_t payload[32] = {7};
    std::uint64_t limit = SLOTS;
    for (std::uint64_t i = 1; i <= count; ++i) {
        while (i > limit) {
            limit = load_acq(&sh->pong) + SLOTS;
        }
        if (locked_claim) {
            std::atomic_ref<std::uint64_t>(sh->ready).fetch_add(64, std::memory_order_acq_rel);
        }
        Slot& slot = ring[(i - 1) & (SLOTS - 1)];
        std::memcpy(slot.payload, payload, sizeof(payload));
        store_rel(&slot.seq, i);
    }
    (void)child.wait(std::chrono::seconds(60));
    const double ns = static_cast<double>(load_acq(&sh->elapsed_ns));
    tp::perf::unmap_shared_bytes(ring, SLOTS * sizeof(Slot));
    return static_cast<double>(count) * 1e9 / ns;
}

// ---------------------------------------------------------------------------------------------
// Transport

/// The built-in transport in `dir`, in invoker mode: no background thread competing for the CPUs.
auto builtin_config(const std::string& dir) -> TransportConfig {
    TransportConfig c;
    c.directory = dir;
    c.use_conductor_thread = false;
    return c;
}

/// Aeron through a media driver embedded in the measuring process (in `dir`/aeron), invoker mode.
auto aeron_config(const std::string& dir) -> TransportConfig {
    TransportConfig c;
    c.kind = tp::transport::TransportKind::Aeron;
    c.aeron_directory = dir + "/aeron";
    c.aeron_embedded_driver = true;
    c.use_conductor_thread = false;
    return c;
}

auto make_context(const TransportConfig& c) -> TransportContext {
    auto ctx = TransportContext::create(c);
    if (!ctx) {
        std::fprintf(stderr, "transport context: %s\n", ctx.error().to_string().c_str());
        std::exit(1);
    }
    return std::move(*ctx);
}

template <typename T>
auto must(tp::Expected<T> e, const char* what) -> T {
    if (!e) {
        std::fprintf(stderr, "%s: %s\n", what, e.error().to_string().c_str());
        std::exit(1);
    }
    return std::move(*e);
}

const std::string CHANNEL = "aeron:ipc?term-length=4m";

/// Round trips between this process and an echoing child; the child's context is `config` without
/// an embedded media driver (it uses this process's).
auto ipc_ping_pong(const TransportConfig& config, std::size_t size, std::uint64_t rounds, double tpn) -> Percentiles {
    tp::perf::SharedMapping<Shared> mapping;
    Shared* sh = mapping.get();
    TransportConfig child_config = config;
    child_config.aeron_embedded_driver = false;
    auto child = fork_child([&] {
        auto ctx = make_context(child_config);
        auto sub = must(ctx.add_subscription(CHANNEL, 101), "echo subscription");
        auto pub = must(ctx.add_publication(CHANNEL, 102), "echo publication");
        store_rel(&sh->ready, 1);
        bool stop = false;
        std::uint64_t echoed = 0;
        auto echo = [&](std::span<const std::uint8_t> m, const MessageHeader&) {
            if (m[0] == 0xFF) {
                stop = true;
                return;
            }
            while (pub->offer(m) < 0) {
            }
            ++echoed;
        };
        while (!stop) {
            if (sub->poll(echo, 10) == 0 && (echoed & 0xFFFU) == 0) {
                ctx.do_work();
            }
        }
        return 0;
    });
    auto ctx = make_context(config);
    auto pub = must(ctx.add_publication(CHANNEL, 101), "ping publication");
    auto sub = must(ctx.add_subscription(CHANNEL, 102), "pong subscription");
    while (load_acq(&sh->ready) == 0 || !pub->is_connected()) {
        ctx.do_work(); // invoker mode: Aeron learns of images in the client's duty cycle
        std::this_thread::yield();
    }
    std::vector<std::uint8_t> message(size, 1);
    bool got = false;
    auto on_pong = [&](std::span<const std::uint8_t>, const MessageHeader&) { got = true; };
    std::vector<std::uint64_t> samples;
    samples.reserve(rounds);
    const std::uint64_t warmup = rounds / 10;
    for (std::uint64_t i = 0; i < rounds + warmup; ++i) {
        got = false;
        const std::uint64_t t0 = ticks();
        while (pub->offer(message) < 0) {
        }
        for (std::uint32_t idle = 1; !got; ++idle) {
            if (sub->poll(on_pong, 1) == 0 && (idle & 0x3FFFU) == 0) {
                ctx.do_work(); // rare: only while a pong is slow (or the first image is not yet known)
            }
        }
        const std::uint64_t t1 = ticks();
        if (i >= warmup) {
            samples.push_back(t1 - t0);
        }
        if ((i & 0xFFFU) == 0) {
            ctx.do_work();
        }
    }
    message[0] = 0xFF;
    while (pub->offer(message) < 0) {
    }
    (void)child.wait(std::chrono::seconds(60));
    return tp::perf::percentiles_of(samples, tpn);
}

} // namespace

auto main(int argc, char** argv) -> int {
    bool quick = false;
    bool with_aeron = false;
    std::string json_path;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--throughput-only") {
            // For profiling: just the 32 B throughput case.
            char tmpl[] = "/dev/shm/tp-bench-XXXXXX";
            if (::mkdtemp(tmpl) == nullptr) {
                return 1;
            }
            pin_to_cpu(0);
            const auto t = tp::perf::ipc_message_rate(tmpl, 32, 20'000'000, NEVER_STOP, true);
            ::rmdir(tmpl);
            std::printf("IPC one-way 32 B: %.3e msgs/s, raw ring %.3e msgs/s, raw ring + locked claim %.3e msgs/s\n",
                        t.msgs_per_s, raw_spsc_throughput(20'000'000, false), raw_spsc_throughput(20'000'000, true));
            return 0;
        } else if (arg == "--aeron") {
            with_aeron = true;
        } else if (arg == "--json" && i + 1 < argc) {
            json_path = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--quick] [--json FILE] [--throughput-only] [--aeron]\n", argv[0]);
            return 2;
        }
    }
    char dir_template[] = "/dev/shm/tp-bench-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) {
        std::perror("mkdtemp");
        return 1;
    }
    const std::string dir = dir_template;
    pin_to_cpu(0);
    const double tpn = tp::perf::ticks_per_ns();
    const std::uint64_t rounds = quick ? 20'000 : 200'000;
    const std::uint64_t small_count = quick ? 2'000'000 : 20'000'000;
    const std::uint64_t large_count = quick ? 50'000 : 500'000;

    const Percentiles raw = tp::perf::cache_line_round_trip(rounds, tpn, NEVER_STOP, true).ns;
    // 4 KiB blocks within an 8 MiB working set (cache), 64 MiB blocks of a 256 MiB one (memory).
    const double copy_small = tp::perf::memcpy_bandwidth({4096}, 8U << 20U, quick ? 0.3 : 2.0, 3, NEVER_STOP)[4096];
    const double copy_large =
        tp::perf::memcpy_bandwidth({64U << 20U}, 256U << 20U, quick ? 0.3 : 2.0, 3, NEVER_STOP)[64U << 20U];
    const Percentiles rtt32 = ipc_ping_pong(builtin_config(dir), 32, rounds, tpn);
    const Percentiles rtt256 = ipc_ping_pong(builtin_config(dir), 256, rounds, tpn);
    pin_to_cpu(0);
    const auto tp32 = tp::perf::ipc_message_rate(dir, 32, small_count, NEVER_STOP, true);
    const auto tp4k = tp::perf::ipc_message_rate(dir, 4096, large_count, NEVER_STOP, true);
    const double ring_plain = raw_spsc_throughput(small_count, false);
    const double ring_locked = raw_spsc_throughput(small_count, true);
    Percentiles aeron_rtt32{};
    tp::perf::MessageRate aeron_tp32{};
    const bool aeron = with_aeron && tp::transport::backend_available(tp::transport::TransportKind::Aeron) &&
                       tp::transport::aeron_embedded_driver_available();
    if (with_aeron && !aeron) {
        std::fprintf(stderr, "bench_transport: --aeron needs a build with Aeron's client and driver libraries\n");
    }
    if (aeron) {
        aeron_rtt32 = ipc_ping_pong(aeron_config(dir), 32, rounds, tpn);
        pin_to_cpu(0);
        aeron_tp32 = tp::perf::message_rate(aeron_config(dir), 32, small_count, NEVER_STOP, true);
    }
    std::filesystem::remove_all(dir);

    std::printf("\nbench_transport (built-in IPC, term-length=4m, %u CPUs)\n\n", std::thread::hardware_concurrency());
    std::printf("%-34s %12s %12s %12s %10s\n", "round trip (ns)", "p50", "p99", "p99.9", "p50/raw");
    std::printf("%-34s %12.0f %12.0f %12.0f %10s\n", "raw cache-line ping-pong", raw.p50, raw.p99, raw.p999, "1.00");
    std::printf("%-34s %12.0f %12.0f %12.0f %10.2f\n", "IPC ping-pong 32 B", rtt32.p50, rtt32.p99, rtt32.p999,
                rtt32.p50 / raw.p50);
    std::printf("%-34s %12.0f %12.0f %12.0f %10.2f\n", "IPC ping-pong 256 B", rtt256.p50, rtt256.p99, rtt256.p999,
                rtt256.p50 / raw.p50);
    if (aeron) {
        std::printf("%-34s %12.0f %12.0f %12.0f %10.2f\n", "Aeron IPC ping-pong 32 B", aeron_rtt32.p50, aeron_rtt32.p99,
                    aeron_rtt32.p999, aeron_rtt32.p50 / raw.p50);
    }
    std::printf("\n%-34s %14s %12s %14s\n", "throughput", "msgs/s", "GB/s", "ratio");
    std::printf("%-34s %14.3e %12s %14s\n", "raw ring 64 B slots", ring_plain, "-", "1.00");
    std::printf("%-34s %14.3e %12s %14.2f\n", "raw ring + locked claim", ring_locked, "-", ring_locked / ring_plain);
    std::printf("%-34s %14.3e %12.2f %14.2f\n", "IPC one-way 32 B", tp32.msgs_per_s, tp32.bytes_per_ns,
                tp32.msgs_per_s / ring_plain);
    if (aeron) {
        std::printf("%-34s %14.3e %12.2f %14.2f\n", "Aeron IPC one-way 32 B", aeron_tp32.msgs_per_s,
                    aeron_tp32.bytes_per_ns, aeron_tp32.msgs_per_s / ring_plain);
    }
    std::printf("%-34s %14.3e %12.2f %14.2f\n", "IPC one-way 4 KiB (vs memcpy 64M)", tp4k.msgs_per_s, tp4k.bytes_per_ns,
                tp4k.bytes_per_ns / copy_large);
    std::printf("%-34s %14s %12.2f %14s\n", "memcpy 4 KiB blocks (in cache)", "-", copy_small, "-");
    std::printf("%-34s %14s %12.2f %14s\n", "memcpy 64 MiB blocks", "-", copy_large, "1.00");
    std::printf("\nratios: round trip p50 / raw ping-pong p50; 32 B rate / raw ring rate; 4 KiB bandwidth / memcpy\n");

    if (!json_path.empty()) {
        if (FILE* f = std::fopen(json_path.c_str(), "w")) {
            std::fprintf(f,
                         "{\n  \"raw_ping_pong_ns\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f},\n"
                         "  \"ipc_rtt_32_ns\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f},\n"
                         "  \"ipc_rtt_256_ns\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f},\n"
                         "  \"ipc_throughput_32_msgs_per_s\": %.0f,\n  \"ipc_throughput_4k_msgs_per_s\": %.0f,\n"
                         "  \"ipc_throughput_4k_gb_per_s\": %.3f,\n  \"memcpy_4k_gb_per_s\": %.3f,\n"
                         "  \"memcpy_64m_gb_per_s\": %.3f,\n  \"raw_ring_msgs_per_s\": %.0f,\n"
                         "  \"raw_ring_locked_msgs_per_s\": %.0f",
                         raw.p50, raw.p99, raw.p999, rtt32.p50, rtt32.p99, rtt32.p999, rtt256.p50, rtt256.p99,
                         rtt256.p999, tp32.msgs_per_s, tp4k.msgs_per_s, tp4k.bytes_per_ns, copy_small, copy_large,
                         ring_plain, ring_locked);
            if (aeron) {
                std::fprintf(f,
                             ",\n  \"aeron_rtt_32_ns\": {\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f},\n"
                             "  \"aeron_throughput_32_msgs_per_s\": %.0f",
                             aeron_rtt32.p50, aeron_rtt32.p99, aeron_rtt32.p999, aeron_tp32.msgs_per_s);
            }
            std::fprintf(f, "\n}\n");
            std::fclose(f);
        }
    }
    return 0;
}
