// SPDX-License-Identifier: Apache-2.0
#include "perf/ipc_rate.hpp"

#include "concurrent/atomic_ops.hpp"
#include "perf/process.hpp"
#include "perf/timing.hpp"
#include "tensorpool/transport.hpp"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace tp::perf {

namespace {

struct RateShared {
    alignas(64) std::uint64_t ready{0};
    alignas(64) std::uint64_t elapsed_ns{0};
    std::uint64_t received{0};
};

auto make_context(const transport::TransportConfig& c) -> std::optional<transport::TransportContext> {
    auto ctx = transport::TransportContext::create(c);
    if (!ctx) {
        return std::nullopt;
    }
    return std::move(*ctx);
}

} // namespace

auto ipc_message_rate(const std::string& dir, std::size_t size, std::uint64_t count, const std::atomic<bool>& stop,
                      bool pin, const std::string& channel, std::int32_t stream_id) -> MessageRate {
    transport::TransportConfig c;
    c.directory = dir;
    c.use_conductor_thread = false; // invoker mode: no background thread competing for the CPUs
    return message_rate(c, size, count, stop, pin, channel, stream_id);
}

auto message_rate(const transport::TransportConfig& config, std::size_t size, std::uint64_t count,
                  const std::atomic<bool>& stop, bool pin, const std::string& channel, std::int32_t stream_id)
    -> MessageRate {
    transport::TransportConfig child_config = config;
    child_config.aeron_embedded_driver = false; // the publisher's context hosts it
    SharedMapping<RateShared> sh;
    if (!sh.valid() || count == 0 || size == 0) {
        return {};
    }
    RateShared* rs = sh.get();
    Child sub_child = Child::fork(
        [&, rs] {
            auto ctx = make_context(child_config);
            if (!ctx) {
                return 1;
            }
            auto sub = ctx->add_subscription(channel, stream_id);
            if (!sub) {
                return 1;
            }
            // SYNC POINT(rate-ready): release pairs with the publisher's acquire.
            concurrent::store_release(&rs->ready, std::uint64_t{1});
            std::uint64_t received = 0;
            std::chrono::steady_clock::time_point first{};
            auto count_it = [&](std::span<const std::uint8_t>, const transport::MessageHeader&) {
                if (received == 0) {
                    first = std::chrono::steady_clock::now();
                }
                ++received;
            };
            std::uint64_t polls = 0;
            while (received < count) {
                if ((*sub)->poll(count_it, 256) == 0) {
                    concurrent::cpu_relax(); // as a busy-spin idle strategy: a spin-wait hint when idle
                    if ((++polls & 0xFFFFU) == 0) {
                        ctx->do_work();
                    }
                }
            }
            const auto last = std::chrono::steady_clock::now();
            rs->received = received;
            // SYNC POINT(rate-done): release pairs with the publisher's acquire after the child exits.
            concurrent::store_release(&rs->elapsed_ns, static_cast<std::uint64_t>((last - first).count()));
            return 0;
        },
        pin ? 1 : -1);
    if (!sub_child.valid()) {
        return {};
    }
    if (pin) {
        pin_to_cpu(0);
    }
    auto ctx = make_context(config);
    if (!ctx) {
        return {};
    }
    auto pub = ctx->add_publication(channel, stream_id);
    if (!pub) {
        return {};
    }
    SpinGuard guard(stop, std::chrono::seconds(60));
    // SYNC POINT(rate-ready): acquire pairs with the subscriber's release.
    while (concurrent::load_acquire(&rs->ready) == 0 || !(*pub)->is_connected()) {
        if (!guard.ok() || !sub_child.running()) {
            return {};
        }
        std::this_thread::yield();
    }
    std::vector<std::uint8_t> message(size, 7);
    for (std::uint64_t i = 0; i < count; ++i) {
        while ((*pub)->offer(message) < 0) {
            if (!guard.ok()) {
                return {};
            }
        }
        if ((i & 0xFFFFFU) == 0) {
            ctx->do_work();
        }
    }
    MessageRate r;
    r.ok = sub_child.wait(std::chrono::seconds(30));
    // SYNC POINT(rate-done): acquire pairs with the subscriber's release.
    const double ns = static_cast<double>(concurrent::load_acquire(&rs->elapsed_ns));
    if (!r.ok || ns <= 0) {
        return {};
    }
    r.msgs_per_s = static_cast<double>(count) * 1e9 / ns;
    r.bytes_per_ns = static_cast<double>(count * size) / ns;
    return r;
}

} // namespace tp::perf
