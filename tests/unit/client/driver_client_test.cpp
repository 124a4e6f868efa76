// SPDX-License-Identifier: Apache-2.0
// The driver client state machine (Driver §4.12.1) as a table of transitions.
#include "client/driver_client.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace tp::client;
using tp::driver::ResponseCode;

constexpr std::uint64_t S = 1'000'000'000ULL;

struct FakeProxy final : DriverClientProxy {
    auto send_attach(const AttachRequest& r) -> bool override {
        attaches.push_back(r);
        return connected;
    }
    auto send_keepalive(const tp::driver::Keepalive& k) -> bool override {
        keepalives.push_back(k);
        return connected;
    }
    auto send_detach(const tp::driver::DetachRequest& r) -> bool override {
        detaches.push_back(r);
        return connected;
    }
    bool connected{true};
    std::vector<AttachRequest> attaches;
    std::vector<tp::driver::Keepalive> keepalives;
    std::vector<tp::driver::DetachRequest> detaches;
};

struct FakeListener final : DriverClientListener {
    void on_attached(const AttachResponse& r) override { attached.push_back(r); }
    void on_lease_lost(LeaseLoss why) override { lost.push_back(why); }
    void on_attach_failed(const AttachResponse&, const std::string& why) override { failures.push_back(why); }
    std::vector<AttachResponse> attached;
    std::vector<LeaseLoss> lost;
    std::vector<std::string> failures;
};

auto ok_response(const AttachRequest& req, std::uint64_t lease = 5, std::uint64_t epoch = 100) -> AttachResponse {
    AttachResponse r;
    r.correlation_id = req.correlation_id;
    r.code = ResponseCode::Ok;
    r.lease_id = lease;
    r.lease_expiry_timestamp_ns = 3 * S;
    r.stream_id = req.stream_id;
    r.epoch = epoch;
    r.layout_version = 1;
    r.header_nslots = 64;
    r.header_slot_bytes = 256;
    r.node_id = 7;
    r.header_region_uri = "shm:file?path=/dev/shm/x/header.ring";
    r.pools.push_back({1, 64, 4096, "shm:file?path=/dev/shm/x/1.pool"});
    return r;
}

class DriverClientTest : public ::testing::Test {
protected:
    auto make(Role role = Role::Producer, std::uint32_t client_id = 0) -> DriverClient& {
        DriverClientConfig cfg;
        cfg.role = role;
        cfg.client_id = client_id;
        cfg.seed = 42;
        client = std::make_unique<DriverClient>(cfg, proxy, listener);
        return *client;
    }
    auto attach_ok(std::uint64_t now = 0) -> AttachResponse {
        client->open(now);
        auto r = ok_response(proxy.attaches.back());
        client->on_attach_response(r, now);
        return r;
    }
    FakeProxy proxy;
    FakeListener listener;
    std::unique_ptr<DriverClient> client;
};

TEST_F(DriverClientTest, AttachSendsExplicitFieldsD35) {
    auto& c = make(Role::Producer);
    c.open(0);
    ASSERT_EQ(proxy.attaches.size(), 1U);
    const auto& req = proxy.attaches[0];
    EXPECT_NE(req.client_id, 0U);
    EXPECT_EQ(req.client_id, c.client_id());
    EXPECT_EQ(req.role, 1);
    EXPECT_EQ(req.publish_mode, 1);
    EXPECT_EQ(req.expected_layout_version, 1U);
    EXPECT_FALSE(req.desired_node_id);
    EXPECT_EQ(c.state(), DriverClientState::Attaching);
}

TEST_F(DriverClientTest, OkAttachThenKeepalivesEveryIntervalDriver44) {
    auto& c = make();
    attach_ok();
    EXPECT_EQ(c.state(), DriverClientState::Attached);
    ASSERT_EQ(listener.attached.size(), 1U);
    for (std::uint64_t t = 1; t <= 5; ++t) {
        c.on_announce(10000, 100, t * S - 1);
        c.do_work(t * S);
    }
    EXPECT_EQ(proxy.keepalives.size(), 5U);
    EXPECT_EQ(proxy.keepalives[0].lease_id, 5U);
    EXPECT_EQ(proxy.keepalives[0].client_id, c.client_id());
    EXPECT_EQ(proxy.keepalives[0].role, 1);
}

