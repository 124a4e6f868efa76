// SPDX-License-Identifier: Apache-2.0
// The supervisor role (Wire §10.5) end to end: its live table against a real producer and
// consumer, and ConsumerConfig it publishes winning per D-26.
#include "client_harness.hpp"
#include "tensorpool/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;
using tp::test::StreamObserver;

auto make_supervisor(const Harness& h) -> std::optional<tp::Supervisor> {
    tp::SupervisorOptions so;
    so.context = h.env.context();
    auto s = tp::Supervisor::create(so);
    EXPECT_TRUE(s) << s.error().to_string();
    if (!s) {
        return std::nullopt;
    }
    return std::move(*s);
}

auto find_consumer(const tp::SupervisedStream& s, std::uint32_t id) -> const tp::SupervisedConsumer* {
    for (const auto& c : s.consumers) {
        if (c.consumer_id == id) {
            return &c;
        }
    }
    return nullptr;
}

TEST(Supervisor, TableFollowsStreamsProducersConsumersRatesAndDrops) {
    Harness h;
    tp::ProducerOptions po;
    po.name = "camera-1";
    po.summary = "uint8[256]";
    ASSERT_TRUE(h.start(po));
    h.producer->set_metadata({{"exposure_us", "text/plain", "250"}, {"gain", "text/plain", "2"}});
    auto sup = make_supervisor(h);
    ASSERT_TRUE(sup);
    tp::ConsumerOptions co;
    co.supports_progress = true;
    co.mode = tp::ConsumerMode::RateLimited;
    co.max_rate_hz = 1000000; // high enough to deliver everything; the mode shows in hello and QoS
    const auto c = h.add_consumer(co);
    ASSERT_TRUE(h.ready());
    const auto consumer_id = h.consumer(c).stats().consumer_id;
    const auto producer_id = h.producer->stats().client_id;

    // ~0.6 s of frames at about 1 kHz, one abandoned claim (a gap of one), sampling the rates.
    double producer_rate = 0.0;
    double consumer_rate = 0.0;
    std::uint64_t published = 0;
    const auto start = std::chrono::steady_clock::now();
    auto next = start;
    while (std::chrono::steady_clock::now() - start < 600ms) {
        if (std::chrono::steady_clock::now() >= next) {
            if (published == 100) {
                auto abandoned = h.producer->try_claim(64);
                ASSERT_TRUE(abandoned.is_valid());
            } else {
                ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
            }
            ++published;
            next += 1ms;
        }
        h.step();
        (void)h.consumer(c).poll([](const tp::Frame&) {});
        sup->do_work();
        if (auto s = sup->stream(10000)) {
            producer_rate = std::max(producer_rate, s->producer_frames_per_s);
            if (const auto* row = find_consumer(*s, consumer_id)) {
                consumer_rate = std::max(consumer_rate, row->frames_per_s);
            }
        }
    }
    const auto last_seq = published - 1;
    ASSERT_TRUE(h.until([&] {
        (void)h.consumer(c).poll([](const tp::Frame&) {});
        sup->do_work();
        const auto s = sup->stream(10000);
        const auto* row = s ? find_consumer(*s, consumer_id) : nullptr;
        return s && s->has_announce && s->has_producer && s->producer_current_seq == published && !s->name.empty() &&
               s->metadata.size() == 2 && row != nullptr && row->has_qos && row->has_hello &&
               row->last_seq_seen == last_seq;
    })) << "the table never caught up";

    const auto s = *sup->stream(10000);
    const auto cs = h.consumer(c).stats();
    EXPECT_EQ(s.epoch, cs.epoch);
    EXPECT_EQ(s.header_nslots, 64U);
    EXPECT_FALSE(s.stale);
    EXPECT_EQ(s.producer_id, producer_id);
    EXPECT_EQ(s.name, "camera-1");
    EXPECT_EQ(s.summary, "uint8[256]");
    EXPECT_EQ(s.meta_version, 1U);
    EXPECT_EQ(s.metadata[0].key, "exposure_us");
    EXPECT_EQ(s.metadata[0].value, "250");
    EXPECT_EQ(s.metadata[1].key, "gain");
    ASSERT_EQ(s.consumers.size(), 1U);
    const auto& row = s.consumers[0];
    EXPECT_EQ(row.consumer_id, consumer_id);
    EXPECT_EQ(row.epoch, cs.epoch);
    EXPECT_EQ(row.drops_gap, 1U);
    EXPECT_EQ(row.drops_late, 0U);
    EXPECT_EQ(row.drops_gap, cs.drops_gap);
    EXPECT_EQ(row.mode, tp::ConsumerMode::RateLimited);
    EXPECT_TRUE(row.supports_shm);
    EXPECT_TRUE(row.supports_progress);
    EXPECT_EQ(row.max_rate_hz, 1000000U);
    EXPECT_GT(producer_rate, 0.0) << "producer rate from QosProducer deltas";
    EXPECT_GT(consumer_rate, 0.0) << "consumer rate from QosConsumer deltas";
    const auto st = sup->stats();
    EXPECT_GT(st.announces, 0U);
    EXPECT_GT(st.hellos, 0U);
    EXPECT_GT(st.qos_producer, 0U);
    EXPECT_GT(st.qos_consumer, 0U);
    EXPECT_EQ(st.dropped_messages, 0U);

    // A consumer that goes away is forgotten after forget_after_ns (10 s by default): not checked
    // here; the table's expiry has unit tests.
    ASSERT_EQ(sup->streams().size(), 1U);
}

