// SPDX-License-Identifier: Apache-2.0
#include "client/supervisor_table.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tp::client;
constexpr std::uint64_t S = 1'000'000'000ULL;

TEST(SupervisorTable, RatesFromQosDeltasWithinAnEpoch) {
    SupervisorTable t;
    tp::control::PoolAnnounce a;
    a.stream_id = 10000;
    a.epoch = 5;
    t.on_announce(a, S);
    t.on_qos_producer({10000, 42, 5, 100}, S);
    t.on_qos_producer({10000, 42, 5, 1100}, 2 * S);
    t.on_qos_consumer({10000, 7, 5, 99, 0, 0, tp::control::Mode::Stream}, S);
    t.on_qos_consumer({10000, 7, 5, 599, 3, 1, tp::control::Mode::Stream}, 3 * S);
    const auto& row = t.streams().at(10000);
    EXPECT_DOUBLE_EQ(row.producer_frames_per_s, 1000.0);
    EXPECT_DOUBLE_EQ(row.consumers.at(7).frames_per_s, 250.0);
    EXPECT_EQ(row.consumers.at(7).last.drops_gap, 3U);
    // A new epoch restarts seq: no bogus rate.
    t.on_qos_producer({10000, 42, 6, 10}, 3 * S);
    EXPECT_DOUBLE_EQ(t.streams().at(10000).producer_frames_per_s, 0.0);
}

TEST(SupervisorTable, EpochChangesStalenessAndExpiry) {
    SupervisorTable t(3 * S);
    tp::control::PoolAnnounce a;
    a.stream_id = 10000;
    a.epoch = 5;
    t.on_announce(a, S);
    a.epoch = 6;
    t.on_announce(a, 2 * S);
    EXPECT_EQ(t.streams().at(10000).epoch_changes, 1U);
    EXPECT_FALSE(t.is_stale(t.streams().at(10000), 5 * S));
    EXPECT_TRUE(t.is_stale(t.streams().at(10000), 5 * S + 1));
    t.expire(20 * S, 10 * S);
    EXPECT_TRUE(t.streams().empty());
}

TEST(SupervisorTable, StreamKnownOnlyFromMetadataIsNotForgottenAtOnce) {
    SupervisorTable t(3 * S);
    t.on_data_source(10001, 1, "cam", "");
    t.expire(100 * S, 10 * S);
    EXPECT_EQ(t.streams().count(10001), 1U) << "a data source seen just now stays";
    t.expire(105 * S, 10 * S);
    EXPECT_EQ(t.streams().count(10001), 1U);
    t.expire(111 * S, 10 * S);
    EXPECT_EQ(t.streams().count(10001), 0U) << "and is forgotten after the timeout";
}

} // namespace
