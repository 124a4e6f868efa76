// SPDX-License-Identifier: Apache-2.0
#pragma once

// In-process harness for client feature tests: a driver, one producer and any number of consumers
// on private directories, stepped from the test thread; plus raw observers and injectors on the
// transport streams so tests can check what was actually published.

#include "aeron_test_driver.hpp"
#include "client_test_env.hpp"
#include "codec/dispatch.hpp"
#include "codec/message_convert.hpp"
#include "tensorpool/transport.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tp::test {

/// A transport configuration for the transport the tests run on (aeron_test_driver.hpp).
inline auto test_transport_config(const std::string& transport_dir) -> transport::TransportConfig {
    transport::TransportConfig cfg;
    cfg.directory = transport_dir;
    if (test_transport_is_aeron()) {
        cfg.kind = transport::TransportKind::Aeron;
        cfg.aeron_directory = shared_aeron_directory();
    }
    return cfg;
}

/// FrameProgress as observed on a stream.
struct ProgressMsg {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint64_t seq{0};
    std::uint64_t bytes{0};
    std::uint8_t state{0};
};

/// QosConsumer as observed on the QoS stream.
struct QosConsumerMsg {
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    std::uint64_t epoch{0};
    std::uint64_t last_seq_seen{0};
    std::uint64_t drops_gap{0};
    std::uint64_t drops_late{0};
    std::uint8_t mode{0};
};

/// FrameDescriptor as observed.
struct DescriptorMsg {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint64_t seq{0};
};

/// Records every message of one (channel, stream id), decoded into plain values.
class StreamObserver {
public:
    static auto create(const std::string& transport_dir, const std::string& channel, std::int32_t stream_id)
        -> std::unique_ptr<StreamObserver> {
        const transport::TransportConfig cfg = test_transport_config(transport_dir);
        auto ctx = transport::TransportContext::create(cfg);
        EXPECT_TRUE(ctx) << ctx.error().to_string();
        if (!ctx) {
            return nullptr;
        }
        std::unique_ptr<StreamObserver> o(new StreamObserver());
        o->m_ctx = std::make_unique<transport::TransportContext>(std::move(*ctx));
        auto sub = o->m_ctx->add_subscription(channel, stream_id);
        EXPECT_TRUE(sub) << sub.error().to_string();
        if (!sub) {
            return nullptr;
        }
        o->m_sub = std::move(*sub);
        return o;
    }

    auto poll() -> int {
        return m_sub->poll([this](std::span<const std::uint8_t> msg,
                                  const transport::MessageHeader&) { (void)codec::dispatch(msg, *this, m_counters); },
                           64);
    }

    /// True while a publisher exists on the stream.
    [[nodiscard]] auto is_connected() const -> bool { return m_sub->is_connected(); }

    // Dispatch targets.
    void operator()(codec::control::FrameProgress& m) {
        progress.push_back({m.stream_id(), m.epoch(), m.seq(), m.payload_bytes_filled(), m.state_raw()});
    }
    void operator()(codec::control::QosConsumer& m) {
        qos_consumers.push_back({m.stream_id(), m.consumer_id(), m.epoch(), m.last_seq_seen(), m.drops_gap(),
                                 m.drops_late(), m.mode_raw()});
    }
    void operator()(codec::control::FrameDescriptor& m) { descriptors.push_back({m.stream_id(), m.epoch(), m.seq()}); }
    void operator()(codec::control::ConsumerConfig& m) { configs.push_back(codec::decode(m)); }
    void operator()(codec::control::ConsumerHello& m) { hellos.push_back(codec::decode(m)); }
    void operator()(codec::driver::ShmLeaseKeepalive& m) { keepalives.push_back(codec::decode(m)); }

    std::vector<ProgressMsg> progress;
    std::vector<QosConsumerMsg> qos_consumers;
    std::vector<DescriptorMsg> descriptors;
    std::vector<control::ConsumerConfig> configs;
    std::vector<control::ConsumerHello> hellos;
    std::vector<driver::Keepalive> keepalives;

private:
    StreamObserver() = default;
    std::unique_ptr<transport::TransportContext> m_ctx;
    std::unique_ptr<transport::Subscription> m_sub;
    codec::DispatchCounters m_counters;
};

