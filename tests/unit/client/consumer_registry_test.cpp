// SPDX-License-Identifier: Apache-2.0
// Producer-side per-consumer streams (D-26, D-27) and progress aggregation (D-28).
#include "client/consumer_registry.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tp::client;
using tp::control::ConsumerConfig;
using tp::control::ConsumerHello;

constexpr std::uint64_t S = 1'000'000'000ULL;

auto hello(std::uint32_t consumer, std::string dch = "", std::uint32_t did = 0, std::string cch = "",
           std::uint32_t cid = 0) -> ConsumerHello {
    ConsumerHello h;
    h.stream_id = 10000;
    h.consumer_id = consumer;
    h.descriptor_channel = std::move(dch);
    h.descriptor_stream_id = did;
    h.control_channel = std::move(cch);
    h.control_stream_id = cid;
    return h;
}

TEST(ConsumerRegistry, GrantsRequestedIdInRangeD26) {
    ConsumerRegistry reg(10000, {});
    auto cfg = reg.on_hello(hello(1, "aeron:ipc", 31005, "aeron:ipc", 32007), 0);
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->descriptor_stream_id, 31005U);
    EXPECT_EQ(cfg->descriptor_channel, "aeron:ipc");
    EXPECT_EQ(cfg->control_stream_id, 32007U);
    EXPECT_EQ(cfg->consumer_id, 1U);
    EXPECT_EQ(cfg->stream_id, 10000U);
}

TEST(ConsumerRegistry, RequestTokenOneGetsNextFreeIdD26) {
    ConsumerRegistry reg(10000, {});
    auto a = reg.on_hello(hello(1, "aeron:ipc", 1), 0);
    auto b = reg.on_hello(hello(2, "aeron:ipc", 1), 0);
    EXPECT_EQ(a->descriptor_stream_id, 31000U);
    EXPECT_EQ(b->descriptor_stream_id, 31001U) << "ids are not shared between consumers";
    // A requested id already granted to another consumer is not reused either.
    auto c = reg.on_hello(hello(3, "aeron:ipc", 31000), 0);
    EXPECT_EQ(c->descriptor_stream_id, 31002U);
}

TEST(ConsumerRegistry, DeclinesHalfRequestsUnsupportedChannelsAndExhaustionWire1013) {
    PerConsumerSettings s;
    s.descriptor_range = {31000, 31000};
    ConsumerRegistry reg(10000, s);
    auto half1 = reg.on_hello(hello(1, "aeron:ipc", 0), 0);
    EXPECT_EQ(half1->descriptor_stream_id, 0U);
    EXPECT_TRUE(half1->descriptor_channel.empty());
    auto half2 = reg.on_hello(hello(2, "", 31000), 0);
    EXPECT_EQ(half2->descriptor_stream_id, 0U);
    auto udp = reg.on_hello(hello(3, "aeron:udp?endpoint=127.0.0.1:4000", 31000), 0);
    EXPECT_EQ(udp->descriptor_stream_id, 0U) << "UDP needs producer.per_consumer_allow_udp";
    auto ok = reg.on_hello(hello(4, "aeron:ipc", 31000), 0);
    EXPECT_EQ(ok->descriptor_stream_id, 31000U);
    auto exhausted = reg.on_hello(hello(5, "aeron:ipc", 31000), 0);
    EXPECT_EQ(exhausted->descriptor_stream_id, 0U);
    EXPECT_TRUE(exhausted->descriptor_channel.empty());
}

TEST(ConsumerRegistry, UdpAllowedByOption) {
    PerConsumerSettings s;
    s.allow_udp = true;
    ConsumerRegistry reg(10000, s);
    auto udp = reg.on_hello(hello(3, "aeron:udp?endpoint=127.0.0.1:4000", 31000), 0);
    EXPECT_EQ(udp->descriptor_stream_id, 31000U);
}

TEST(ConsumerRegistry, AlwaysDeclineForBridgesAndRateLimitersD26) {
    PerConsumerSettings s;
    s.always_decline = true;
    ConsumerRegistry reg(10000, s);
    auto cfg = reg.on_hello(hello(1, "aeron:ipc", 31000, "aeron:ipc", 32000), 0);
    ASSERT_TRUE(cfg);
    EXPECT_EQ(cfg->descriptor_stream_id, 0U);
    EXPECT_EQ(cfg->control_stream_id, 0U);
}

TEST(ConsumerRegistry, SendsOnlyOnChangedRequestD26) {
    ConsumerRegistry reg(10000, {});
    EXPECT_TRUE(reg.on_hello(hello(1, "aeron:ipc", 31000), 0));
    EXPECT_FALSE(reg.on_hello(hello(1, "aeron:ipc", 31000), S)) << "never on every hello";
    EXPECT_FALSE(reg.on_hello(hello(1, "aeron:ipc", 31000), 2 * S));
    EXPECT_TRUE(reg.on_hello(hello(1), 3 * S)) << "request withdrawn = changed";
    EXPECT_TRUE(reg.on_hello(hello(1, "aeron:ipc", 31000), 4 * S));
}

