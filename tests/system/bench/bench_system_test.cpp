// SPDX-License-Identifier: Apache-2.0
// `tensorpool bench`: a tiny run (--smoke) reports every figure with sane values, leaves no files
// or processes behind, stops cleanly on SIGINT; --help and bad options. No timing is asserted:
// only that figures exist, are positive and ordered (p50 <= p99 <= p99.9).
#include "process_harness.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tp::test::ChildProcess;

auto exe() -> std::string {
    return tp::test::binary_dir() + "/apps/tensorpool/tensorpool";
}

/// Orphaned descendants of the processes this test starts are re-parented to the test process, so
/// a process the bench left behind shows up as our child.
class BenchTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }

    /// Reaps orphans: true if none was left (after a grace period for ones being killed).
    static auto no_orphans() -> bool {
        bool clean = true;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        for (;;) {
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid < 0) {
                return clean; // ECHILD: no children at all
            }
            if (pid > 0) {
                clean = false; // an orphan that was still around when the bench ended
                continue;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                return false; // a child is still running
            }
            std::this_thread::sleep_for(50ms);
        }
    }

    tp::test::TempDir dir{"tp-bench-"};
};

/// The JSON object in the combined output (progress lines go to stderr, never start with '{').
auto json_of(const std::string& out) -> json {
    const auto start = out.find("\n{");
    const auto end = out.rfind('}');
    if (start == std::string::npos || end == std::string::npos || end < start) {
        return json();
    }
    return json::parse(out.substr(start + 1, end - start), nullptr, false);
}

void expect_percentiles(const json& p, const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(p.is_object()) << what;
    EXPECT_GT(p.value("samples", 0), 0);
    EXPECT_GT(p.value("p50", 0.0), 0.0);
    EXPECT_LE(p.value("p50", 0.0), p.value("p99", 0.0));
    EXPECT_LE(p.value("p99", 0.0), p.value("p999", 0.0));
}

void expect_no_loss_of_integrity(const json& j, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(j.value("corrupt", -1), 0);
    EXPECT_GE(j.value("drops_gap", -1), 0);
    EXPECT_GE(j.value("drops_late", -1), 0);
}

