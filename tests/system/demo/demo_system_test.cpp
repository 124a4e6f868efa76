// SPDX-License-Identifier: Apache-2.0
// `tensorpool demo` as a user runs it: processes start, frames are verified, the JSON summary adds up.
#include "process_harness.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

auto number(const std::string& json, const std::string& key) -> long long {
    std::smatch m;
    const std::regex re("\"" + key + "\": ([0-9.]+)");
    if (!std::regex_search(json, m, re)) {
        return -1;
    }
    return std::stoll(m[1].str());
}

TEST(Demo, JsonReportsVerifiedFramesAndNoCorruption) {
    tp::test::TempDir dir{"tp-demo-"};
    auto demo =
        tp::test::ChildProcess::spawn(tp::test::binary_dir() + "/apps/tensorpool/tensorpool",
                                      {"demo", "--duration", "2", "--json", "--rate", "500"}, dir.file("demo.log"));
    auto st = demo.wait(60s);
    const auto out = demo.output();
    ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
    EXPECT_GT(number(out, "frames_published"), 100) << out;
    EXPECT_GT(number(out, "frames_verified"), 100) << out;
    EXPECT_EQ(number(out, "frames_corrupt"), 0) << out;
    EXPECT_GE(number(out, "drops_gap"), 0) << out;
    EXPECT_GE(number(out, "drops_late"), 0) << out;
    EXPECT_GT(number(out, "p50"), 0) << out;
    EXPECT_GE(number(out, "p99"), number(out, "p50")) << out;
    EXPECT_GT(number(out, "bandwidth_mb_s"), 0) << out;
    // Two consumers each verify what they received: at most twice what was published.
    EXPECT_LE(number(out, "frames_verified"), 2 * number(out, "frames_published")) << out;
    // The demo cleans up its SHM and transport files.
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
        EXPECT_EQ(e.path().filename().string().find("tensorpool-demo-" + std::to_string(demo.pid())),
                  std::string::npos);
    }
}

TEST(Demo, BadArgumentsGiveUsageExit) {
    tp::test::TempDir dir{"tp-demo-"};
    auto demo = tp::test::ChildProcess::spawn(tp::test::binary_dir() + "/apps/tensorpool/tensorpool",
                                              {"demo", "--consumers", "99"}, dir.file("demo.log"));
    auto st = demo.wait(30s);
    EXPECT_EQ(st.exit_code, 2) << demo.output();
    EXPECT_NE(demo.output().find("consumers"), std::string::npos) << demo.output();
}

} // namespace

namespace {

TEST(ProduceConsume, AcrossProcessesVerifiesContent) {
    tp::test::TempDir dir{"tp-pc-"};
    const std::string shm = dir.file("shm");
    std::filesystem::create_directories(shm);
    {
        std::ofstream cfg(dir.file("driver.toml"));
        cfg << "[driver]\ntransport_dir = \"" << dir.file("t") << "\"\n[shm]\nbase_dir = \"" << shm
            << "\"\n[policies]\nannounce_period_ms = 100\nlease_keepalive_interval_ms = 100\nprefault_shm = false\n"
               "[profiles.p]\nheader_nslots = 64\npayload_pools = [ { pool_id = 1, stride_bytes = 1048576 } ]\n"
               "[streams.s]\nstream_id = 10000\nprofile = \"p\"\n";
    }
    const std::string exe = tp::test::binary_dir() + "/apps/tensorpool/tensorpool";
    const std::vector<std::string> common = {"--transport-dir",      dir.file("t"), "--allowed-dir", shm,
                                             "--announce-period-ms", "100"};
    auto driver =
        tp::test::ChildProcess::spawn(exe, {"driver", "--config", dir.file("driver.toml")}, dir.file("d.log"));
    std::vector<std::string> cargs = {"consume", "--verify", "seq",           "-n",         "300",
                                      "-q",      "--save",   dir.file("npy"), "--save-max", "1"};
    cargs.insert(cargs.end(), common.begin(), common.end());
    auto consumer = tp::test::ChildProcess::spawn(exe, cargs, dir.file("c.log"));
    // Produce until the consumer has its 300 frames (it may join a little after the first frames).
    std::vector<std::string> pargs = {"produce", "-n", "5000", "-r",      "1000",
                                      "--shape", "64", "64",   "--dtype", "uint16"};
    pargs.insert(pargs.end(), common.begin(), common.end());
    auto producer = tp::test::ChildProcess::spawn(exe, pargs, dir.file("p.log"));
    auto cs = consumer.wait(60s);
    EXPECT_TRUE(cs.ok()) << cs.describe() << "\n" << consumer.output() << producer.output() << driver.output();
    EXPECT_NE(consumer.output().find("consumed 300 frames"), std::string::npos) << consumer.output();
    EXPECT_NE(consumer.output().find("corrupt 0"), std::string::npos) << consumer.output();
    EXPECT_NE(consumer.output().find("verified 300"), std::string::npos) << consumer.output();
    std::size_t npy = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.file("npy"))) {
        npy += e.path().extension() == ".npy" ? 1 : 0;
        EXPECT_EQ(std::filesystem::file_size(e.path()), 128U + 64U * 64U * 2U);
    }
    EXPECT_EQ(npy, 1U);
    producer.kill(SIGINT);
    EXPECT_TRUE(producer.wait(20s).exited);
}

TEST(ProduceConsume, NoDriverGivesAClearError) {
    tp::test::TempDir dir{"tp-pc-"};
    auto producer = tp::test::ChildProcess::spawn(tp::test::binary_dir() + "/apps/tensorpool/tensorpool",
                                                  {"produce", "--transport-dir", dir.file("t"), "--wait", "0.5"},
                                                  dir.file("p.log"));
    auto st = producer.wait(30s);
    EXPECT_EQ(st.exit_code, 1) << producer.output();
    EXPECT_NE(producer.output().find("tensorpool driver"), std::string::npos) << producer.output();
}

} // namespace
