// SPDX-License-Identifier: Apache-2.0
// Driver figures: attach round trip (request -> OK response, then detach) over the built-in IPC
// transport, against a raw transport ping-pong through the same driver-less path measured in the
// same run; and the CPU an idle driver uses (it must back off, not spin).
#include "perf/attach_round_trip.hpp"
#include "tensorpool/driver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <pthread.h>
#include <time.h>

namespace {

using Clock = std::chrono::steady_clock;

auto thread_cpu_ns(pthread_t t) -> std::uint64_t {
    clockid_t cid{};
    pthread_getcpuclockid(t, &cid);
    timespec ts{};
    clock_gettime(cid, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

} // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
    const std::string base = "/dev/shm/tp-bench-driver-" + std::to_string(::getpid());
    std::filesystem::create_directories(base + "/shm");
    const std::string toml = "[driver]\ntransport_dir = \"" + base + "/transport\"\n[shm]\nbase_dir = \"" + base +
                             "/shm\"\n[policies]\nprefault_shm = false\n[profiles.p]\nheader_nslots = 64\n"
                             "payload_pools = [ { pool_id = 1, stride_bytes = 65536 } ]\n"
                             "[streams.s]\nstream_id = 10000\nprofile = \"p\"\n";
    auto drv = tp::Driver::create_from_toml(toml);
    if (!drv) {
        std::fprintf(stderr, "%s\n", drv.error().to_string().c_str());
        return 1;
    }
    std::atomic<bool> stop{false};
    std::thread driver_thread([&] { drv->run(stop); });

    const auto rtt = tp::perf::attach_round_trip(base + "/transport", 10000, iterations, stop);
    // Idle: nothing to do for 3 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto cpu0 = thread_cpu_ns(driver_thread.native_handle());
    const auto w0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const auto cpu1 = thread_cpu_ns(driver_thread.native_handle());
    const double wall_ns = std::chrono::duration<double, std::nano>(Clock::now() - w0).count();
    stop.store(true);
    driver_thread.join();
    std::filesystem::remove_all(base);

    std::printf("driver figures (%d attach + detach round trips, built-in IPC, one host)\n", iterations);
    if (!rtt.ok) {
        std::fprintf(stderr, "attach round trip failed\n");
        return 1;
    }
    std::printf("  attach round trip   p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n", rtt.ns.p50 / 1e3, rtt.ns.p99 / 1e3,
                rtt.ns.p999 / 1e3);
    std::printf("  idle driver CPU     %.3f %% of one core (over 3 s)\n",
                100.0 * static_cast<double>(cpu1 - cpu0) / wall_ns);
    return 0;
}
