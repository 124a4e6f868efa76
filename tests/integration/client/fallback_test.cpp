// SPDX-License-Identifier: Apache-2.0
// FALLBACK (Wire §15.12, §10.1.3, D-21, D-27): a consumer that may not map the regions goes to
// Fallback when a ConsumerConfig offers a usable payload fallback URI, and stays Unmapped otherwise.
#include "client_harness.hpp"
#include "tensorpool/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
using tp::test::Harness;
using tp::test::StreamObserver;

constexpr const char* CTRL = "aeron:ipc?term-length=4m";

/// Consumer options whose allowed base directories exclude the driver's SHM directory.
auto refusing_consumer(const Harness& h) -> tp::ConsumerOptions {
    tp::ConsumerOptions co;
    co.context = h.env.context();
    co.context.allowed_base_dirs = {h.env.dir.file("elsewhere")};
    std::filesystem::create_directories(co.context.allowed_base_dirs[0]);
    return co;
}

auto configs_for(const StreamObserver& o, std::uint32_t id) -> std::size_t {
    return static_cast<std::size_t>(
        std::count_if(o.configs.begin(), o.configs.end(), [&](const auto& c) { return c.consumer_id == id; }));
}

TEST(Fallback, RefusedMappingWithAFallbackUriIsFallback) {
    Harness h;
    tp::ProducerOptions po;
    po.payload_fallback_uri = "bridge://cam1";
    ASSERT_TRUE(h.start(po));
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    const auto refused = h.add_consumer(refusing_consumer(h));
    const auto mapped = h.add_consumer();
    ASSERT_TRUE(h.until([&] {
        control->poll();
        return h.consumer(refused).state() == tp::ConsumerState::Fallback &&
               h.consumer(mapped).state() == tp::ConsumerState::Mapped && h.producer->is_ready();
    })) << "refused consumer is "
        << tp::to_string(h.consumer(refused).state());
    EXPECT_EQ(h.consumer(refused).fallback_uri(), "bridge://cam1");
    const auto refused_id = h.consumer(refused).stats().consumer_id;
    bool hello_seen = false;
    for (const auto& hello : control->hellos) {
        if (hello.consumer_id == refused_id) {
            hello_seen = true;
            EXPECT_FALSE(hello.supports_shm) << "a consumer that cannot map says so";
        }
    }
    EXPECT_TRUE(hello_seen);

    // The mapped consumer got the same URI and keeps using SHM.
    ASSERT_TRUE(h.until([&] { return h.consumer(mapped).fallback_uri() == "bridge://cam1"; }));
    ASSERT_EQ(h.publish_small(), tp::PublishResult::Ok);
    std::uint64_t delivered = 0;
    ASSERT_TRUE(h.until([&] {
        (void)h.consumer(mapped).poll([&](const tp::Frame&) { ++delivered; });
        (void)h.consumer(refused).poll([&](const tp::Frame&) { ++delivered; });
        return delivered >= 1;
    }));
    for (int i = 0; i < 50; ++i) {
        h.step();
        (void)h.consumer(refused).poll([&](const tp::Frame&) { ++delivered; });
    }
    EXPECT_EQ(delivered, 1U) << "the refused consumer reads nothing from SHM";
    EXPECT_EQ(h.consumer(mapped).state(), tp::ConsumerState::Mapped);
    EXPECT_EQ(h.consumer(refused).state(), tp::ConsumerState::Fallback);
}

TEST(Fallback, RefusedMappingWithoutAFallbackUriStaysUnmapped) {
    Harness h;
    ASSERT_TRUE(h.start());
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    const auto refused = h.add_consumer(refusing_consumer(h));
    // Attached (it has an id) and answered by the producer.
    ASSERT_TRUE(h.until([&] {
        control->poll();
        const auto id = h.consumer(refused).stats().consumer_id;
        return id != 0 && configs_for(*control, id) >= 1;
    }));
    for (int i = 0; i < 100; ++i) {
        h.step();
    }
    EXPECT_EQ(h.consumer(refused).state(), tp::ConsumerState::Unmapped);
    EXPECT_TRUE(h.consumer(refused).fallback_uri().empty());
    EXPECT_EQ(h.consumer(refused).stats().remaps, 0U);
}

TEST(Fallback, AnUnsupportedSchemeIsNoFallback) {
    Harness h;
    tp::ProducerOptions po;
    po.payload_fallback_uri = "bridge://cam1";
    ASSERT_TRUE(h.start(po));
    tp::SupervisorOptions so;
    so.context = h.env.context();
    auto sup = tp::Supervisor::create(so);
    ASSERT_TRUE(sup) << sup.error().to_string();
    auto control = StreamObserver::create(h.env.transport_dir, CTRL, 1000);
    ASSERT_TRUE(control);
    const auto refused = h.add_consumer(refusing_consumer(h));
    bool issued = false;
    // The supervisor answers the consumer's first hello before the producer does (D-26: the first
    // ConsumerConfig wins), with a scheme the consumer must treat as unsupported (W §10.1.3).
    auto step = [&] {
        h.driver->do_work();
        h.consumer(refused).do_work();
        sup->do_work();
        if (!issued) {
            if (auto s = sup->stream(10000)) {
                for (const auto& row : s->consumers) {
                    if (row.has_hello && !row.supports_shm) {
                        tp::ConsumerConfigCommand cmd;
                        cmd.stream_id = 10000;
                        cmd.consumer_id = row.consumer_id;
                        cmd.use_shm = false;
                        cmd.payload_fallback_uri = "file:///tmp/frames";
                        issued = static_cast<bool>(sup->send_consumer_config(cmd));
                    }
                }
            }
        }
        h.producer->do_work();
        control->poll();
    };
    ASSERT_TRUE(tp::test::pump_until(
        step,
        [&] {
            const auto id = h.consumer(refused).stats().consumer_id;
            return issued && configs_for(*control, id) >= 2;
        },
        10s))
        << "issued " << issued;
    for (int i = 0; i < 100; ++i) {
        step();
    }
    EXPECT_EQ(h.consumer(refused).state(), tp::ConsumerState::Unmapped)
        << "the first config named file://; the producer's bridge:// came second";
    EXPECT_TRUE(h.consumer(refused).fallback_uri().empty());
}

} // namespace