TEST(Supervisor, ItsConsumerConfigWinsWhenFirstAndSteersBothSides) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto sup = make_supervisor(h);
    ASSERT_TRUE(sup);
    auto assigned = StreamObserver::create(h.env.transport_dir, "aeron:ipc", 31500);
    auto requested = StreamObserver::create(h.env.transport_dir, "aeron:ipc", 31005);
    ASSERT_TRUE(assigned && requested);
    tp::ConsumerOptions co;
    co.per_consumer_descriptor_channel = "aeron:ipc";
    co.per_consumer_descriptor_stream_id = 31005;
    const auto c = h.add_consumer(co);
    bool issued = false;
    // The supervisor answers the request before the producer reads it: consumer, supervisor,
    // producer in that order each cycle.
    auto step = [&] {
        h.driver->do_work();
        h.consumer(c).do_work();
        sup->do_work();
        if (!issued) {
            if (auto s = sup->stream(10000)) {
                for (const auto& row : s->consumers) {
                    if (row.has_hello && row.descriptor_stream_id == 31005) {
                        tp::ConsumerConfigCommand cmd;
                        cmd.stream_id = 10000;
                        cmd.consumer_id = row.consumer_id;
                        cmd.descriptor_channel = "aeron:ipc";
                        cmd.descriptor_stream_id = 31500;
                        auto r = sup->send_consumer_config(cmd);
                        EXPECT_TRUE(r) << r.error().to_string();
                        issued = true;
                    }
                }
            }
        }
        h.producer->do_work();
    };
    ASSERT_TRUE(tp::test::pump_until(
        step, [&] { return issued && h.consumer(c).stats().per_consumer_descriptor && assigned->is_connected(); }, 10s))
        << "issued " << issued;
    EXPECT_FALSE(requested->is_connected()) << "the producer's own grant came second and was ignored";
    EXPECT_EQ(sup->stats().configs_sent, 1U);

    std::uint64_t delivered = 0;
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
        ASSERT_TRUE(tp::test::pump_until(
            [&] {
                step();
                (void)h.consumer(c).poll([&](const tp::Frame&) { ++delivered; });
            },
            [&] { return delivered == static_cast<std::uint64_t>(i + 1); }, 10s));
    }
    ASSERT_TRUE(tp::test::pump_until(
        [&] {
            step();
            assigned->poll();
            requested->poll();
        },
        [&] { return assigned->descriptors.size() >= 20; }, 10s));
    EXPECT_EQ(assigned->descriptors.size(), 20U) << "frames go to the stream the supervisor assigned";
    EXPECT_TRUE(requested->descriptors.empty());
}

TEST(Supervisor, RefusesHalfAssignments) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto sup = make_supervisor(h);
    ASSERT_TRUE(sup);
    tp::ConsumerConfigCommand cmd;
    cmd.stream_id = 10000;
    cmd.consumer_id = 7;
    cmd.descriptor_channel = "aeron:ipc"; // without an id
    auto r = sup->send_consumer_config(cmd);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, tp::ErrorCode::InvalidArgument);
    cmd.descriptor_channel.clear();
    cmd.control_stream_id = 32001; // without a channel
    EXPECT_FALSE(sup->send_consumer_config(cmd));
    cmd.control_channel = "aeron:ipc";
    EXPECT_TRUE(sup->send_consumer_config(cmd));
    EXPECT_EQ(sup->stats().configs_sent, 1U);
}

} // namespace