TEST(ConsumerRegistry, FirstConfigWinsAndHalfAssignmentsDoNotCountD26D27) {
    ConsumerRegistry reg(10000, {});
    auto own = reg.on_hello(hello(1, "aeron:ipc", 31000), 0);
    // Another authority answered first, in control-stream order; a half one before it is skipped.
    ConsumerConfig half;
    half.stream_id = 10000;
    half.consumer_id = 1;
    half.descriptor_channel = "aeron:ipc";
    half.descriptor_stream_id = 0;
    reg.on_config(half);
    EXPECT_FALSE(reg.consumers().at(1).applied);
    ConsumerConfig other = *own;
    other.descriptor_stream_id = 31500;
    reg.on_config(other);
    reg.on_config(*own);
    ASSERT_TRUE(reg.consumers().at(1).applied);
    EXPECT_EQ(reg.consumers().at(1).applied->descriptor_stream_id, 31500U);
}

TEST(ConsumerRegistry, NeverAdoptsAnIdAppliedToAnotherConsumerD26) {
    ConsumerRegistry reg(10000, {});
    auto a = reg.on_hello(hello(1, "aeron:ipc", 31000), 0);
    reg.on_config(*a);
    auto b = reg.on_hello(hello(2, "aeron:ipc", 31001), 0);
    ConsumerConfig clash = *b;
    clash.descriptor_stream_id = 31000; // e.g. a C supervisor's 31000 + id % 1000
    reg.on_config(clash);
    ASSERT_TRUE(reg.consumers().at(2).applied);
    EXPECT_EQ(reg.consumers().at(2).applied->descriptor_stream_id, 0U);
    EXPECT_TRUE(reg.consumers().at(2).applied->descriptor_channel.empty());
}

TEST(ConsumerRegistry, LivenessFiveSecondsFromHelloOrQosD27) {
    ConsumerRegistry reg(10000, {});
    reg.on_hello(hello(1, "aeron:ipc", 31000), 0);
    reg.on_hello(hello(2), 0);
    reg.on_qos(2, 4 * S);
    auto gone = reg.expire(5 * S + 1);
    ASSERT_EQ(gone.size(), 1U);
    EXPECT_EQ(gone[0], 1U);
    EXPECT_EQ(reg.consumers().count(2), 1U);
    // A consumer seen again after timing out counts as changed.
    EXPECT_TRUE(reg.on_hello(hello(1, "aeron:ipc", 31000), 6 * S));
}

TEST(ConsumerRegistry, EpochResetClearsGrantsD26) {
    ConsumerRegistry reg(10000, {});
    auto a = reg.on_hello(hello(1, "aeron:ipc", 31000), 0);
    reg.on_config(*a);
    reg.reset_epoch();
    EXPECT_FALSE(reg.consumers().at(1).applied);
    EXPECT_TRUE(reg.on_hello(hello(1), S));
    EXPECT_TRUE(reg.on_hello(hello(1, "aeron:ipc", 31000), S));
}

TEST(ConsumerRegistry, ProgressPolicyAggregatesWithFloorsD28) {
    ConsumerRegistry reg(10000, {});
    EXPECT_FALSE(reg.progress_policy()) << "no consumer supports progress";
    auto h1 = hello(1);
    h1.supports_progress = true;
    h1.progress_interval_us = 1000;
    h1.progress_bytes_delta = 1 << 20;
    reg.on_hello(h1, 0);
    auto h2 = hello(2);
    h2.supports_progress = true;
    h2.progress_interval_us = 100; // below the 250 us floor
    h2.progress_bytes_delta = 128 * 1024;
    reg.on_hello(h2, 0);
    auto h3 = hello(3); // does not support progress: ignored
    h3.progress_interval_us = 1;
    reg.on_hello(h3, 0);
    auto p = reg.progress_policy();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->interval_ns, 250'000U);
    EXPECT_EQ(p->bytes_delta, 128U * 1024U);
    // Defaults when hints are absent.
    ConsumerRegistry reg2(10000, {});
    auto h4 = hello(4);
    h4.supports_progress = true;
    reg2.on_hello(h4, 0);
    EXPECT_EQ(reg2.progress_policy()->interval_ns, 250'000U);
    EXPECT_EQ(reg2.progress_policy()->bytes_delta, 65'536U);
}

TEST(ConsumerRegistry, FallbackUriOnlyForKnownSchemesD27) {
    PerConsumerSettings s;
    s.payload_fallback_uri = "http://example";
    ConsumerRegistry reg(10000, s);
    EXPECT_TRUE(reg.on_hello(hello(1), 0)->payload_fallback_uri.empty());
    s.payload_fallback_uri = "bridge://cam1";
    ConsumerRegistry reg2(10000, s);
    EXPECT_EQ(reg2.on_hello(hello(1), 0)->payload_fallback_uri, "bridge://cam1");
}

TEST(ConsumerRegistry, OtherStreamsAreIgnored) {
    ConsumerRegistry reg(10000, {});
    auto h = hello(1, "aeron:ipc", 31000);
    h.stream_id = 10001;
    EXPECT_FALSE(reg.on_hello(h, 0));
    EXPECT_TRUE(reg.consumers().empty());
}

} // namespace
