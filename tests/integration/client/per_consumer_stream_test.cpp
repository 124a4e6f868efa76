// SPDX-License-Identifier: Apache-2.0
// Per-consumer descriptor and control streams end to end (Wire §10.1.2–§10.1.3, D-26, D-27):
// grants, declines, range exhaustion and liveness.
#include "client_harness.hpp"

#include <algorithm>

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;
using tp::test::StreamInjector;
using tp::test::StreamObserver;

constexpr const char* CTRL = "aeron:ipc?term-length=4m";

auto request_consumer(std::uint32_t descriptor_id, std::uint32_t control_id) -> tp::ConsumerOptions {
    tp::ConsumerOptions co;
    co.per_consumer_descriptor_channel = "aeron:ipc";
    co.per_consumer_descriptor_stream_id = descriptor_id;
    co.per_consumer_control_channel = "aeron:ipc";
    co.per_consumer_control_stream_id = control_id;
    return co;
}

/// The configs observed for one consumer, in order.
auto configs_for(const StreamObserver& o, std::uint32_t consumer_id) -> std::vector<tp::control::ConsumerConfig> {
    std::vector<tp::control::ConsumerConfig> out;
    for (const auto& c : o.configs) {
        if (c.consumer_id == consumer_id) {
            out.push_back(c);
        }
    }
    return out;
}

/// Publishes `n` frames one at a time and waits until every consumer in `idx` delivered each.
void publish_lockstep(Harness& h, const std::vector<std::size_t>& idx, int n, std::vector<std::uint64_t>& delivered) {
    delivered.assign(idx.size(), 0);
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
        const auto want = static_cast<std::uint64_t>(i + 1);
        ASSERT_TRUE(h.until([&] {
            for (std::size_t k = 0; k < idx.size(); ++k) {
                (void)h.consumer(idx[k]).poll([&](const tp::Frame&) { ++delivered[k]; });
            }
            return std::all_of(delivered.begin(), delivered.end(), [&](std::uint64_t d) { return d >= want; });
        })) << "frame "
            << i;
    }
}

TEST(PerConsumerStreams, GrantedStreamCarriesTheFrames) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    auto own_descriptors = StreamObserver::create(h.env.transport_dir, "aeron:ipc", 31005);
    ASSERT_TRUE(control && own_descriptors);
    const auto c = h.add_consumer(request_consumer(31005, 32005));
    ASSERT_TRUE(h.ready());
    // The consumer switches when it applies the grant; the producer opens the publication when it
    // applies the same config (seen as a publisher on the per-consumer stream).
    ASSERT_TRUE(h.until([&] {
        control->poll();
        own_descriptors->poll();
        return h.consumer(c).stats().per_consumer_descriptor && h.producer->stats().consumers == 1 &&
               own_descriptors->is_connected();
    })) << "per-consumer stream never granted";

    const auto id = h.consumer(c).stats().consumer_id;
    const auto cfgs = configs_for(*control, id);
    ASSERT_FALSE(cfgs.empty());
    const auto& grant = cfgs.back();
    EXPECT_EQ(grant.stream_id, 10000U);
    EXPECT_EQ(grant.descriptor_channel, "aeron:ipc");
    EXPECT_EQ(grant.descriptor_stream_id, 31005U) << "the requested id is in the range and free (D-26)";
    EXPECT_EQ(grant.control_channel, "aeron:ipc");
    EXPECT_EQ(grant.control_stream_id, 32005U);
    EXPECT_TRUE(grant.use_shm);

    std::vector<std::uint64_t> delivered;
    publish_lockstep(h, {c}, 50, delivered);
    ASSERT_TRUE(h.until([&] {
        own_descriptors->poll();
        return own_descriptors->descriptors.size() >= 50;
    }));
    EXPECT_EQ(own_descriptors->descriptors.size(), 50U) << "one per-consumer descriptor per frame";
    for (std::size_t i = 0; i < own_descriptors->descriptors.size(); ++i) {
        EXPECT_EQ(own_descriptors->descriptors[i].seq, i);
        EXPECT_EQ(own_descriptors->descriptors[i].stream_id, 10000U);
    }
    const auto s = h.consumer(c).stats();
    EXPECT_TRUE(s.per_consumer_descriptor);
    EXPECT_EQ(s.frames_delivered, 50U);
    EXPECT_EQ(s.drops_gap, 0U);
    EXPECT_EQ(s.drops_late, 0U);
    EXPECT_EQ(s.last_seq, 49U);
}

