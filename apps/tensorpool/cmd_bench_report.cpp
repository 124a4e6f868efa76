// SPDX-License-Identifier: Apache-2.0
// `tensorpool bench`: ratios, the JSON object and the text table of a run (bench_report.hpp).
#include "bench_report.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace tp::apps::bench {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t KIB = 1024;
constexpr std::size_t MIB = 1024 * 1024;

auto size_name(std::size_t n) -> std::string {
    if (n >= MIB && n % MIB == 0) {
        return std::to_string(n / MIB) + " MiB";
    }
    if (n >= KIB && n % KIB == 0) {
        return std::to_string(n / KIB) + " KiB";
    }
    return std::to_string(n) + " B";
}

auto fmt(const char* f, double v) -> std::string {
    char buf[256];
    std::snprintf(buf, sizeof(buf), f, v);
    return buf;
}

auto rate_text(double per_s) -> std::string {
    if (per_s >= 1e6) {
        return fmt("%.2f M/s", per_s / 1e6);
    }
    if (per_s >= 1e3) {
        return fmt("%.1f k/s", per_s / 1e3);
    }
    return fmt("%.0f /s", per_s);
}

auto ratio_text(double r) -> std::string {
    return r > 0 ? fmt("%.2f", r) : "-";
}

auto percentiles_json(const perf::Percentiles& p) -> Json {
    return Json{{"p50", p.p50}, {"p99", p.p99}, {"p999", p.p999}, {"samples", p.samples}};
}

auto first_consumer(const Measured& m) -> ConsumerFigures {
    return m.result.consumers.empty() ? ConsumerFigures{} : m.result.consumers.front();
}

auto min_consumer_rate(const Measured& m) -> double {
    double r = m.result.consumers.empty() ? 0.0 : m.result.consumers.front().best_frames_per_s;
    for (const auto& c : m.result.consumers) {
        r = std::min(r, c.best_frames_per_s);
    }
    return r;
}

auto memcpy_at(const Results& r, std::size_t n) -> double {
    const auto it = r.memcpy_gbs.find(n);
    return it == r.memcpy_gbs.end() ? 0.0 : it->second;
}

auto drops_json(const ConsumerFigures& c) -> Json {
    return Json{{"corrupt", c.corrupt},
                {"drops_gap", c.drops_gap},
                {"drops_late", c.drops_late},
                {"consumer_page_faults", c.page_faults}};
}

auto consumers_json(const Measured& m) -> Json {
    Json j = Json::array();
    for (const auto& c : m.result.consumers) {
        Json e{{"frames", c.frames},
               {"frames_per_s", c.frames_per_s},
               {"best_frames_per_s", c.best_frames_per_s},
               {"gb_per_s", c.bytes_per_s / 1e9}};
        e.update(drops_json(c));
        j.push_back(e);
    }
    return j;
}

auto producer_json(const Measured& m) -> Json {
    return Json{{"frames", m.result.producer_frames},
                {"frames_per_s", m.result.producer_frames_per_s},
                {"best_frames_per_s", m.result.producer_best_frames_per_s},
                {"cpu_ns_per_frame", m.result.producer_cpu_ns_per_frame},
                {"failures", m.result.producer_failures},
                {"page_faults", m.result.producer_page_faults}};
}

auto fanout_cpu(const Results& r, int consumers) -> double {
    for (const auto& m : r.fanout) {
        if (m.scenario.consumers == consumers && m.result.ok) {
            return m.result.producer_cpu_ns_per_frame;
        }
    }
    return 0.0;
}

auto fanout_rate(const Results& r, int consumers) -> double {
    for (const auto& m : r.fanout) {
        if (m.scenario.consumers == consumers && m.result.ok) {
            return m.result.producer_best_frames_per_s;
        }
    }
    return 0.0;
}

/// A text table: figure, value, baseline, ratio.
class Table {
public:
    void section(const std::string& title) { m_rows.push_back({"", title, "", ""}); }
    void row(std::string figure, std::string value, std::string baseline = "", std::string ratio = "") {
        m_rows.push_back({std::move(figure), std::move(value), std::move(baseline), std::move(ratio)});
    }
    void print() const {
        std::printf("  %-30s %-44s %-28s %s\n", "figure", "value", "baseline (same run)", "ratio");
        for (const auto& r : m_rows) {
            if (r[0].empty() && r[2].empty()) {
                std::printf("%s\n", r[1].c_str());
            } else {
                std::printf("  %-30s %-44s %-28s %s\n", r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str());
            }
        }
    }

private:
    std::vector<std::array<std::string, 4>> m_rows;
};

} // namespace