TEST_F(BenchTest, SmokeJsonHasEveryFigureAndCleansUp) {
    auto bench = ChildProcess::spawn(exe(), {"bench", "--smoke", "--json"}, dir.file("bench.log"));
    const auto st = bench.wait(100s);
    const std::string out = bench.output();
    ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
    const json j = json_of(out);
    ASSERT_TRUE(j.is_object()) << out;

    EXPECT_EQ(j.value("mode", ""), "smoke");
    EXPECT_GT(j["machine"].value("cores", 0), 0);
    EXPECT_FALSE(j["machine"].value("kernel", "").empty());
    EXPECT_TRUE(j["machine"].contains("cpu_model"));

    expect_percentiles(j["baselines"]["cache_line_round_trip_ns"], "cache-line round trip");
    for (const char* n : {"64", "4096", "65536", "655360", "1048576", "4194304", "16777216"}) {
        EXPECT_GT(j["baselines"]["memcpy_gb_per_s"].value(n, 0.0), 0.0) << "memcpy " << n;
    }
    for (const char* n : {"64", "4096", "1048576"}) {
        const json& l = j["latency_ns"][n];
        expect_percentiles(l, std::string("latency ") + n);
        EXPECT_GT(l.value("frames", 0), 0) << n;
        EXPECT_GT(l.value("round_trip_p50_ns", 0.0), 0.0) << n;
        expect_no_loss_of_integrity(l, std::string("latency ") + n);
    }
    const json& rate = j["max_frame_rate"];
    EXPECT_EQ(rate.value("frame_bytes", 0), 64);
    EXPECT_GT(rate.value("consumer_frames_per_s", 0.0), 0.0);
    EXPECT_GT(rate.value("producer_frames_per_s", 0.0), 0.0);
    expect_no_loss_of_integrity(rate, "max frame rate");
    for (const char* n : {"655360", "4194304", "16777216"}) {
        const json& b = j["large_frame_bandwidth"][n];
        EXPECT_GT(b.value("consumer_gb_per_s", 0.0), 0.0) << n;
        EXPECT_GT(b.value("consumer_frames_per_s", 0.0), 0.0) << n;
        EXPECT_GT(b.value("memcpy_gb_per_s", 0.0), 0.0) << n;
        EXPECT_GT(j["baselines"]["raw_stream"][n].value("best_gb_per_s", 0.0), 0.0) << n;
        expect_no_loss_of_integrity(b, std::string("bandwidth ") + n);
    }
    EXPECT_EQ(j["fanout"].value("frame_bytes", 0), 65536);
    for (int k : {1, 2, 4}) {
        const json& f = j["fanout"][std::to_string(k)];
        EXPECT_GT(f["producer"].value("frames_per_s", 0.0), 0.0) << k;
        ASSERT_EQ(f["consumers"].size(), static_cast<std::size_t>(k));
        for (const auto& c : f["consumers"]) {
            EXPECT_GT(c.value("frames_per_s", 0.0), 0.0) << k;
            expect_no_loss_of_integrity(c, "fan-out " + std::to_string(k));
        }
    }
    expect_percentiles(j["attach_round_trip_ns"], "attach round trip");
    EXPECT_GT(j["transport_32b"].value("msgs_per_s", 0.0), 0.0);

    const json& r = j["ratios"];
    for (const char* k : {"large_frame_bandwidth_vs_memcpy", "latency_p50_vs_roundtrip", "fanout_producer_rate_4_vs_1",
                          "fanout_producer_rate_2_vs_1", "fanout_producer_cpu_per_frame_4_vs_1",
                          "max_frame_rate_vs_transport_32b", "large_frame_bandwidth_vs_raw_stream"}) {
        EXPECT_GT(r.value(k, 0.0), 0.0) << k;
    }
    double min_ratio = 1e300;
    for (const char* n : {"655360", "4194304", "16777216"}) {
        const double v = r["large_frame_bandwidth_vs_memcpy_by_size"].value(n, 0.0);
        EXPECT_GT(v, 0.0) << n;
        min_ratio = std::min(min_ratio, v);
    }
    EXPECT_DOUBLE_EQ(r.value("large_frame_bandwidth_vs_memcpy", 0.0), min_ratio);
    EXPECT_EQ(j.value("corrupt_frames", -1), 0);
    EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();

    const std::string work = j.value("work_dir", "");
    ASSERT_FALSE(work.empty());
    EXPECT_FALSE(std::filesystem::exists(work)) << work << " left behind";
    EXPECT_TRUE(no_orphans()) << "a process of the bench outlived it";
}

TEST_F(BenchTest, SigintStopsProcessesAndRemovesFiles) {
    auto bench = ChildProcess::spawn(exe(), {"bench", "--smoke"}, dir.file("bench.log"));
    // Interrupt once the system scenarios run (driver, producer and consumer processes exist).
    ASSERT_TRUE(
        tp::test::wait_until([&] { return bench.output().find("bench: latency-") != std::string::npos; }, 60s, 10ms))
        << bench.output();
    bench.kill(SIGINT);
    const auto st = bench.wait(60s);
    const std::string out = bench.output();
    ASSERT_TRUE(st.exited) << st.describe() << "\n" << out;
    EXPECT_EQ(st.exit_code, 130) << out;
    EXPECT_NE(out.find("interrupted"), std::string::npos) << out;
    const auto at = out.find("working in ");
    ASSERT_NE(at, std::string::npos) << out;
    const std::string work = out.substr(at + 11, out.find(';', at) - at - 11);
    EXPECT_FALSE(std::filesystem::exists(work)) << work << " left behind";
    EXPECT_TRUE(no_orphans()) << "a process of the bench outlived it";
}

TEST_F(BenchTest, HelpListsTheOptions) {
    auto bench = ChildProcess::spawn(exe(), {"bench", "--help"}, dir.file("help.log"));
    const auto st = bench.wait(30s);
    EXPECT_TRUE(st.ok()) << st.describe();
    EXPECT_NE(bench.output().find("--quick"), std::string::npos) << bench.output();
    EXPECT_NE(bench.output().find("--json"), std::string::npos) << bench.output();
}

TEST_F(BenchTest, UnknownOptionIsAUsageError) {
    auto bench = ChildProcess::spawn(exe(), {"bench", "--fastest"}, dir.file("bad.log"));
    const auto st = bench.wait(30s);
    ASSERT_TRUE(st.exited) << st.describe();
    EXPECT_EQ(st.exit_code, 2) << bench.output();
    EXPECT_NE(bench.output().find("--fastest"), std::string::npos) << bench.output();
    EXPECT_TRUE(no_orphans());
}

} // namespace
