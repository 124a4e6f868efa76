// SPDX-License-Identifier: Apache-2.0
// The examples, run as a newcomer would: a driver, then the consumer and the producer.
#include "process_harness.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::test::ChildProcess;

TEST(Examples, MinimalProducerAndConsumerExchangeFrames) {
    tp::test::TempDir dir{"tp-examples-"};
    const std::string shm = dir.file("shm");
    std::filesystem::create_directories(shm);
    std::ofstream(dir.file("driver.toml"))
        << "[driver]\ntransport_dir = \"" << dir.file("transport") << "\"\n[shm]\nbase_dir = \"" << shm
        << "\"\n[policies]\nprefault_shm = false\n"
           "[profiles.cam]\nheader_nslots = 64\n"
           "payload_pools = [ { pool_id = 1, stride_bytes = 524288 } ]\n"
           "[streams.cam]\nstream_id = 10000\nprofile = \"cam\"\n";
    const std::string bin = tp::test::binary_dir();
    const std::vector<std::string> env = {"TP_TRANSPORT_DIR=" + dir.file("transport"), "TP_ALLOWED_BASE_DIRS=" + shm};
    auto driver = ChildProcess::spawn(bin + "/apps/tensorpool/tensorpool",
                                      {"driver", "--config", dir.file("driver.toml")}, dir.file("driver.log"), env);
    auto consumer = ChildProcess::spawn(bin + "/examples/minimal_consumer", {"100"}, dir.file("consumer.log"), env);
    auto producer = ChildProcess::spawn(bin + "/examples/minimal_producer", {"100", "--wait-consumer"},
                                        dir.file("producer.log"), env);
    auto p = producer.wait(60s);
    EXPECT_TRUE(p.ok()) << p.describe() << "\n" << producer.output() << driver.output();
    auto c = consumer.wait(30s);
    EXPECT_TRUE(c.ok()) << c.describe() << "\n" << consumer.output();
    EXPECT_NE(consumer.output().find("received 100 frames"), std::string::npos) << consumer.output();
    EXPECT_NE(consumer.output().find("drops gap 0 late 0"), std::string::npos) << consumer.output();
    EXPECT_NE(producer.output().find("published 100 frames"), std::string::npos);
}

} // namespace