auto ratios_of(const Results& r) -> Ratios {
    Ratios x;
    bool first = true;
    for (const auto& m : r.bandwidth) {
        const double copy = memcpy_at(r, m.scenario.frame_bytes);
        const double gbs = first_consumer(m).best_bytes_per_s / 1e9;
        const double ratio = m.result.ok && copy > 0 ? gbs / copy : 0.0;
        x.bandwidth_vs_memcpy[m.scenario.frame_bytes] = ratio;
        x.bandwidth_vs_memcpy_min = first ? ratio : std::min(x.bandwidth_vs_memcpy_min, ratio);
        const auto raw = r.raw_stream.find(m.scenario.frame_bytes);
        const double raw_gbs = raw == r.raw_stream.end() ? 0.0 : raw->second.best_gb_per_s;
        const double raw_ratio = m.result.ok && raw_gbs > 0 ? gbs / raw_gbs : 0.0;
        x.bandwidth_vs_raw_stream[m.scenario.frame_bytes] = raw_ratio;
        x.bandwidth_vs_raw_stream_min = first ? raw_ratio : std::min(x.bandwidth_vs_raw_stream_min, raw_ratio);
        first = false;
    }
    if (!r.latency.empty() && r.latency.front().result.ok && r.latency.front().round_trip_p50_ns > 0) {
        x.latency_p50_vs_round_trip =
            first_consumer(r.latency.front()).latency_ns.p50 / r.latency.front().round_trip_p50_ns;
    }
    const double one = fanout_rate(r, 1);
    if (one > 0) {
        x.fanout_2_vs_1 = fanout_rate(r, 2) / one;
        x.fanout_4_vs_1 = fanout_rate(r, 4) / one;
    }
    if (fanout_cpu(r, 1) > 0) {
        x.fanout_cpu_4_vs_1 = fanout_cpu(r, 4) / fanout_cpu(r, 1);
    }
    if (r.rate.result.ok && r.transport_32b.msgs_per_s > 0) {
        x.rate_vs_transport = first_consumer(r.rate).best_frames_per_s / r.transport_32b.msgs_per_s;
    }
    return x;
}

auto corrupt_frames(const Results& r) -> std::uint64_t {
    std::uint64_t n = 0;
    auto add = [&](const Measured& m) {
        for (const auto& c : m.result.consumers) {
            n += c.corrupt;
        }
    };
    std::for_each(r.latency.begin(), r.latency.end(), add);
    add(r.rate);
    std::for_each(r.bandwidth.begin(), r.bandwidth.end(), add);
    std::for_each(r.fanout.begin(), r.fanout.end(), add);
    return n;
}

