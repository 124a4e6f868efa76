// SPDX-License-Identifier: Apache-2.0
// `tensorpool bench`: the system's figures next to the machine's own limits, measured in the same
// run, so the results read as ratios. Baselines: the cross-process cache-line round trip and
// single-thread memcpy bandwidth. Through the real system (a driver process, a producer process,
// consumer processes): publish -> consume latency, the small-frame rate, large-frame bandwidth,
// fan-out, the driver attach round trip and the transport's 32-byte message rate.
#include "bench_report.hpp"
#include "subcommands.hpp"

#include "shm/shared_copy.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tp::apps {
namespace {

using bench::Idle;
using bench::Pace;
using bench::Scenario;
using bench::ScenarioResult;
using bench::Work;

std::atomic<bool> g_stop{false};

extern "C" void on_bench_signal(int /*sig*/) {
    // Every signal only asks to stop: the run unwinds, kills its processes and removes its files.
    g_stop.store(true, std::memory_order_relaxed); // relaxed: a request flag, polled everywhere
}

struct BenchArgs {
    bool quick{false};
    bool smoke{false};
    bool json{false};
    std::string only;           ///< run only the system scenarios whose name contains this
    std::string stores{"auto"}; ///< how the producer writes frames: auto, regular, streaming
};

/// How long each part runs.
struct Plan {
    const char* mode;
    std::uint64_t rtt_rounds;
    double memcpy_s;
    int memcpy_trials;
    std::size_t memcpy_working_set;
    std::uint64_t ipc_messages;
    double warmup_s;
    double latency_s;
    double rate_s;
    double bandwidth_s;
    double fanout_s;
    int attach_iterations;
};

auto plan_for(const BenchArgs& a) -> Plan {
    if (a.smoke) {
        return {"smoke", 2'000, 0.03, 1, 32U << 20U, 100'000, 0.1, 0.3, 0.3, 0.3, 0.3, 50};
    }
    if (a.quick) {
        return {"quick", 50'000, 0.3, 3, 256U << 20U, 4'000'000, 0.3, 2.0, 2.0, 2.0, 2.0, 1000};
    }
    return {"full", 200'000, 1.0, 5, 256U << 20U, 20'000'000, 0.5, 5.0, 5.0, 5.0, 5.0, 5000};
}

constexpr std::size_t KIB = 1024;
constexpr std::size_t MIB = 1024 * 1024;
// The figures' frame sizes.
constexpr std::size_t LATENCY_SIZES[] = {64, 4 * KIB, 1 * MIB};
constexpr std::size_t BANDWIDTH_SIZES[] = {640 * KIB, 4 * MIB, 16 * MIB};
constexpr std::uint32_t BANDWIDTH_SLOTS = 16;
constexpr std::uint32_t BANDWIDTH_WINDOW = 8; ///< frames the producer may run ahead of the consumer
constexpr std::size_t RATE_SIZE = 64;
constexpr std::size_t FANOUT_SIZE = 64 * KIB;
constexpr int FANOUT_COUNTS[] = {1, 2, 4};

/// Power of two >= n (and >= 64).
auto stride_for(std::size_t n) -> std::uint32_t {
    std::uint32_t s = 64;
    while (s < n) {
        s *= 2;
    }
    return s;
}

void progress(const char* fmt, const std::string& what) {
    std::fprintf(stderr, fmt, what.c_str());
    std::fflush(stderr);
}

/// A private directory under /dev/shm, removed (recursively) on destruction.
class PrivateDir {
public:
    PrivateDir() {
        std::string tmpl =
            (std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/tensorpool-bench-XXXXXX");
        if (::mkdtemp(tmpl.data()) != nullptr) {
            m_path = tmpl;
        }
    }
    PrivateDir(const PrivateDir&) = delete;
    auto operator=(const PrivateDir&) -> PrivateDir& = delete;
    ~PrivateDir() {
        if (!m_path.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(m_path, ec);
        }
    }
    [[nodiscard]] auto path() const -> const std::string& { return m_path; }

private:
    std::string m_path;
};

auto run_bench(const BenchArgs& args) -> int {
    g_stop.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_bench_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    const Plan plan = plan_for(args);
    const auto started = std::chrono::steady_clock::now();
    PrivateDir dir;
    if (dir.path().empty()) {
        std::fprintf(stderr, "tensorpool bench: cannot create a directory under /dev/shm\n");
        return EXIT_IO;
    }
    bench::Results res;
    res.mode = plan.mode;
    res.work_dir = dir.path();
    auto interrupted = [] { return g_stop.load(std::memory_order_relaxed); };

    res.machine = perf::machine_info();
    std::fprintf(stderr, "tensorpool bench (%s): working in %s; baselines\n", plan.mode, dir.path().c_str());
    const double tpn = perf::ticks_per_ns(std::chrono::milliseconds(args.smoke ? 20 : 200));
    res.round_trip = perf::cache_line_round_trip(plan.rtt_rounds, tpn, g_stop);
    if (!res.round_trip.ok && !interrupted()) {
        res.errors.emplace_back("cache-line round trip failed");
    }
    std::vector<std::size_t> copy_sizes(std::begin(LATENCY_SIZES), std::end(LATENCY_SIZES));
    copy_sizes.insert(copy_sizes.end(), std::begin(BANDWIDTH_SIZES), std::end(BANDWIDTH_SIZES));
    copy_sizes.push_back(FANOUT_SIZE);
    res.memcpy_gbs =
        perf::memcpy_bandwidth(copy_sizes, plan.memcpy_working_set, plan.memcpy_s, plan.memcpy_trials, g_stop);
    // How producers write frames, here and below: by default as Producer::publish copies them
    // (streaming stores for the sizes shm::streams_copy_of names; docs/PERFORMANCE.md).
    auto stores_for = [&](std::size_t n) {
        if (args.stores == "regular" || (args.stores == "auto" && !shm::streams_copy_of(n))) {
            return perf::Stores::Regular;
        }
        return perf::Stores::Streaming;
    };
    // The same frames moved between two processes by hand, with the same ring and window as the
    // bandwidth scenarios below: what the machine gives a frame pipeline without any protocol.
    for (std::size_t n : BANDWIDTH_SIZES) {
        if (!interrupted()) {
            progress("tensorpool bench: raw stream %s\n", std::to_string(n));
            res.raw_stream[n] = perf::stream_bandwidth(n, stride_for(n), BANDWIDTH_SLOTS, BANDWIDTH_WINDOW,
                                                       plan.bandwidth_s, stores_for(n), g_stop);
            if (!res.raw_stream[n].ok && !interrupted()) {
                res.errors.push_back("raw stream " + std::to_string(n) + " failed");
            }
        }
    }
    if (!interrupted()) {
        progress("tensorpool bench: transport message rate%s\n", "");
        res.transport_32b = perf::ipc_message_rate(dir.path() + "/ipc", 32, plan.ipc_messages, g_stop);
        if (!res.transport_32b.ok && !interrupted()) {
            res.errors.emplace_back("transport message rate failed");
        }
    }
    // The same messages through Aeron (an embedded media driver of this process), when this build
    // has the Aeron backend: the built-in transport's rate against Aeron's on the same machine.
    if (!interrupted() && transport::backend_available(transport::TransportKind::Aeron) &&
        transport::aeron_embedded_driver_available()) {
        progress("tensorpool bench: Aeron message rate%s\n", "");
        transport::TransportConfig aeron;
        aeron.kind = transport::TransportKind::Aeron;
        aeron.aeron_directory = dir.path() + "/aeron";
        aeron.aeron_embedded_driver = true;
        res.aeron_32b = perf::message_rate(aeron, 32, plan.ipc_messages, g_stop);
        if (!res.aeron_32b.ok && !interrupted()) {
            res.errors.emplace_back("Aeron message rate failed");
        }
    }

    // ---- through the real system: one stream per scenario, so every run starts on fresh regions ----
    std::uint32_t next_stream = 10001;
    std::vector<bench::StreamProfile> streams;
    auto scenario = [&](std::string name, std::size_t frame, std::uint32_t nslots, double measure_s) {
        Scenario s;
        s.name = std::move(name);
        s.frame_bytes = frame;
        s.stream_id = next_stream++;
        s.nslots = nslots;
        s.warmup_s = plan.warmup_s;
        s.measure_s = measure_s;
        streams.push_back({s.stream_id, nslots, stride_for(frame)});
        return bench::Measured{s, {}};
    };
    for (std::size_t n : LATENCY_SIZES) {
        auto m = scenario("latency-" + std::to_string(n), n, n >= MIB ? 64 : 1024, plan.latency_s);
        m.scenario.pace = Pace::Rate;
        m.scenario.rate_hz = n >= MIB ? 2000 : 10000;
        m.scenario.latency = true;
        m.scenario.idle = Idle::Spin;
        m.scenario.stores = stores_for(n);
        res.latency.push_back(m);
    }
    res.rate = scenario("rate-64", RATE_SIZE, 1024, plan.rate_s);
    res.rate.scenario.pace = Pace::Unlimited;
    res.rate.scenario.idle = Idle::Spin;
    for (std::size_t n : BANDWIDTH_SIZES) {
        auto m = scenario("bandwidth-" + std::to_string(n), n, BANDWIDTH_SLOTS, plan.bandwidth_s);
        m.scenario.pace = Pace::Credit;
        m.scenario.window = BANDWIDTH_WINDOW;
        m.scenario.stores = stores_for(n);
        m.scenario.idle = Idle::Spin;
        res.bandwidth.push_back(m);
    }
    for (int k : FANOUT_COUNTS) {
        auto m = scenario("fanout-" + std::to_string(k), FANOUT_SIZE, 1024, plan.fanout_s);
        m.scenario.consumers = k;
        m.scenario.pace = Pace::Unlimited;
        m.scenario.work = Work::Spot;
        m.scenario.idle = Idle::Backoff;
        res.fanout.push_back(m);
    }
    if (!interrupted()) {
        progress("tensorpool bench: starting the driver%s\n", "");
        bench::SystemRig rig(dir.path(), streams, g_stop);
        if (!rig.ok()) {
            res.errors.push_back(rig.error());
        } else {
            auto run = [&](bench::Measured& m) {
                if (!interrupted() && m.scenario.name.find(args.only) != std::string::npos) {
                    progress("tensorpool bench: %s\n", m.scenario.name);
                    m.result = rig.run(m.scenario);
                    if (!m.result.ok && !interrupted()) {
                        res.errors.push_back(m.scenario.name + ": " + m.result.error);
                    }
                }
            };
            // The round trip next to each latency scenario, before and after: the baseline of its ratio.
            auto adjacent_round_trip = [&] {
                const auto rt = perf::cache_line_round_trip(plan.rtt_rounds / 4, tpn, g_stop);
                return rt.ok ? rt.ns.p50 : 0.0;
            };
            for (auto& m : res.latency) {
                const double before = adjacent_round_trip();
                run(m);
                const double after = adjacent_round_trip();
                m.round_trip_p50_ns = before > 0 && after > 0 ? std::min(before, after) : std::max(before, after);
            }
            run(res.rate);
            std::for_each(res.bandwidth.begin(), res.bandwidth.end(), run);
            std::for_each(res.fanout.begin(), res.fanout.end(), run);
            if (!interrupted() && !rig.driver_running()) {
                res.errors.emplace_back("the driver process exited");
            } else if (!interrupted()) {
                progress("tensorpool bench: attach round trip%s\n", "");
                res.attach = perf::attach_round_trip(rig.transport_dir(), res.latency[0].scenario.stream_id,
                                                     plan.attach_iterations, g_stop);
                if (!res.attach.ok && !interrupted()) {
                    res.errors.emplace_back("attach round trip failed");
                }
            }
        }
    }
    if (interrupted()) {
        std::fprintf(stderr, "tensorpool bench: interrupted; its processes are stopped and %s removed\n",
                     dir.path().c_str());
        return 130;
    }
    res.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (args.json) {
        std::printf("%s\n", bench::to_json(res).dump(2).c_str());
    } else {
        bench::print_table(res);
    }
    for (const auto& e : res.errors) {
        std::fprintf(stderr, "tensorpool bench: %s\n", e.c_str());
    }
    const auto corrupt = bench::corrupt_frames(res);
    if (corrupt != 0) {
        std::fprintf(stderr, "tensorpool bench: %llu corrupt frames\n", static_cast<unsigned long long>(corrupt));
    }
    return res.errors.empty() && corrupt == 0 ? EXIT_OK : EXIT_FAILURE_RUNTIME;
}

const SubcommandRegistration REG{
    "bench",
    "Measure latency, frame rate, bandwidth, fan-out and attach time through a driver, a producer and consumers "
    "(separate processes), next to this machine's cache-line round trip and memcpy bandwidth",
    [](CLI::App& app) {
        auto a = std::make_shared<BenchArgs>();
        app.add_flag("--quick", a->quick, "shorter runs (about 45 s instead of about 90 s)");
        app.add_flag("--json", a->json, "print one JSON object (every figure, ratios, machine) instead of the table");
        // Hidden: tiny durations for tests; the figures are not meaningful.
        app.add_flag("--smoke", a->smoke)->group("");
        // Hidden: only the system scenarios whose name contains the text (latency-, rate-,
        // bandwidth-, fanout-), for profiling one of them.
        app.add_option("--only", a->only)->group("");
        // Hidden: how producers write frames (auto: as Producer::publish; for comparisons).
        app.add_option("--stores", a->stores)->check(CLI::IsMember({"auto", "regular", "streaming"}))->group("");
        return SubcommandRunner{[a] { return run_bench(*a); }};
    }};

} // namespace
} // namespace tp::apps
