// SPDX-License-Identifier: Apache-2.0
// `tensorpool demo`: the whole system in one command. A driver, a producer and N consumers run as
// separate processes on a private transport and SHM directory; the consumers verify every frame's
// content and measure publish -> consume latency; the parent shows live status and a summary.
#include "subcommands.hpp"

#include "common/clock.hpp"
#include "tensorpool/consumer.hpp"
#include "tensorpool/driver.hpp"
#include "tensorpool/producer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tp::apps {
namespace {

constexpr int MAX_CONSUMERS = 8;
constexpr int LAT_BUCKETS = 64 * 16; // log2-linear: 16 sub-buckets per power of two

/// Per-process figures, shared with the parent through an anonymous MAP_SHARED mapping.
struct ProcStats {
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> corrupt{0};
    std::atomic<std::uint64_t> drops_gap{0};
    std::atomic<std::uint64_t> drops_late{0};
    std::atomic<std::uint64_t> epoch{0};
    std::atomic<std::uint64_t> attaches{0};
    std::atomic<int> state{0}; ///< 0 starting, 1 running, 2 done, 3 failed
    std::atomic<std::uint64_t> latency[LAT_BUCKETS];
};

struct SharedBlock {
    std::atomic<bool> stop{false};
    std::atomic<int> consumers_ready{0};
    ProcStats driver;
    ProcStats producer;
    ProcStats consumer[MAX_CONSUMERS];
};

auto bucket_of(std::uint64_t ns) -> int {
    if (ns < 16) {
        return static_cast<int>(ns);
    }
    const int msb = 63 - __builtin_clzll(ns);
    const int sub = static_cast<int>((ns >> (msb - 4)) & 15U);
    return std::min(LAT_BUCKETS - 1, (msb - 3) * 16 + sub);
}

auto bucket_value(int b) -> std::uint64_t {
    if (b < 16) {
        return static_cast<std::uint64_t>(b);
    }
    const int msb = b / 16 + 3;
    const auto sub = static_cast<std::uint64_t>(b % 16);
    return (std::uint64_t{1} << msb) + (sub << (msb - 4));
}

auto percentile(const ProcStats& s, double p) -> std::uint64_t {
    std::uint64_t total = 0;
    for (const auto& b : s.latency) {
        total += b.load();
    }
    if (total == 0) {
        return 0;
    }
    const auto target = static_cast<std::uint64_t>(p * static_cast<double>(total));
    std::uint64_t seen = 0;
    for (int b = 0; b < LAT_BUCKETS; ++b) {
        seen += s.latency[b].load();
        if (seen > target) {
            return bucket_value(b);
        }
    }
    return bucket_value(LAT_BUCKETS - 1);
}

/// The pattern every frame carries: word i = seq * K1 ^ i * K2 (consumers check all of it).
inline auto pattern_word(std::uint64_t seq, std::size_t i) -> std::uint64_t {
    return (seq * 0x9E3779B97F4A7C15ULL) ^ (static_cast<std::uint64_t>(i) * 0xC2B2AE3D27D4EB4FULL);
}

struct DemoArgs {
    double duration_s{10.0};
    bool json{false};
    int consumers{2};
    std::uint32_t width{640};
    std::uint32_t height{480};
    double rate_hz{1000.0};
};

auto context_for(const std::string& dir) -> ClientContext {
    ClientContext c;
    c.transport_dir = dir + "/transport";
    c.allowed_base_dirs = {dir + "/shm"};
    c.announce_period_ns = 200'000'000ULL;
    c.keepalive_interval_ns = 200'000'000ULL;
    c.hello_interval_ns = 200'000'000ULL;
    c.qos_interval_ns = 200'000'000ULL;
    c.attach_retry_ns = 50'000'000ULL;
    c.attach_timeout_ns = 500'000'000ULL; // an attach sent before the driver subscribed is retried soon
    return c;
}

auto run_driver_child(const std::string& dir, const DemoArgs& a, SharedBlock* sh) -> int {
    // One pool sized for the frames: the smallest power of two >= the frame, 256 slots (64 for
    // large frames), so that the regions stay a few hundred MiB.
    std::uint64_t stride = 65536;
    while (stride < std::uint64_t{a.width} * a.height) {
        stride *= 2;
    }
    const std::uint32_t nslots = stride >= (4U << 20) ? 64 : 256;
    const std::string toml = "[driver]\ninstance_id = \"demo-driver\"\ntransport_dir = \"" + dir +
                             "/transport\"\n[shm]\nbase_dir = \"" + dir +
                             "/shm\"\n[policies]\nannounce_period_ms = 200\nlease_keepalive_interval_ms = 200\n"
                             "shutdown_timeout_ms = 0\n[profiles.camera]\nheader_nslots = " +
                             std::to_string(nslots) +
                             "\npayload_pools = [ { pool_id = 1, stride_bytes = " + std::to_string(stride) +
                             " } ]\n"
                             "[streams.camera]\nstream_id = 10000\nprofile = \"camera\"\n";
    auto drv = Driver::create_from_toml(toml);
    if (!drv) {
        std::fprintf(stderr, "demo driver: %s\n", drv.error().to_string().c_str());
        sh->driver.state.store(3);
        return 1;
    }
    sh->driver.state.store(1);
    // The driver is single-threaded: run it here, publish its figures from the loop.
    while (drv->run_state() != DriverRunState::Stopped) {
        if (sh->stop.load() && drv->run_state() == DriverRunState::Running) {
            drv->request_shutdown();
        }
        if (drv->do_work() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        const auto s = drv->stats();
        sh->driver.attaches.store(s.attaches_ok);
        sh->driver.frames.store(s.producer_leases + s.consumer_leases);
        sh->driver.epoch.store(s.epoch_bumps);
    }
    sh->driver.state.store(2);
    return 0;
}

auto run_producer_child(const std::string& dir, const DemoArgs& a, SharedBlock* sh) -> int {
    ProducerOptions o;
    o.context = context_for(dir);
    o.name = "demo-camera";
    o.summary = std::to_string(a.height) + "x" + std::to_string(a.width) + " uint8";
    auto p = Producer::create(o);
    if (!p || !p->wait_ready(20000)) {
        std::fprintf(stderr, "demo producer: no lease from the driver\n");
        sh->producer.state.store(3);
        return 1;
    }
    // Wait (bounded) for the consumers to map, so they see the stream from its first frame.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sh->consumers_ready.load() < a.consumers && std::chrono::steady_clock::now() < until) {
        p->do_work();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    p->set_metadata({{"camera", "text/plain", "demo"}, {"width", "text/plain", std::to_string(a.width)}});
    sh->producer.state.store(1);
    const std::size_t bytes = static_cast<std::size_t>(a.width) * a.height;
    const std::int32_t shape[] = {static_cast<std::int32_t>(a.height), static_cast<std::int32_t>(a.width)};
    const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / a.rate_hz));
    auto next = std::chrono::steady_clock::now();
    while (!sh->stop.load()) {
        p->do_work();
        const auto now = std::chrono::steady_clock::now();
        if (now < next) {
            if (next - now > std::chrono::microseconds(200)) {
                std::this_thread::sleep_for(std::chrono::microseconds(100)); // paced, not spinning
            }
            continue;
        }
        next += period;
        FrameClaim c = p->try_claim(bytes);
        if (!c.is_valid()) {
            continue; // not attached right now
        }
        auto payload = c.payload();
        const std::size_t words = payload.size() / 8;
        auto* w = reinterpret_cast<std::uint64_t*>(payload.data());
        for (std::size_t i = 0; i < words; ++i) {
            w[i] = pattern_word(c.seq(), i);
        }
        c.set_dtype(Dtype::Uint8).set_shape(shape).set_timestamp_ns(common::monotonic_ns());
        if (p->commit(std::move(c)) == PublishResult::Ok) {
            sh->producer.frames.fetch_add(1, std::memory_order_relaxed);
            sh->producer.bytes.fetch_add(bytes, std::memory_order_relaxed);
        }
        sh->producer.epoch.store(p->stats().epoch, std::memory_order_relaxed);
    }
    sh->producer.state.store(2);
    return 0;
}