auto to_json(const Results& r) -> nlohmann::ordered_json {
    const Ratios x = ratios_of(r);
    Json j;
    j["mode"] = r.mode;
    j["machine"] = Json{{"cores", r.machine.cores}, {"cpu_model", r.machine.cpu_model}, {"kernel", r.machine.kernel}};
    Json copies = Json::object();
    for (const auto& [n, gbs] : r.memcpy_gbs) {
        copies[std::to_string(n)] = gbs;
    }
    Json streams = Json::object();
    for (const auto& [n, b] : r.raw_stream) {
        streams[std::to_string(n)] = Json{{"gb_per_s", b.gb_per_s}, {"best_gb_per_s", b.best_gb_per_s}};
    }
    j["baselines"] = Json{{"cache_line_round_trip_ns", percentiles_json(r.round_trip.ns)},
                          {"memcpy_gb_per_s", copies},
                          {"raw_stream", streams}};
    Json lat = Json::object();
    for (const auto& m : r.latency) {
        const auto c = first_consumer(m);
        Json e = percentiles_json(c.latency_ns);
        e["rate_hz"] = m.scenario.rate_hz;
        e["round_trip_p50_ns"] = m.round_trip_p50_ns;
        e["frames"] = c.frames;
        e.update(drops_json(c));
        lat[std::to_string(m.scenario.frame_bytes)] = e;
    }
    j["latency_ns"] = lat;
    {
        const auto c = first_consumer(r.rate);
        Json e{{"frame_bytes", r.rate.scenario.frame_bytes},
               {"consumer_frames_per_s", c.frames_per_s},
               {"consumer_best_frames_per_s", c.best_frames_per_s},
               {"producer_frames_per_s", r.rate.result.producer_frames_per_s},
               {"producer_best_frames_per_s", r.rate.result.producer_best_frames_per_s},
               {"producer_failures", r.rate.result.producer_failures}};
        e.update(drops_json(c));
        j["max_frame_rate"] = e;
    }
    Json bw = Json::object();
    for (const auto& m : r.bandwidth) {
        const auto c = first_consumer(m);
        Json e{{"consumer_gb_per_s", c.bytes_per_s / 1e9},
               {"consumer_best_gb_per_s", c.best_bytes_per_s / 1e9},
               {"consumer_frames_per_s", c.frames_per_s},
               {"producer_frames_per_s", m.result.producer_frames_per_s},
               {"producer_cpu_ns_per_frame", m.result.producer_cpu_ns_per_frame},
               {"producer_page_faults", m.result.producer_page_faults},
               {"memcpy_gb_per_s", memcpy_at(r, m.scenario.frame_bytes)},
               {"window_frames", m.scenario.window},
               {"producer_stores", m.scenario.stores == perf::Stores::Streaming ? "streaming" : "regular"},
               {"credit_timeouts", m.result.credit_timeouts}};
        e.update(drops_json(c));
        bw[std::to_string(m.scenario.frame_bytes)] = e;
    }
    j["large_frame_bandwidth"] = bw;
    Json fan = Json::object();
    fan["frame_bytes"] = r.fanout.empty() ? 0 : r.fanout.front().scenario.frame_bytes;
    for (const auto& m : r.fanout) {
        fan[std::to_string(m.scenario.consumers)] =
            Json{{"producer", producer_json(m)}, {"consumers", consumers_json(m)}};
    }
    j["fanout"] = fan;
    j["attach_round_trip_ns"] = percentiles_json(r.attach.ns);
    j["transport_32b"] = Json{{"msgs_per_s", r.transport_32b.msgs_per_s}, {"gb_per_s", r.transport_32b.bytes_per_ns}};
    if (r.aeron_32b.ok) {
        j["aeron_32b"] = Json{{"msgs_per_s", r.aeron_32b.msgs_per_s}, {"gb_per_s", r.aeron_32b.bytes_per_ns}};
    }
    Json by_size = Json::object();
    for (const auto& [n, v] : x.bandwidth_vs_memcpy) {
        by_size[std::to_string(n)] = v;
    }
    Json raw_by_size = Json::object();
    for (const auto& [n, v] : x.bandwidth_vs_raw_stream) {
        raw_by_size[std::to_string(n)] = v;
    }
    j["ratios"] = Json{{"large_frame_bandwidth_vs_memcpy", x.bandwidth_vs_memcpy_min},
                       {"large_frame_bandwidth_vs_memcpy_by_size", by_size},
                       {"large_frame_bandwidth_vs_raw_stream", x.bandwidth_vs_raw_stream_min},
                       {"large_frame_bandwidth_vs_raw_stream_by_size", raw_by_size},
                       {"latency_p50_vs_roundtrip", x.latency_p50_vs_round_trip},
                       {"fanout_producer_rate_4_vs_1", x.fanout_4_vs_1},
                       {"fanout_producer_rate_2_vs_1", x.fanout_2_vs_1},
                       {"fanout_producer_cpu_per_frame_4_vs_1", x.fanout_cpu_4_vs_1},
                       {"max_frame_rate_vs_transport_32b", x.rate_vs_transport}};
    if (r.aeron_32b.ok && r.transport_32b.msgs_per_s > 0) {
        j["ratios"]["aeron_32b_vs_builtin_32b"] = r.aeron_32b.msgs_per_s / r.transport_32b.msgs_per_s;
    }
    j["corrupt_frames"] = corrupt_frames(r);
    j["errors"] = r.errors;
    j["work_dir"] = r.work_dir;
    j["elapsed_s"] = r.elapsed_s;
    return j;
}

