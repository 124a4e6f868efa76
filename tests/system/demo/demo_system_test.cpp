// SPDX-License-Identifier: Apache-2.0
// `tensorpool demo` as a user runs it: processes start, frames are verified, the JSON summary adds up.
#include "process_harness.hpp"

#include <filesystem>
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
    auto demo = tp::test::ChildProcess::spawn(tp::test::binary_dir() + "/apps/tensorpool/tensorpool",
                                              {"demo", "--duration", "2", "--json", "--rate", "500"},
                                              dir.file("demo.log"));
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
