// SPDX-License-Identifier: Apache-2.0
#include "process_harness.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

TEST(ProcessHarness, ForkedFunctionExitCodeAndOutput) {
    tp::test::TempDir dir;
    auto child = tp::test::ChildProcess::fork_function(
        [] {
            std::printf("hello from child\n");
            return 7;
        },
        dir.file("child.log"));
    auto st = child.wait(10s);
    EXPECT_TRUE(st.exited) << st.describe();
    EXPECT_EQ(st.exit_code, 7);
    EXPECT_NE(child.output().find("hello from child"), std::string::npos);
}

TEST(ProcessHarness, KillNineIsReported) {
    auto child = tp::test::ChildProcess::fork_function([] {
        std::this_thread::sleep_for(60s);
        return 0;
    });
    EXPECT_TRUE(child.running());
    child.kill(SIGKILL);
    auto st = child.wait(10s);
    EXPECT_TRUE(st.signaled);
    EXPECT_EQ(st.signal, SIGKILL);
}

TEST(ProcessHarness, SpawnExecutable) {
    tp::test::TempDir dir;
    auto child = tp::test::ChildProcess::spawn("/bin/sh", {"-c", "echo spawned; exit 3"}, dir.file("sh.log"));
    auto st = child.wait(10s);
    EXPECT_EQ(st.exit_code, 3);
    EXPECT_NE(child.output().find("spawned"), std::string::npos);
}

TEST(ProcessHarness, TempDirIsRemoved) {
    std::string p;
    {
        tp::test::TempDir dir;
        p = dir.path();
        EXPECT_TRUE(std::filesystem::is_directory(p));
    }
    EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(ProcessHarness, WaitUntilTimesOutWithFalse) {
    EXPECT_FALSE(tp::test::wait_until([] { return false; }, 5ms));
    EXPECT_TRUE(tp::test::wait_until([] { return true; }, 5ms));
}

} // namespace