void print_table(const Results& r) {
    const Ratios x = ratios_of(r);
    std::printf("tensorpool bench (%s): %u cores, %s, %s (%.0f s)\n\n", r.mode.c_str(), r.machine.cores,
                r.machine.cpu_model.c_str(), r.machine.kernel.c_str(), r.elapsed_s);
    Table t;
    const double rtt = r.round_trip.ns.p50;
    t.section("machine baselines");
    t.row("cache-line round trip", fmt("p50 %.0f", rtt) + fmt(" / p99 %.0f", r.round_trip.ns.p99) +
                                       fmt(" / p99.9 %.0f ns", r.round_trip.ns.p999));
    for (const auto& [n, gbs] : r.memcpy_gbs) {
        t.row("memcpy " + size_name(n), fmt("%.2f GB/s", gbs));
    }
    t.section("publish -> consume latency (p50 / p99 / p99.9; round trip measured before and after each)");
    for (const auto& m : r.latency) {
        const auto c = first_consumer(m);
        t.row(size_name(m.scenario.frame_bytes) + fmt(" at %.0f Hz", m.scenario.rate_hz),
              fmt("%.0f", c.latency_ns.p50) + fmt(" / %.0f", c.latency_ns.p99) + fmt(" / %.0f ns", c.latency_ns.p999),
              fmt("cache-line RTT p50 %.0f ns", m.round_trip_p50_ns),
              m.round_trip_p50_ns > 0 ? ratio_text(c.latency_ns.p50 / m.round_trip_p50_ns) : "-");
    }
    t.section("small frames, producer unthrottled");
    {
        const auto c = first_consumer(r.rate);
        t.row(size_name(r.rate.scenario.frame_bytes) + " frames received",
              "best " + rate_text(c.best_frames_per_s) + ", mean " + rate_text(c.frames_per_s),
              "IPC 32 B " + rate_text(r.transport_32b.msgs_per_s) + " msgs", ratio_text(x.rate_vs_transport));
        t.row("  published / drops", rate_text(r.rate.result.producer_frames_per_s) +
                                         fmt(" / gap %.0f", static_cast<double>(c.drops_gap)) +
                                         fmt(" late %.0f", static_cast<double>(c.drops_late)));
    }
    t.section("large frames (every byte written and read)");
    for (const auto& m : r.bandwidth) {
        const auto c = first_consumer(m);
        t.row(size_name(m.scenario.frame_bytes),
              fmt("best %.2f GB/s", c.best_bytes_per_s / 1e9) + fmt(", mean %.2f", c.bytes_per_s / 1e9),
              fmt("memcpy %.2f GB/s", memcpy_at(r, m.scenario.frame_bytes)),
              ratio_text(x.bandwidth_vs_memcpy.at(m.scenario.frame_bytes)));
        const auto raw = r.raw_stream.find(m.scenario.frame_bytes);
        t.row("", "", fmt("raw stream %.2f GB/s", raw == r.raw_stream.end() ? 0.0 : raw->second.best_gb_per_s),
              ratio_text(x.bandwidth_vs_raw_stream.at(m.scenario.frame_bytes)));
    }
    t.section(fmt("fan-out (%.0f KiB frames, producer unthrottled, consumers back off when idle)",
                  r.fanout.empty() ? 0.0 : static_cast<double>(r.fanout.front().scenario.frame_bytes) / 1024.0));
    const double one = fanout_rate(r, 1);
    for (const auto& m : r.fanout) {
        t.row(std::to_string(m.scenario.consumers) + (m.scenario.consumers == 1 ? " consumer" : " consumers"),
              "producer " + rate_text(m.result.producer_best_frames_per_s) +
                  fmt(" (%.1f us CPU/frame), ", m.result.producer_cpu_ns_per_frame / 1e3) +
                  "consumers >= " + rate_text(min_consumer_rate(m)),
              "producer, 1 consumer", one > 0 ? ratio_text(m.result.producer_best_frames_per_s / one) : "-");
    }
    t.section("control plane");
    t.row("attach round trip", fmt("p50 %.1f", r.attach.ns.p50 / 1e3) + fmt(" / p99 %.1f us", r.attach.ns.p99 / 1e3));
    t.row("IPC transport 32 B messages",
          rate_text(r.transport_32b.msgs_per_s) + fmt(", %.2f GB/s", r.transport_32b.bytes_per_ns));
    if (r.aeron_32b.ok) {
        t.row("Aeron IPC 32 B messages", rate_text(r.aeron_32b.msgs_per_s) + " (embedded media driver)",
              "built-in " + rate_text(r.transport_32b.msgs_per_s),
              ratio_text(r.aeron_32b.msgs_per_s / r.transport_32b.msgs_per_s));
    }
    t.print();
    std::printf("\nratios: large_frame_bandwidth_vs_memcpy %.2f (min over 640 KiB..16 MiB; vs raw stream %.2f), "
                "latency_p50_vs_roundtrip %.2f, fanout_producer_rate_4_vs_1 %.2f\n",
                x.bandwidth_vs_memcpy_min, x.bandwidth_vs_raw_stream_min, x.latency_p50_vs_round_trip, x.fanout_4_vs_1);
    std::printf("corrupt frames: %llu\n", static_cast<unsigned long long>(corrupt_frames(r)));
}

} // namespace tp::apps::bench