TEST_F(DriverClientTest, ProtocolErrorsAreDroppedDriver47a) {
    std::vector<std::function<void(AttachResponse&)>> breakers = {
        [](AttachResponse& r) { r.lease_id.reset(); },
        [](AttachResponse& r) { r.epoch.reset(); },
        [](AttachResponse& r) { r.header_slot_bytes = 128; },
        [](AttachResponse& r) { r.header_nslots = 100; },
        [](AttachResponse& r) { r.header_region_uri = ""; },
        [](AttachResponse& r) { r.header_region_uri = "   "; },
        [](AttachResponse& r) { r.pools.clear(); },
        [](AttachResponse& r) { r.pools[0].pool_nslots = 32; },
        [](AttachResponse& r) { r.pools[0].region_uri = ""; },
        [](AttachResponse& r) { r.layout_version = 2; },
    };
    for (std::size_t i = 0; i < breakers.size(); ++i) {
        auto& c = make();
        c.open(0);
        auto r = ok_response(proxy.attaches.back());
        breakers[i](r);
        c.on_attach_response(r, 0);
        EXPECT_EQ(c.state(), DriverClientState::Backoff) << "case " << i;
        EXPECT_EQ(c.counters().protocol_errors, 1U) << "case " << i;
    }
    EXPECT_TRUE(listener.attached.empty());
}

TEST_F(DriverClientTest, ResponsesForOtherCorrelationIdsAreIgnored) {
    auto& c = make();
    c.open(0);
    auto r = ok_response(proxy.attaches.back());
    r.correlation_id += 1;
    c.on_attach_response(r, 0);
    EXPECT_EQ(c.state(), DriverClientState::Attaching);
}

TEST_F(DriverClientTest, TimeoutThenBackoffDoublesAndRetries) {
    auto& c = make();
    c.open(0);
    c.do_work(5 * S); // attach timeout
    EXPECT_EQ(c.state(), DriverClientState::Backoff);
    EXPECT_EQ(c.counters().attach_timeouts, 1U);
    c.do_work(5 * S + S - 1);
    EXPECT_EQ(proxy.attaches.size(), 1U);
    c.do_work(6 * S); // 1 s backoff
    EXPECT_EQ(proxy.attaches.size(), 2U);
    EXPECT_NE(proxy.attaches[1].correlation_id, proxy.attaches[0].correlation_id);
    c.do_work(11 * S); // timeout again
    c.do_work(12 * S);
    EXPECT_EQ(proxy.attaches.size(), 2U) << "second backoff is 2 s";
    c.do_work(13 * S);
    EXPECT_EQ(proxy.attaches.size(), 3U);
}

TEST_F(DriverClientTest, RejectedClientIdIsRepickedOnlyWhenUnconfiguredD33) {
    auto& c = make();
    c.open(0);
    auto first_id = c.client_id();
    AttachResponse r;
    r.correlation_id = proxy.attaches.back().correlation_id;
    r.code = ResponseCode::Rejected;
    r.error_message = "client_id already attached";
    c.on_attach_response(r, 0);
    EXPECT_NE(c.client_id(), first_id);

    auto& c2 = make(Role::Consumer, 1234);
    c2.open(0);
    r.correlation_id = proxy.attaches.back().correlation_id;
    c2.on_attach_response(r, 0);
    EXPECT_EQ(c2.client_id(), 1234U);
}

TEST_F(DriverClientTest, RevokeOfOwnLeaseReattachesWithSameNodeIdD39D40) {
    auto& c = make();
    auto r = attach_ok();
    tp::driver::LeaseRevoked other{0, 999, 10000, 1, Role::Producer, tp::driver::RevokeReason::Expired, ""};
    c.on_lease_revoked(other, S);
    EXPECT_EQ(c.state(), DriverClientState::Attached) << "another lease's revoke is ignored";
    tp::driver::LeaseRevoked mine{
        0, *r.lease_id, 10000, c.client_id(), Role::Producer, tp::driver::RevokeReason::Expired, ""};
    c.on_lease_revoked(mine, S);
    ASSERT_EQ(listener.lost.size(), 1U);
    EXPECT_EQ(listener.lost[0], LeaseLoss::Expired);
    EXPECT_EQ(c.state(), DriverClientState::Backoff);
    c.do_work(2 * S);
    ASSERT_EQ(proxy.attaches.size(), 2U);
    ASSERT_TRUE(proxy.attaches[1].desired_node_id);
    EXPECT_EQ(*proxy.attaches[1].desired_node_id, 7U);
    // The driver refuses the node id: the next attach asks for none.
    AttachResponse rej;
    rej.correlation_id = proxy.attaches[1].correlation_id;
    rej.code = ResponseCode::Rejected;
    rej.error_message = "node_id unavailable";
    c.on_attach_response(rej, 2 * S);
    c.do_work(10 * S);
    ASSERT_EQ(proxy.attaches.size(), 3U);
    EXPECT_FALSE(proxy.attaches[2].desired_node_id);
}