auto run_consumer_child(const std::string& dir, int idx, SharedBlock* sh) -> int {
    ConsumerOptions o;
    o.context = context_for(dir);
    auto c = Consumer::create(o);
    ProcStats& st = sh->consumer[idx];
    if (!c || !c->wait_mapped(20000)) {
        std::fprintf(stderr, "demo consumer %d: not mapped\n", idx);
        st.state.store(3);
        return 1;
    }
    sh->consumers_ready.fetch_add(1);
    st.state.store(1);
    auto on_frame = [&](const Frame& f) {
        const auto now = common::monotonic_ns();
        const auto* w = reinterpret_cast<const std::uint64_t*>(f.payload.data());
        const std::size_t words = f.payload.size() / 8;
        bool ok = true;
        for (std::size_t i = 0; i < words; ++i) {
            if (w[i] != pattern_word(f.seq, i)) {
                ok = false;
                break;
            }
        }
        if (!f.still_valid()) {
            return; // overwritten while we read: counted as a late drop, not corruption
        }
        if (!ok) {
            st.corrupt.fetch_add(1, std::memory_order_relaxed);
        }
        st.frames.fetch_add(1, std::memory_order_relaxed);
        st.bytes.fetch_add(f.payload.size(), std::memory_order_relaxed);
        if (now > f.timestamp_ns) {
            st.latency[bucket_of(now - f.timestamp_ns)].fetch_add(1, std::memory_order_relaxed);
        }
    };
    while (!sh->stop.load()) {
        if (c->poll(on_frame, 64) == 0) {
            std::this_thread::yield(); // busy-poll, but let the other processes run on small machines
        }
        const auto s = c->stats();
        st.drops_gap.store(s.drops_gap, std::memory_order_relaxed);
        st.drops_late.store(s.drops_late, std::memory_order_relaxed);
        st.epoch.store(s.epoch, std::memory_order_relaxed);
    }
    st.state.store(2);
    return 0;
}