TEST(PerConsumerStreams, HalfRequestsAndUnsupportedChannelsAreDeclined) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    auto inject = StreamInjector::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control && inject);
    ASSERT_TRUE(h.ready());

    struct Case {
        std::uint32_t consumer_id;
        std::string descriptor_channel;
        std::uint32_t descriptor_id;
        std::string control_channel;
        std::uint32_t control_id;
        bool granted;
    };
    const std::vector<Case> cases = {
        {0xA1, "aeron:ipc", 0, "", 0, false},                              // channel without id
        {0xA2, "", 31007, "", 0, false},                                   // id without channel
        {0xA3, "", 0, "aeron:ipc", 0, false},                              // control channel without id
        {0xA4, "", 0, "", 32007, false},                                   // control id without channel
        {0xA5, "aeron:udp?endpoint=localhost:40999", 31009, "", 0, false}, // UDP not allowed
        {0xA6, "aeron:ipc", 0xFFFFFFFFU, "", 0, false},                    // all ones = none (D-05)
        {0xA7, "aeron:ipc", 31008, "", 0, true},                           // control case: granted
    };
    for (const auto& k : cases) {
        tp::control::ConsumerHello hello;
        hello.stream_id = 10000;
        hello.consumer_id = k.consumer_id;
        hello.descriptor_channel = k.descriptor_channel;
        hello.descriptor_stream_id = k.descriptor_id;
        hello.control_channel = k.control_channel;
        hello.control_stream_id = k.control_id;
        ASSERT_TRUE(inject->hello(hello));
    }
    ASSERT_TRUE(h.until([&] {
        control->poll();
        return std::all_of(cases.begin(), cases.end(),
                           [&](const Case& k) { return !configs_for(*control, k.consumer_id).empty(); });
    })) << "every hello is answered once";
    for (const auto& k : cases) {
        const auto cfgs = configs_for(*control, k.consumer_id);
        ASSERT_EQ(cfgs.size(), 1U) << std::hex << k.consumer_id;
        const auto& cfg = cfgs.front();
        if (k.granted) {
            EXPECT_EQ(cfg.descriptor_channel, k.descriptor_channel);
            EXPECT_EQ(cfg.descriptor_stream_id, 31008U);
        } else {
            EXPECT_TRUE(cfg.descriptor_channel.empty()) << std::hex << k.consumer_id;
            EXPECT_EQ(cfg.descriptor_stream_id, 0U) << std::hex << k.consumer_id;
        }
        EXPECT_TRUE(cfg.control_channel.empty()) << std::hex << k.consumer_id;
        EXPECT_EQ(cfg.control_stream_id, 0U) << std::hex << k.consumer_id;
    }
}

TEST(PerConsumerStreams, ConsumerWithHalfRequestSendsNoneAndStaysShared) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    tp::ConsumerOptions channel_only;
    channel_only.per_consumer_descriptor_channel = "aeron:ipc";
    tp::ConsumerOptions id_only;
    id_only.per_consumer_descriptor_stream_id = 31005;
    id_only.per_consumer_control_stream_id = 32005;
    const auto a = h.add_consumer(channel_only);
    const auto b = h.add_consumer(id_only);
    ASSERT_TRUE(h.ready());
    // Wait for the answers to both consumers' hellos.
    ASSERT_TRUE(h.until([&] {
        control->poll();
        return !configs_for(*control, h.consumer(a).stats().consumer_id).empty() &&
               !configs_for(*control, h.consumer(b).stats().consumer_id).empty();
    }));
    for (const auto& hello : control->hellos) {
        EXPECT_TRUE(hello.descriptor_channel.empty()) << "W §10.1.2: consumers never send half requests";
        EXPECT_EQ(hello.descriptor_stream_id, 0U);
        EXPECT_TRUE(hello.control_channel.empty());
        EXPECT_EQ(hello.control_stream_id, 0U);
    }
    std::vector<std::uint64_t> delivered;
    publish_lockstep(h, {a, b}, 20, delivered);
    EXPECT_FALSE(h.consumer(a).stats().per_consumer_descriptor);
    EXPECT_FALSE(h.consumer(b).stats().per_consumer_descriptor);
    EXPECT_EQ(h.consumer(a).stats().frames_delivered, 20U);
    EXPECT_EQ(h.consumer(b).stats().frames_delivered, 20U);
}