TEST_F(DriverClientTest, DriverSilenceLosesLeaseAfterThreePeriods) {
    auto& c = make(Role::Consumer);
    attach_ok();
    c.on_announce(10000, 100, S);
    c.do_work(S + 3 * S);
    EXPECT_EQ(c.state(), DriverClientState::Attached);
    c.do_work(S + 3 * S + 1);
    ASSERT_EQ(listener.lost.size(), 1U);
    EXPECT_EQ(listener.lost[0], LeaseLoss::DriverSilent);
}

TEST_F(DriverClientTest, ProducerSeesForeignEpochAsLostLeaseDriver6) {
    auto& c = make(Role::Producer);
    attach_ok();
    c.on_announce(10000, 100, S);
    EXPECT_EQ(c.state(), DriverClientState::Attached);
    c.on_announce(10001, 500, S);
    EXPECT_EQ(c.state(), DriverClientState::Attached) << "other streams do not matter";
    c.on_announce(10000, 101, S);
    ASSERT_EQ(listener.lost.size(), 1U);
    EXPECT_EQ(listener.lost[0], LeaseLoss::EpochChanged);
}

TEST_F(DriverClientTest, ConsumerKeepsLeaseAcrossEpochChanges) {
    auto& c = make(Role::Consumer);
    attach_ok();
    c.on_announce(10000, 101, S);
    EXPECT_EQ(c.state(), DriverClientState::Attached);
}

TEST_F(DriverClientTest, DriverShutdownInvalidatesAndRetriesDriver413) {
    auto& c = make();
    attach_ok();
    c.on_driver_shutdown(tp::driver::ShutdownNotice{}, S);
    ASSERT_EQ(listener.lost.size(), 1U);
    EXPECT_EQ(listener.lost[0], LeaseLoss::DriverShutdown);
    EXPECT_EQ(c.state(), DriverClientState::Backoff);
}

TEST_F(DriverClientTest, KeepaliveSendFailureIsFatalDriver44) {
    auto& c = make();
    attach_ok();
    proxy.connected = false;
    c.do_work(S);
    ASSERT_EQ(listener.lost.size(), 1U);
    EXPECT_EQ(listener.lost[0], LeaseLoss::KeepaliveFailed);
}

TEST_F(DriverClientTest, CloseDetachesWithLeaseIdentity) {
    auto& c = make(Role::Consumer);
    auto r = attach_ok();
    c.close(S);
    ASSERT_EQ(proxy.detaches.size(), 1U);
    EXPECT_EQ(proxy.detaches[0].lease_id, *r.lease_id);
    EXPECT_EQ(proxy.detaches[0].client_id, c.client_id());
    EXPECT_EQ(proxy.detaches[0].role, 2);
    EXPECT_EQ(c.state(), DriverClientState::Detaching);
    c.on_detach_response(tp::driver::DetachResponse{proxy.detaches[0].correlation_id, ResponseCode::Ok, ""}, S);
    EXPECT_EQ(c.state(), DriverClientState::Closed);
}

TEST_F(DriverClientTest, NotConnectedAttachBacksOff) {
    auto& c = make();
    proxy.connected = false;
    c.open(0);
    EXPECT_EQ(c.state(), DriverClientState::Backoff);
}

} // namespace

namespace {
TEST_F(DriverClientTest, TimestampsFromBeforeTheAttachDoNotLookSilent) {
    auto& c = make();
    c.open(0);
    c.on_attach_response(ok_response(proxy.attaches.back()), 10 * S);
    c.do_work(10 * S - 1); // a duty cycle that read the clock before the response was handled
    EXPECT_EQ(c.state(), DriverClientState::Attached);
}
} // namespace

namespace {
TEST_F(DriverClientTest, NoDriverYetRetriesAtTheBaseInterval) {
    auto& c = make();
    proxy.connected = false;
    c.open(0);
    for (std::uint64_t t = 1; t <= 5; ++t) {
        c.do_work(t * S); // base retry interval 1 s, never doubled while nobody listens
    }
    EXPECT_EQ(proxy.attaches.size(), 6U);
}
} // namespace
