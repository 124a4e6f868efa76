// SPDX-License-Identifier: Apache-2.0
#include "perf/attach_round_trip.hpp"

#include "codec/dispatch.hpp"
#include "codec/message_convert.hpp"
#include "tensorpool/client.hpp"
#include "tensorpool/transport.hpp"

#include <array>
#include <chrono>
#include <thread>
#include <vector>

namespace tp::perf {

namespace {

/// Matches the response to the request in flight.
struct Responses {
    std::int64_t want{0};
    bool got{false};
    bool ok{false};
    std::uint64_t lease{0};
    void operator()(codec::driver::ShmAttachResponse& m) {
        if (m.correlation_id() == want) {
            got = true;
            ok = m.code() == codec::driver::ResponseCode::OK;
            lease = m.lease_id();
        }
    }
    void operator()(codec::driver::ShmDetachResponse& m) {
        if (m.correlation_id() == want) {
            got = true;
            ok = true;
        }
    }
};

constexpr std::int32_t CONTROL_STREAM = 1000;
constexpr std::uint8_t ROLE_CONSUMER = 2;
constexpr std::uint32_t CLIENT_ID = 0x7E57;

} // namespace

auto attach_round_trip(const std::string& transport_dir, std::uint32_t stream_id, int iterations,
                       const std::atomic<bool>& stop) -> AttachRoundTrip {
    transport::TransportConfig tc;
    tc.directory = transport_dir;
    tc.use_conductor_thread = false;
    auto ctx = transport::TransportContext::create(tc);
    if (!ctx) {
        return {};
    }
    auto pub = ctx->add_publication(DEFAULT_CHANNEL, CONTROL_STREAM);
    auto sub = ctx->add_subscription(DEFAULT_CHANNEL, CONTROL_STREAM);
    if (!pub || !sub) {
        return {};
    }
    std::array<std::uint8_t, 4096> buf{};
    Responses rsp;
    codec::DispatchCounters counters;
    SpinGuard guard(stop, std::chrono::seconds(60));
    // One request -> response exchange; a lost request (sent before the driver subscribed) is
    // resent after 100 ms.
    auto exchange = [&](std::size_t len) -> bool {
        rsp.got = false;
        for (;;) {
            while ((*pub)->offer({buf.data(), len}) < 0) {
                if (!guard.ok()) {
                    return false;
                }
                ctx->do_work();
            }
            const auto resend = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
            while (!rsp.got) {
                (*sub)->poll([&](std::span<const std::uint8_t> m,
                                 const transport::MessageHeader&) { (void)codec::dispatch(m, rsp, counters); },
                             16);
                if (!guard.ok()) {
                    return false;
                }
                if (!rsp.got && std::chrono::steady_clock::now() > resend) {
                    break;
                }
            }
            if (rsp.got) {
                return true;
            }
            ctx->do_work();
        }
    };
    AttachRoundTrip r;
    std::vector<std::uint64_t> samples;
    samples.reserve(static_cast<std::size_t>(iterations));
    const int warmup = iterations / 10;
    std::int64_t corr = 1;
    for (int i = 0; i < iterations + warmup; ++i) {
        driver::AttachRequest a;
        a.correlation_id = ++corr;
        a.client_id = CLIENT_ID;
        a.role = ROLE_CONSUMER;
        a.stream_id = stream_id;
        a.publish_mode = 1;
        rsp.want = a.correlation_id;
        const auto len = codec::encode(a, buf);
        const auto t0 = std::chrono::steady_clock::now();
        if (!exchange(len)) {
            return {};
        }
        const auto t1 = std::chrono::steady_clock::now();
        if (!rsp.ok) {
            ++r.refused;
            continue;
        }
        if (i >= warmup) {
            samples.push_back(static_cast<std::uint64_t>((t1 - t0).count()));
        }
        rsp.want = ++corr;
        if (!exchange(
                codec::encode(driver::DetachRequest{corr, rsp.lease, stream_id, CLIENT_ID, ROLE_CONSUMER}, buf))) {
            return {};
        }
        if ((i & 63) == 0) {
            ctx->do_work();
        }
    }
    r.ns = percentiles_of(samples);
    r.ok = !samples.empty();
    return r;
}

} // namespace tp::perf
