// SPDX-License-Identifier: Apache-2.0
// Driver, producer and consumer in one process: the whole path end to end.
#include "client_test_env.hpp"

#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::test::ClientTestEnv;
using tp::test::pump_until;

struct Pipeline {
    ClientTestEnv env;
    tp::Driver driver;
    tp::Producer producer;
    tp::Consumer consumer;

    static auto make(const std::string& policies = "", tp::ConsumerOptions copts = {}) -> std::unique_ptr<Pipeline> {
        ClientTestEnv env;
        auto d = tp::Driver::create_from_toml(env.driver_toml(policies));
        EXPECT_TRUE(d) << d.error().to_string();
        tp::ProducerOptions po;
        po.context = env.context();
        po.name = "camera-1";
        auto p = tp::Producer::create(po);
        EXPECT_TRUE(p) << p.error().to_string();
        copts.context = env.context();
        auto c = tp::Consumer::create(copts);
        EXPECT_TRUE(c) << c.error().to_string();
        return std::unique_ptr<Pipeline>(new Pipeline{std::move(env), std::move(*d), std::move(*p), std::move(*c)});
    }

    void step() {
        driver.do_work();
        producer.do_work();
        consumer.do_work();
    }
    auto ready(std::chrono::milliseconds timeout = 10s) -> bool {
        return pump_until([this] { step(); },
                          [this] { return producer.is_ready() && consumer.state() == tp::ConsumerState::Mapped; },
                          timeout);
    }
};

TEST(ClientIntegration, AttachMapPublishConsumeBitExact) {
    auto p = Pipeline::make();
    ASSERT_TRUE(p->ready()) << "producer ready " << p->producer.is_ready() << ", consumer "
                            << tp::to_string(p->consumer.state());
    std::mt19937 rng(7);
    const tp::Dtype dtypes[] = {tp::Dtype::Uint8, tp::Dtype::Int16, tp::Dtype::Float32, tp::Dtype::Float64,
                                tp::Dtype::Uint64};
    std::uint64_t received = 0;
    bool corrupt = false;
    for (int i = 0; i < 500; ++i) {
        const auto dtype = dtypes[i % 5];
        const auto esize = static_cast<std::int32_t>(tp::element_size(dtype));
        const std::int32_t n = static_cast<std::int32_t>(rng() % 2000);
        std::vector<std::byte> data(static_cast<std::size_t>(n * esize));
        for (auto& b : data) {
            b = static_cast<std::byte>(rng());
        }
        const std::int32_t shape[] = {n};
        auto rc = p->producer.publish(data, std::span(shape, n == 0 ? 0 : 1), dtype);
        ASSERT_EQ(rc, tp::PublishResult::Ok) << tp::to_string(rc);
        const auto want = received + 1;
        ASSERT_TRUE(pump_until(
            [&] {
                p->driver.do_work();
                p->producer.do_work();
                p->consumer.poll([&](const tp::Frame& f) {
                    if (f.seq != received || f.dtype != dtype || f.payload.size() != data.size() ||
                        (!data.empty() && std::memcmp(f.payload.data(), data.data(), data.size()) != 0)) {
                        corrupt = true;
                    }
                    ++received;
                });
            },
            [&] { return received >= want; }, 10s))
            << "frame " << i;
    }
    EXPECT_FALSE(corrupt);
    auto s = p->consumer.stats();
    EXPECT_EQ(s.frames_delivered, 500U);
    EXPECT_EQ(s.drops_gap, 0U);
    EXPECT_EQ(s.drops_late, 0U);
}

TEST(ClientIntegration, MetadataPrecedesTheFrameThatCarriesIt) {
    auto p = Pipeline::make();
    ASSERT_TRUE(p->ready());
    p->producer.set_metadata({{"exposure_us", "text/plain", "250"}});
    const std::byte b[16]{};
    const std::int32_t shape[] = {16};
    ASSERT_EQ(p->producer.publish(b, shape, tp::Dtype::Uint8), tp::PublishResult::Ok);
    std::uint32_t frame_meta = 0;
    std::uint32_t meta_at_frame = 0;
    ASSERT_TRUE(pump_until(
        [&] {
            p->step();
            p->consumer.poll([&](const tp::Frame& f) {
                frame_meta = f.meta_version;
                meta_at_frame = p->consumer.stats().meta_version;
            });
        },
        [&] { return frame_meta != 0; }, 10s));
    EXPECT_EQ(frame_meta, 1U);
    EXPECT_EQ(meta_at_frame, 1U) << "DataSourceMeta with the new version arrived before the frame";
    EXPECT_EQ(p->consumer.metadata("exposure_us").value_or(""), "250");
}

} // namespace
