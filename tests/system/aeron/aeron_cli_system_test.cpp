// SPDX-License-Identifier: Apache-2.0
// `tensorpool driver` hosting an embedded Aeron media driver (driver.aeron_embedded_driver), with
// `tensorpool produce` and `tensorpool consume` as separate processes on that media driver.

#include "process_harness.hpp"
#include "tensorpool/transport.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace tp::test {
namespace {

using namespace std::chrono_literals;

auto tensorpool_exe() -> std::string {
    return binary_dir() + "/apps/tensorpool/tensorpool";
}

TEST(AeronCli, DriverWithAnEmbeddedMediaDriverServesProducerAndConsumerProcesses) {
    if (!transport::backend_available(transport::TransportKind::Aeron) ||
        !transport::aeron_embedded_driver_available()) {
        GTEST_SKIP() << "this build has no Aeron backend with the driver library (configure with -DAERON_ROOT=...)";
    }
    const TempDir dir("tp-aeron-cli-", "/dev/shm");
    const std::string aeron_dir = dir.file("aeron");
    const std::string shm = dir.file("shm");
    std::filesystem::create_directories(shm);
    std::ofstream(dir.file("driver.toml"))
        << "[driver]\ntransport = \"aeron\"\naeron_dir = \"" << aeron_dir
        << "\"\naeron_embedded_driver = true\n[shm]\nbase_dir = \"" << shm
        << "\"\n[policies]\nannounce_period_ms = 100\nlease_keepalive_interval_ms = 100\nprefault_shm = false\n"
           "[profiles.small]\nheader_nslots = 64\npayload_pools = [ { pool_id = 1, stride_bytes = 65536 } ]\n"
           "[streams.s]\nstream_id = 10000\nprofile = \"small\"\n";
    auto driver =
        ChildProcess::spawn(tensorpool_exe(), {"driver", "--config", dir.file("driver.toml")}, dir.file("driver.log"));
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(aeron_dir + "/cnc.dat"); }, 20s))
        << read_file(dir.file("driver.log"));

    const std::vector<std::string> common = {"--transport",   "aeron", "--aeron-dir",          aeron_dir,
                                             "--allowed-dir", shm,     "--announce-period-ms", "100"};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), common.begin(), common.end());
        return args;
    };
    auto consumer = ChildProcess::spawn(tensorpool_exe(), with({"consume", "--count", "100", "--verify", "seq"}),
                                        dir.file("consume.log"));
    auto producer = ChildProcess::spawn(
        tensorpool_exe(),
        with({"produce", "--count", "400", "--rate", "200", "--shape", "32", "32", "--pattern", "seq", "--wait", "30"}),
        dir.file("produce.log"));
    const ExitStatus produced = producer.wait(60s);
    const ExitStatus consumed = consumer.wait(60s);
    EXPECT_TRUE(produced.ok()) << produced.describe() << "\n" << read_file(dir.file("produce.log"));
    EXPECT_TRUE(consumed.ok()) << consumed.describe() << "\n" << read_file(dir.file("consume.log"));
    const std::string consume_log = read_file(dir.file("consume.log"));
    // The producer does not wait for consumers: the consumer verifies 100 of the 400 frames, from
    // wherever it joined, with no gap after that.
    EXPECT_NE(consume_log.find("verified 100, corrupt 0; drops gap 0"), std::string::npos) << consume_log;

    driver.kill(SIGTERM);
    const ExitStatus stopped = driver.wait(20s);
    EXPECT_TRUE(stopped.ok()) << stopped.describe() << "\n" << read_file(dir.file("driver.log"));
    EXPECT_FALSE(std::filesystem::exists(aeron_dir + "/cnc.dat")) << "the embedded media driver removes its directory";
}

} // namespace
} // namespace tp::test