auto fork_child(const std::function<int()>& fn) -> pid_t {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::_exit(fn());
    }
    return pid;
}

auto mb_s(std::uint64_t bytes, double s) -> double {
    return s > 0 ? static_cast<double>(bytes) / 1e6 / s : 0.0;
}

auto run_demo(const DemoArgs& a) -> int {
    const std::string dir = "/dev/shm/tensorpool-demo-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir + "/shm");
    void* mem = ::mmap(nullptr, sizeof(SharedBlock), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        std::fprintf(stderr, "tensorpool demo: mmap failed\n");
        return EXIT_IO;
    }
    auto* sh = new (mem) SharedBlock();
    std::vector<pid_t> pids;
    pids.push_back(fork_child([&] { return run_driver_child(dir, a, sh); }));
    // Clients start once the driver listens (they would retry anyway, after their attach timeout).
    for (int i = 0; i < 2000 && sh->driver.state.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int i = 0; i < a.consumers; ++i) {
        pids.push_back(fork_child([&, i] { return run_consumer_child(dir, i, sh); }));
    }
    pids.push_back(fork_child([&] { return run_producer_child(dir, a, sh); }));

    const bool tty = ::isatty(STDOUT_FILENO) != 0 && !a.json;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    std::uint64_t last_frames[MAX_CONSUMERS + 1] = {};
    double last_t = 0.0;
    int lines = 0;
    while (elapsed() < a.duration_s + 0.2 && sh->producer.state.load() != 3 && sh->driver.state.load() != 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 1000));
        const double t = elapsed();
        const double dt = t - last_t;
        if (a.json) {
            continue;
        }
        if (tty && lines > 0) {
            std::printf("\033[%dA", lines);
        }
        lines = 0;
        auto line = [&](const char* name, const ProcStats& s, std::uint64_t& last, bool latency) {
            const auto frames = s.frames.load();
            const double fps = dt > 0 ? static_cast<double>(frames - last) / dt : 0;
            last = frames;
            std::printf("%-11s %9.0f frames/s %8.1f MB/s  frames %-9llu", name, fps,
                        fps * static_cast<double>(a.width * a.height) / 1e6, static_cast<unsigned long long>(frames));
            if (latency) {
                std::printf(" lat p50 %6.1f us p99 %7.1f us  drops %llu/%llu  corrupt %llu",
                            static_cast<double>(percentile(s, 0.5)) / 1e3,
                            static_cast<double>(percentile(s, 0.99)) / 1e3,
                            static_cast<unsigned long long>(s.drops_gap.load()),
                            static_cast<unsigned long long>(s.drops_late.load()),
                            static_cast<unsigned long long>(s.corrupt.load()));
            } else {
                std::printf(" epoch %llu", static_cast<unsigned long long>(s.epoch.load()));
            }
            std::printf("%s\n", tty ? "\033[K" : "");
            ++lines;
        };
        std::printf("driver      leases %llu, attaches %llu, epochs created %llu%s\n",
                    static_cast<unsigned long long>(sh->driver.frames.load()),
                    static_cast<unsigned long long>(sh->driver.attaches.load()),
                    static_cast<unsigned long long>(sh->driver.epoch.load()), tty ? "\033[K" : "");
        ++lines;
        line("producer", sh->producer, last_frames[0], false);
        for (int i = 0; i < a.consumers; ++i) {
            const std::string name = "consumer " + std::to_string(i + 1);
            line(name.c_str(), sh->consumer[i], last_frames[i + 1], true);
        }
        if (!tty) {
            std::printf("--- %.1f s\n", t);
        }
        std::fflush(stdout);
        last_t = t;
    }
    const double run_s = elapsed();
    sh->stop.store(true);
    int child_failures = 0;
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ++child_failures;
        }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);

    std::uint64_t verified = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t gap = 0;
    std::uint64_t late = 0;
    std::uint64_t consumed_bytes = 0;
    ProcStats merged;
    for (int i = 0; i < a.consumers; ++i) {
        const auto& s = sh->consumer[i];
        verified += s.frames.load();
        corrupt += s.corrupt.load();
        gap += s.drops_gap.load();
        late += s.drops_late.load();
        consumed_bytes += s.bytes.load();
        for (int b = 0; b < LAT_BUCKETS; ++b) {
            merged.latency[b].fetch_add(s.latency[b].load());
        }
    }
    const auto published = sh->producer.frames.load();
    const double bw = mb_s(sh->producer.bytes.load(), run_s);
    if (a.json) {
        std::printf("{\"frames_published\": %llu, \"frames_verified\": %llu, \"frames_corrupt\": %llu, "
                    "\"drops_gap\": %llu, \"drops_late\": %llu, \"latency_ns\": {\"p50\": %llu, \"p99\": %llu, "
                    "\"p999\": %llu}, \"bandwidth_mb_s\": %.1f, \"consumer_bandwidth_mb_s\": %.1f, "
                    "\"consumers\": %d, \"frame_bytes\": %u, \"duration_s\": %.2f, \"child_failures\": %d}\n",
                    static_cast<unsigned long long>(published), static_cast<unsigned long long>(verified),
                    static_cast<unsigned long long>(corrupt), static_cast<unsigned long long>(gap),
                    static_cast<unsigned long long>(late), static_cast<unsigned long long>(percentile(merged, 0.5)),
                    static_cast<unsigned long long>(percentile(merged, 0.99)),
                    static_cast<unsigned long long>(percentile(merged, 0.999)), bw, mb_s(consumed_bytes, run_s),
                    a.consumers, a.width * a.height, run_s, child_failures);
    } else {
        std::printf("\nsummary (%.1f s, %d consumers, %u-byte frames)\n", run_s, a.consumers, a.width * a.height);
        std::printf("  published          %llu frames, %.1f MB/s\n", static_cast<unsigned long long>(published), bw);
        std::printf("  verified           %llu frames (every byte checked), corrupt %llu\n",
                    static_cast<unsigned long long>(verified), static_cast<unsigned long long>(corrupt));
        std::printf("  drops              gap %llu, late %llu\n", static_cast<unsigned long long>(gap),
                    static_cast<unsigned long long>(late));
        std::printf("  latency            p50 %.1f us, p99 %.1f us, p99.9 %.1f us (publish -> consume)\n",
                    static_cast<double>(percentile(merged, 0.5)) / 1e3,
                    static_cast<double>(percentile(merged, 0.99)) / 1e3,
                    static_cast<double>(percentile(merged, 0.999)) / 1e3);
        std::printf("  result             %s\n", corrupt == 0 && child_failures == 0 && verified > 0 ? "OK" : "FAILED");
    }
    ::munmap(mem, sizeof(SharedBlock));
    return corrupt == 0 && child_failures == 0 && verified > 0 ? EXIT_OK : EXIT_FAILURE_RUNTIME;
}

const SubcommandRegistration REG{
    "demo", "Run a driver, a producer and consumers as separate processes; live rates, latency and drops",
    [](CLI::App& app) {
        auto args = std::make_shared<DemoArgs>();
        app.add_option("-d,--duration", args->duration_s, "seconds to run (default 10)")
            ->check(CLI::Range(0.5, 3600.0));
        app.add_option("-n,--consumers", args->consumers, "consumer processes (1-8, default 2)")
            ->check(CLI::Range(1, 8));
        app.add_option("--width", args->width, "frame width in pixels (default 640)")->check(CLI::Range(8U, 4096U));
        app.add_option("--height", args->height, "frame height in pixels (default 480)")->check(CLI::Range(1U, 2048U));
        app.add_option("-r,--rate", args->rate_hz, "frames per second (default 1000)")
            ->check(CLI::Range(1.0, 100000.0));
        app.add_flag("--json", args->json, "print one JSON object at the end instead of live status");
        return SubcommandRunner{[args] { return run_demo(*args); }};
    }};

} // namespace
} // namespace tp::apps