/// Publishes raw bytes on one (channel, stream id).
class StreamInjector {
public:
    static auto create(const std::string& transport_dir, const std::string& channel, std::int32_t stream_id)
        -> std::unique_ptr<StreamInjector> {
        const transport::TransportConfig cfg = test_transport_config(transport_dir);
        auto ctx = transport::TransportContext::create(cfg);
        EXPECT_TRUE(ctx) << ctx.error().to_string();
        if (!ctx) {
            return nullptr;
        }
        std::unique_ptr<StreamInjector> o(new StreamInjector());
        o->m_ctx = std::make_unique<transport::TransportContext>(std::move(*ctx));
        auto pub = o->m_ctx->add_publication(channel, stream_id);
        EXPECT_TRUE(pub) << pub.error().to_string();
        if (!pub) {
            return nullptr;
        }
        o->m_pub = std::move(*pub);
        return o;
    }
    auto offer(std::span<const std::uint8_t> bytes) -> bool { return m_pub->offer(bytes) >= 0; }
    /// A FrameProgress message.
    auto progress(std::uint32_t stream_id, std::uint64_t epoch, std::uint64_t seq, std::uint64_t bytes,
                  codec::control::FrameProgressState state) -> bool {
        codec::control::FrameProgress p;
        p.wrap_and_apply_header(m_buf.data(), 0, m_buf.size())
            .stream_id(stream_id)
            .epoch(epoch)
            .seq(seq)
            .payload_bytes_filled(bytes)
            .state(state);
        return offer({m_buf.data(), p.frame_length()});
    }
    /// An encoded ConsumerHello.
    auto hello(const control::ConsumerHello& h) -> bool {
        const auto n = codec::encode(h, m_buf);
        return n != 0 && offer({m_buf.data(), n});
    }

private:
    StreamInjector() = default;
    std::unique_ptr<transport::TransportContext> m_ctx;
    std::unique_ptr<transport::Publication> m_pub;
    std::array<std::uint8_t, 4096> m_buf{};
};

/// A driver, a producer and consumers, stepped by the test thread.
struct Harness {
    ClientTestEnv env;
    std::optional<Driver> driver;
    std::optional<Producer> producer;
    std::vector<std::optional<Consumer>> consumers;

    /// Starts the driver (header ring of `nslots`) and a producer with `po` (context filled in).
    auto start(ProducerOptions po = {}, std::uint32_t nslots = 64, const std::string& policies = "") -> bool {
        auto d = Driver::create_from_toml(env.driver_toml(policies, nslots));
        EXPECT_TRUE(d) << d.error().to_string();
        if (!d) {
            return false;
        }
        driver.emplace(std::move(*d));
        if (po.context.transport_dir.empty()) {
            po.context = env.context();
        }
        auto p = Producer::create(std::move(po));
        EXPECT_TRUE(p) << p.error().to_string();
        if (!p) {
            return false;
        }
        producer.emplace(std::move(*p));
        return true;
    }
    /// Adds a consumer with `co` (context filled in when empty); returns its index.
    auto add_consumer(ConsumerOptions co = {}) -> std::size_t {
        if (co.context.transport_dir.empty()) {
            co.context = env.context();
        }
        auto c = Consumer::create(std::move(co));
        EXPECT_TRUE(c) << c.error().to_string();
        consumers.emplace_back();
        if (c) {
            consumers.back().emplace(std::move(*c));
        }
        return consumers.size() - 1;
    }
    auto consumer(std::size_t i) -> Consumer& { return *consumers.at(i); }

    /// One duty cycle of everything (consumers only run their control plane).
    void step() {
        driver->do_work();
        producer->do_work();
        for (auto& c : consumers) {
            if (c) {
                c->do_work();
            }
        }
    }
    /// Producer ready and every live consumer mapped.
    auto ready(std::chrono::milliseconds timeout = std::chrono::seconds(10)) -> bool {
        return pump_until([this] { step(); },
                          [this] {
                              if (!producer->is_ready()) {
                                  return false;
                              }
                              for (auto& c : consumers) {
                                  if (c && c->state() != ConsumerState::Mapped) {
                                      return false;
                                  }
                              }
                              return true;
                          },
                          timeout);
    }
    /// Runs step() until pred holds (deadline 10 s).
    auto until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        -> bool {
        return pump_until([this] { step(); }, pred, timeout);
    }
    /// Publishes one small frame whose first byte is (seq & 0xff).
    auto publish_small(std::size_t bytes = 64) -> PublishResult {
        auto claim = producer->try_claim(bytes);
        if (!claim.is_valid()) {
            return claim.result();
        }
        auto p = claim.payload();
        for (std::size_t i = 0; i < p.size(); ++i) {
            p[i] = static_cast<std::byte>((claim.seq() + i) & 0xffU);
        }
        return producer->commit(std::move(claim));
    }
};

} // namespace tp::test
