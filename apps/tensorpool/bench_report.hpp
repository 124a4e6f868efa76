// SPDX-License-Identifier: Apache-2.0
#pragma once

// `tensorpool bench`: every figure of a run, and its two renderings (a text table, one JSON object).

#include "bench_system.hpp"

#include "perf/attach_round_trip.hpp"
#include "perf/baselines.hpp"
#include "perf/ipc_rate.hpp"
#include "perf/machine_info.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace tp::apps::bench {

/// A scenario and its figures.
struct Measured {
    Scenario scenario;
    ScenarioResult result;
    /// Latency scenarios: the cache-line round trip p50 measured just before and just after, the
    /// lower of the two (the vCPUs' placement, and with it the round trip, can change during a run).
    double round_trip_p50_ns{0};
};

/// Everything one run measured.
struct Results {
    std::string mode; ///< "full", "quick" or "smoke"
    perf::MachineInfo machine;
    perf::RoundTrip round_trip;                              ///< cache-line round trip (baseline)
    std::map<std::size_t, double> memcpy_gbs;                ///< memcpy GB/s by block size (baseline)
    std::map<std::size_t, perf::StreamBandwidth> raw_stream; ///< raw cross-process streaming by frame size
    perf::MessageRate transport_32b;                         ///< built-in IPC, 32-byte messages
    perf::MessageRate aeron_32b;     ///< Aeron IPC through an embedded media driver (when the build has Aeron)
    std::vector<Measured> latency;   ///< 64 B, 4 KiB, 1 MiB
    Measured rate;                   ///< 64 B, producer unthrottled
    std::vector<Measured> bandwidth; ///< 640 KiB, 4 MiB, 16 MiB
    std::vector<Measured> fanout;    ///< 1, 2, 4 consumers
    perf::AttachRoundTrip attach;
    std::vector<std::string> errors;
    std::string work_dir; ///< the private directory (removed when the run ends)
    double elapsed_s{0};
};

/// The headline ratios (0 where a figure is missing).
struct Ratios {
    std::map<std::size_t, double> bandwidth_vs_memcpy; ///< consumer GB/s / memcpy GB/s, by frame size
    double bandwidth_vs_memcpy_min{0};
    std::map<std::size_t, double> bandwidth_vs_raw_stream; ///< consumer GB/s / raw stream GB/s (best of 8 each)
    double bandwidth_vs_raw_stream_min{0};
    double latency_p50_vs_round_trip{0}; ///< 64-byte frames
    double fanout_2_vs_1{0};
    double fanout_4_vs_1{0};
    double fanout_cpu_4_vs_1{0}; ///< producer CPU time per frame, 4 consumers / 1
    double rate_vs_transport{0}; ///< 64-byte frames/s / 32-byte messages/s
};

[[nodiscard]] auto ratios_of(const Results& r) -> Ratios;

/// Frames the consumers found corrupt, over every scenario.
[[nodiscard]] auto corrupt_frames(const Results& r) -> std::uint64_t;

/// The run as one JSON object (every figure, `ratios`, `machine`).
[[nodiscard]] auto to_json(const Results& r) -> nlohmann::ordered_json;

/// Prints the table (figure, value, baseline, ratio) on stdout.
void print_table(const Results& r);

} // namespace tp::apps::bench