TEST(PerConsumerStreams, ExhaustedRangeDeclinesTheSecondConsumer) {
    Harness h;
    tp::ProducerOptions po;
    po.per_consumer_descriptor_first = po.per_consumer_descriptor_last = 31005;
    po.per_consumer_control_first = po.per_consumer_control_last = 32005;
    ASSERT_TRUE(h.start(po));
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    const auto a = h.add_consumer(request_consumer(31005, 32005));
    const auto b = h.add_consumer(request_consumer(31005, 32005));
    ASSERT_TRUE(h.ready());
    // Each consumer gets two answers: to its hello without the request, then to the request.
    ASSERT_TRUE(h.until([&] {
        control->poll();
        return configs_for(*control, h.consumer(a).stats().consumer_id).size() >= 2 &&
               configs_for(*control, h.consumer(b).stats().consumer_id).size() >= 2 &&
               (h.consumer(a).stats().per_consumer_descriptor || h.consumer(b).stats().per_consumer_descriptor);
    }));
    // Let both apply their configs.
    for (int i = 0; i < 100; ++i) {
        h.step();
    }
    const bool a_granted = h.consumer(a).stats().per_consumer_descriptor;
    const bool b_granted = h.consumer(b).stats().per_consumer_descriptor;
    ASSERT_NE(a_granted, b_granted) << "one id in the range: exactly one consumer gets it";
    const auto declined = a_granted ? b : a;
    const auto declined_cfgs = configs_for(*control, h.consumer(declined).stats().consumer_id);
    const auto& last = declined_cfgs.back();
    EXPECT_TRUE(last.descriptor_channel.empty());
    EXPECT_EQ(last.descriptor_stream_id, 0U);
    EXPECT_TRUE(last.control_channel.empty());
    EXPECT_EQ(last.control_stream_id, 0U);

    std::vector<std::uint64_t> delivered;
    publish_lockstep(h, {a, b}, 30, delivered);
    EXPECT_EQ(h.consumer(a).stats().frames_delivered, 30U);
    EXPECT_EQ(h.consumer(b).stats().frames_delivered, 30U);
    EXPECT_FALSE(h.consumer(declined).stats().per_consumer_descriptor) << "declined: stays on the shared stream";
}

TEST(PerConsumerStreams, ProducerForgetsADepartedConsumerAfterFiveHelloIntervals) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto own_descriptors = StreamObserver::create(h.env.transport_dir, "aeron:ipc", 31005);
    ASSERT_TRUE(own_descriptors);
    const auto leaving = h.add_consumer(request_consumer(31005, 32005));
    const auto staying = h.add_consumer();
    ASSERT_TRUE(h.ready());
    ASSERT_TRUE(h.until([&] {
        return h.producer->stats().consumers == 2 && h.consumer(leaving).stats().per_consumer_descriptor &&
               own_descriptors->is_connected();
    }));

    h.consumers[leaving].reset(); // gone without a word to the producer
    const auto gone_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(h.until([&] { return h.producer->stats().consumers == 1; })) << "never forgotten";
    const auto after = std::chrono::steady_clock::now() - gone_at;
    // D-27: 5 x the 100 ms hello interval after its last hello or QoS (sent at most 100 ms before).
    EXPECT_GE(after, 350ms) << "forgotten before the liveness timeout";
    // Its per-consumer publication is closed with it.
    ASSERT_TRUE(h.until([&] { return !own_descriptors->is_connected(); })) << "per-consumer publication still open";

    std::vector<std::uint64_t> delivered;
    publish_lockstep(h, {staying}, 10, delivered);
    EXPECT_EQ(h.producer->stats().consumers, 1U);
}

} // namespace
