// SPDX-License-Identifier: Apache-2.0
#pragma once

// A driver, producers and consumers in one process on a private transport and SHM directory.

#include "aeron_test_driver.hpp"
#include "process_harness.hpp"
#include "tensorpool/consumer.hpp"
#include "tensorpool/driver.hpp"
#include "tensorpool/producer.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace tp::test {

struct ClientTestEnv {
    TempDir dir{"tp-client-"};
    std::string transport_dir = dir.file("transport");
    std::string shm_dir = dir.file("shm");

    ClientTestEnv() { std::filesystem::create_directories(shm_dir); }

    /// The [driver] keys selecting the transport the tests run on (aeron_test_driver.hpp).
    auto driver_transport_toml() const -> std::string {
        if (test_transport_is_aeron()) {
            return "transport = \"aeron\"\naeron_dir = \"" + shared_aeron_directory() + "\"\n";
        }
        return "transport_dir = \"" + transport_dir + "\"\n";
    }

    auto driver_toml(const std::string& extra_policies = "", std::uint32_t nslots = 64) const -> std::string {
        return "[driver]\n" + driver_transport_toml() + "[shm]\nbase_dir = \"" + shm_dir +
               "\"\n[policies]\nannounce_period_ms = 100\nlease_keepalive_interval_ms = 100\n"
               "prefault_shm = false\n" +
               extra_policies + "\n[profiles.p]\nheader_nslots = " + std::to_string(nslots) +
               "\npayload_pools = [ { pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 65536 }, "
               "{ pool_id = 3, stride_bytes = 1048576 } ]\n[streams.s]\nstream_id = 10000\nprofile = \"p\"\n";
    }

    auto context() const -> ClientContext {
        ClientContext c;
        c.transport = test_transport_kind();
        c.transport_dir = transport_dir;
        if (test_transport_is_aeron()) {
            c.aeron_dir = shared_aeron_directory();
        }
        c.allowed_base_dirs = {shm_dir};
        c.announce_period_ns = 100'000'000ULL;
        c.keepalive_interval_ns = 100'000'000ULL;
        c.attach_retry_ns = 50'000'000ULL;
        c.attach_timeout_ns = 1'000'000'000ULL;
        c.hello_interval_ns = 100'000'000ULL;
        c.qos_interval_ns = 100'000'000ULL;
        return c;
    }
};

/// Runs `step` until `pred` holds or the timeout passes.
inline auto pump_until(const std::function<void()>& step, const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout) -> bool {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        step();
        std::this_thread::yield();
    }
    return true;
}

} // namespace tp::test
