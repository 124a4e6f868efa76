// SPDX-License-Identifier: Apache-2.0
// Bad arguments to the client subcommands: a clear message naming the problem and exit status 2,
// before anything touches the transport.
#include "cli_test_support.hpp"

#include <filesystem>
#include <ostream>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::test::ChildProcess;

struct BadArgs {
    std::string name; ///< the test's name suffix
    std::vector<std::string> args;
    std::string message; ///< a part of the expected error message
};

void PrintTo(const BadArgs& b, std::ostream* os) {
    for (const auto& a : b.args) {
        *os << a << ' ';
    }
}

class CliArgsTest : public ::testing::TestWithParam<BadArgs> {
protected:
    tp::test::TempDir dir{"tp-cli-args-"};
};

TEST_P(CliArgsTest, ClearMessageAndUsageExitCode) {
    auto args = GetParam().args;
    const std::string transport = dir.file("transport");
    args.insert(args.end(), {"--transport-dir", transport});
    auto child = ChildProcess::spawn(tp::test::cli::tensorpool_exe(), args, dir.file("out.log"));
    const auto st = child.wait(10s);
    ASSERT_TRUE(st.exited) << st.describe();
    EXPECT_EQ(st.exit_code, 2) << child.output();
    EXPECT_NE(child.output().find(GetParam().message), std::string::npos) << child.output();
    EXPECT_FALSE(std::filesystem::exists(transport)) << "rejected before the transport was opened";
}

INSTANTIATE_TEST_SUITE_P(
    TapAndStat, CliArgsTest,
    ::testing::Values(
        BadArgs{"TapUnknownOption", {"tap", "--bogus"}, "--bogus"},
        BadArgs{"StatUnknownOption", {"stat", "--frobnicate", "1"}, "--frobnicate"},
        BadArgs{"StreamNotANumber", {"tap", "--stream", "abc"}, "stream id 'abc' is not an integer in 1..2147483647"},
        BadArgs{"StreamZero", {"tap", "--stream", "0"}, "stream id '0'"},
        BadArgs{"StreamNegative", {"tap", "--stream", "-5"}, "stream id '-5'"},
        BadArgs{"StreamTooLarge", {"tap", "--stream", "2147483648"}, "stream id '2147483648'"},
        BadArgs{"QosStreamNotANumber", {"stat", "--qos-stream", "x12"}, "stream id 'x12'"},
        BadArgs{"ControlStreamTooLarge", {"stat", "--control-stream", "99999999999"}, "stream id '99999999999'"},
        BadArgs{"BadChannelMedia", {"tap", "--channel", "aeron:tcp"}, "bad channel 'aeron:tcp'"},
        BadArgs{"BadControlChannel", {"stat", "--control-channel", "nonsense"}, "bad channel 'nonsense'"},
        BadArgs{"CountNotANumber", {"tap", "--count", "many"}, "--count"},
        BadArgs{"NegativeDuration", {"tap", "--duration", "-1"}, "--duration: '-1' is not a number of seconds >= 0"},
        BadArgs{"StatNegativeDuration", {"stat", "--json", "--duration", "-2"}, "--duration"},
        BadArgs{"ZeroInterval", {"stat", "--interval", "0"}, "--interval"},
        BadArgs{"UnknownTransport", {"stat", "--transport", "carrier-pigeon"}, "carrier-pigeon"}),
    [](const ::testing::TestParamInfo<BadArgs>& p) { return p.param.name; });

} // namespace
