// SPDX-License-Identifier: Apache-2.0
// Announce acceptance (Wire §10.1.1, D-17, D-18, D-23): one case per rule.
#include "client/announce_filter.hpp"

#include <functional>

#include <gtest/gtest.h>

namespace {

using tp::client::AnnounceFilter;
using tp::client::AnnounceVerdict;
using tp::control::PoolAnnounce;

constexpr std::uint64_t S = 1'000'000'000ULL;
constexpr std::uint64_t NOW = 100 * S;

auto good() -> PoolAnnounce {
    PoolAnnounce a;
    a.stream_id = 10000;
    a.epoch = 50;
    a.announce_timestamp_ns = NOW - S;
    a.header_nslots = 64;
    a.pools.push_back({1, 64, 4096, "shm:file?path=/dev/shm/x/1.pool"});
    a.header_region_uri = "shm:file?path=/dev/shm/x/header.ring";
    return a;
}

TEST(AnnounceFilter, EachRuleD23) {
    struct Case {
        const char* name;
        std::function<void(PoolAnnounce&)> edit;
        AnnounceVerdict expect;
    };
    const std::vector<Case> cases = {
        {"good", [](PoolAnnounce&) {}, AnnounceVerdict::Accept},
        {"stream", [](PoolAnnounce& a) { a.stream_id = 1; }, AnnounceVerdict::WrongStream},
        {"slot bytes", [](PoolAnnounce& a) { a.header_slot_bytes = 128; }, AnnounceVerdict::BadHeaderSlotBytes},
        {"no pools", [](PoolAnnounce& a) { a.pools.clear(); }, AnnounceVerdict::NoPools},
        {"nslots pow2 D-18",
         [](PoolAnnounce& a) {
             a.header_nslots = 48;
             a.pools[0].pool_nslots = 48;
         },
         AnnounceVerdict::BadNslots},
        {"pool nslots", [](PoolAnnounce& a) { a.pools[0].pool_nslots = 32; }, AnnounceVerdict::BadNslots},
        {"stride D-17", [](PoolAnnounce& a) { a.pools[0].stride_bytes = 192; }, AnnounceVerdict::BadStride},
        {"layout", [](PoolAnnounce& a) { a.layout_version = 2; }, AnnounceVerdict::BadLayoutVersion},
        {"ts 0", [](PoolAnnounce& a) { a.announce_timestamp_ns = 0; }, AnnounceVerdict::ZeroTimestamp},
        {"clock", [](PoolAnnounce& a) { a.clock_domain = 7; }, AnnounceVerdict::UnknownClockDomain},
        {"stale", [](PoolAnnounce& a) { a.announce_timestamp_ns = NOW - 3 * S - 1; }, AnnounceVerdict::NotFresh},
        {"before join", [](PoolAnnounce& a) { a.announce_timestamp_ns = NOW - 2 * S - 1; },
         AnnounceVerdict::BeforeJoin},
    };
    for (const auto& c : cases) {
        AnnounceFilter f(10000, S);
        f.set_join_time(NOW - 2 * S);
        auto a = good();
        c.edit(a);
        EXPECT_EQ(f.check(a, NOW, 0), c.expect) << c.name;
    }
}

TEST(AnnounceFilter, HighestEpochWinsWire1011) {
    AnnounceFilter f(10000, S);
    auto a = good();
    ASSERT_EQ(f.check(a, NOW, 0), AnnounceVerdict::Accept);
    a.epoch = 49;
    EXPECT_EQ(f.check(a, NOW, 0), AnnounceVerdict::StaleEpoch);
    a.epoch = 50;
    EXPECT_EQ(f.check(a, NOW, 0), AnnounceVerdict::Accept) << "same epoch re-announced";
    a.epoch = 51;
    EXPECT_EQ(f.check(a, NOW, 0), AnnounceVerdict::Accept);
    EXPECT_EQ(f.highest_epoch(), 51U);
}

TEST(AnnounceFilter, RealtimeSyncedUsesRealtimeAndNoJoinRuleWire1011) {
    AnnounceFilter f(10000, S);
    f.set_join_time(NOW);
    auto a = good();
    a.clock_domain = 2;
    a.announce_timestamp_ns = 5000 * S; // realtime clock
    EXPECT_EQ(f.check(a, NOW, 5001 * S), AnnounceVerdict::Accept);
    EXPECT_EQ(f.check(a, NOW, 5004 * S), AnnounceVerdict::NotFresh);
}

} // namespace
