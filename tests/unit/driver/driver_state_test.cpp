// SPDX-License-Identifier: Apache-2.0
// The driver state machine against a fake filesystem and a recording control plane, with a manual
// clock. Each test names the Driver spec clause or SPEC_DECISIONS entry it checks.
#include "driver/driver_state.hpp"

#include <set>
#include <variant>

#include <gtest/gtest.h>

namespace {

using namespace tp::driver;
using tp::common::ManualClock;

constexpr std::uint64_t MS = 1'000'000ULL;

class FakeProvisioner final : public RegionProvisioner {
public:
    auto provision(std::uint32_t stream_id, std::uint64_t epoch, const ProfileConfig& profile, bool hugepages)
        -> tp::Expected<StreamLayout> override {
        if (fail_next) {
            fail_next = false;
            return tp::make_error(tp::ErrorCode::IoError, "disk full");
        }
        provisioned.emplace_back(stream_id, epoch);
        StreamLayout l;
        l.stream_id = stream_id;
        l.epoch = epoch;
        l.header_nslots = profile.header_nslots;
        const std::string dir =
            "/dev/shm/tensorpool-u/default/" + std::to_string(stream_id) + "/" + std::to_string(epoch) + "/";
        const std::string suffix = hugepages ? "|require_hugepages=true" : "";
        l.header_region_uri = "shm:file?path=" + dir + "header.ring" + suffix;
        for (const auto& p : profile.payload_pools) {
            l.pools.push_back(PoolLayout{p.pool_id, profile.header_nslots, p.stride_bytes,
                                         "shm:file?path=" + dir + std::to_string(p.pool_id) + ".pool" + suffix});
        }
        return l;
    }
    [[nodiscard]] auto largest_existing_epoch(std::uint32_t) const -> std::uint64_t override { return existing_epoch; }
    void collect_epochs(std::uint32_t stream_id, std::uint64_t current) override {
        gc_calls.emplace_back(stream_id, current);
    }
    void remove_stream(std::uint32_t stream_id) override { removed.push_back(stream_id); }
    [[nodiscard]] auto base_is_hugetlbfs() const -> bool override { return hugetlbfs; }

    bool fail_next{false};
    bool hugetlbfs{false};
    std::uint64_t existing_epoch{0};
    std::vector<std::pair<std::uint32_t, std::uint64_t>> provisioned;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> gc_calls;
    std::vector<std::uint32_t> removed;
};

using Event = std::variant<AttachResponse, DetachResponse, LeaseRevoked, PoolAnnounce, ShutdownNotice>;

class RecordingProxy final : public DriverProxy {
public:
    void send_attach_response(const AttachResponse& r) override { events.emplace_back(r); }
    void send_detach_response(const DetachResponse& r) override { events.emplace_back(r); }
    void send_lease_revoked(const LeaseRevoked& r) override { events.emplace_back(r); }
    void send_announce(const PoolAnnounce& a) override { events.emplace_back(a); }
    void send_shutdown(const ShutdownNotice& n) override { events.emplace_back(n); }

    template <typename T>
    auto all() const -> std::vector<T> {
        std::vector<T> out;
        for (const auto& e : events) {
            if (const auto* p = std::get_if<T>(&e)) {
                out.push_back(*p);
            }
        }
        return out;
    }
    template <typename T>
    auto last() const -> T {
        auto v = all<T>();
        EXPECT_FALSE(v.empty());
        return v.empty() ? T{} : v.back();
    }
    // Index of each event kind in order, for ordering checks: 'A'ttach, 'D'etach, 'R'evoke, 'P'ool, 'S'hutdown.
    auto kinds() const -> std::string {
        std::string s;
        for (const auto& e : events) {
            s += "ADRPS"[e.index()];
        }
        return s;
    }
    std::vector<Event> events;
};

class DriverStateTest : public ::testing::Test {
protected:
    void SetUp() override {
        config = DriverConfig::defaults();
        config.profiles[0].header_nslots = 64;
        config.driver.stream_id_range = tp::common::IdRange{20000, 20001};
        config.policies.shutdown_token = "secret";
        make_state();
    }
    void make_state() {
        state = std::make_unique<DriverState>(config, fs, proxy, clock, 1000);
        state->start();
    }
    auto attach(std::uint32_t client, Role role, std::uint32_t stream = 10000, std::int64_t corr = 0)
        -> AttachResponse {
        AttachRequest req;
        req.correlation_id = corr != 0 ? corr : next_corr++;
        req.stream_id = stream;
        req.client_id = client;
        req.role = static_cast<std::uint8_t>(role);
        req.publish_mode = static_cast<std::uint8_t>(PublishMode::RequireExisting);
        return attach(req);
    }
    auto attach(const AttachRequest& req) -> AttachResponse {
        state->on_attach(req);
        return proxy.last<AttachResponse>();
    }
    auto keepalive(const AttachResponse& r, std::uint32_t client, Role role) {
        state->on_keepalive(Keepalive{*r.lease_id, *r.stream_id, client, static_cast<std::uint8_t>(role), 0});
    }

    DriverConfig config;
    FakeProvisioner fs;
    RecordingProxy proxy;
    ManualClock clock{5'000'000'000ULL};
    std::unique_ptr<DriverState> state;
    std::int64_t next_corr{77};
};

TEST_F(DriverStateTest, AttachOkContractFieldByFieldDriver42) {
    auto r = attach(42, Role::Producer);
    ASSERT_EQ(r.code, ResponseCode::Ok) << r.error_message;
    EXPECT_EQ(r.correlation_id, 77);
    ASSERT_TRUE(r.lease_id);
    EXPECT_NE(*r.lease_id, 0U);
    ASSERT_TRUE(r.lease_expiry_timestamp_ns);
    EXPECT_EQ(*r.lease_expiry_timestamp_ns, clock.monotonic_ns() + 3000 * MS); // D-38: interval x grace
    EXPECT_EQ(r.stream_id, 10000U);
    EXPECT_EQ(r.epoch, clock.monotonic_ns()); // D-22: first = max(1, now)
    EXPECT_EQ(r.layout_version, 1U);
    EXPECT_EQ(r.header_nslots, 64U);
    EXPECT_EQ(r.header_slot_bytes, 256);
    EXPECT_EQ(r.node_id, 1U); // D-40: lowest free first
    ASSERT_EQ(r.pools.size(), 2U);
    for (const auto& p : r.pools) {
        EXPECT_EQ(p.pool_nslots, 64U); // Driver §4.2: poolNslots == headerNslots
        EXPECT_FALSE(p.region_uri.empty());
    }
    EXPECT_FALSE(r.header_region_uri.empty());
    EXPECT_TRUE(r.error_message.empty());
    // D-32: an announce follows every attach, with producerId = the producer's clientId.
    EXPECT_EQ(proxy.kinds(), "AP");
    auto a = proxy.last<PoolAnnounce>();
    EXPECT_EQ(a.producer_id, 42U);
    EXPECT_EQ(a.layout.epoch, *r.epoch);
}

TEST_F(DriverStateTest, EpochBumpsOnProducerAttachNotConsumerD31) {
    auto c = attach(1, Role::Consumer); // first provisioning
    ASSERT_EQ(c.code, ResponseCode::Ok);
    const auto e1 = *c.epoch;
    auto c2 = attach(2, Role::Consumer);
    EXPECT_EQ(*c2.epoch, e1) << "consumer leases never bump";
    auto p = attach(3, Role::Producer);
    ASSERT_EQ(p.code, ResponseCode::Ok);
    EXPECT_GT(*p.epoch, e1);
    EXPECT_EQ(*p.epoch, e1 + 1); // clock unchanged: max(prev + 1, now)
    EXPECT_EQ(fs.provisioned.size(), 2U);
}

TEST_F(DriverStateTest, EpochStrictlyGreaterThanExistingDirsD22) {
    fs.existing_epoch = clock.monotonic_ns() + 1'000'000;
    auto r = attach(1, Role::Producer);
    EXPECT_EQ(*r.epoch, fs.existing_epoch + 1);
}

struct RejectCase {
    const char* name;
    ResponseCode code;
    const char* message_part;
};

TEST_F(DriverStateTest, RejectionCodesD34) {
    auto base = [&] {
        AttachRequest r;
        r.correlation_id = next_corr++;
        r.stream_id = 10000;
        r.client_id = 500 + static_cast<std::uint32_t>(next_corr);
        r.role = 1;
        r.publish_mode = 1;
        return r;
    };
    auto expect = [&](AttachRequest r, ResponseCode code, const std::string& part) {
        auto rsp = attach(r);
        EXPECT_EQ(rsp.code, code) << part << ": " << rsp.error_message;
        EXPECT_NE(rsp.error_message.find(part), std::string::npos) << rsp.error_message;
        EXPECT_FALSE(rsp.lease_id);
        EXPECT_FALSE(rsp.epoch);
        EXPECT_TRUE(rsp.pools.empty());
        EXPECT_TRUE(rsp.header_region_uri.empty());
    };
    auto r = base();
    r.schema_version = 2;
    expect(r, ResponseCode::Unsupported, "schema version");
    r = base();
    r.publish_mode = 9;
    expect(r, ResponseCode::Unsupported, "publishMode");
    r = base();
    r.client_id = 0;
    expect(r, ResponseCode::InvalidParams, "clientId");
    r = base();
    r.role = 7;
    expect(r, ResponseCode::InvalidParams, "role");
    r = base();
    r.require_hugepages = 3;
    expect(r, ResponseCode::InvalidParams, "requireHugepages");
    r = base();
    r.expected_layout_version = 2;
    expect(r, ResponseCode::Rejected, "expectedLayoutVersion");
    r = base();
    r.stream_id = 12345;
    expect(r, ResponseCode::Rejected, "not provisioned");
    r = base();
    r.require_hugepages = 2;
    expect(r, ResponseCode::Rejected, "hugepages");
    r = base();
    r.desired_node_id = 5000;
    expect(r, ResponseCode::Rejected, "node_id unavailable");
    fs.fail_next = true;
    expect(base(), ResponseCode::InternalError, "regions");
    EXPECT_EQ(state->counters().attach_rejects[1], 2U);
    EXPECT_EQ(state->counters().attach_rejects[2], 3U);
    EXPECT_EQ(state->counters().attach_rejects[3], 4U);
    EXPECT_EQ(state->counters().attach_rejects[4], 1U);
    EXPECT_EQ(state->leases().size(), 0U);
}

TEST_F(DriverStateTest, ExclusiveProducerDriver5) {
    ASSERT_EQ(attach(1, Role::Producer).code, ResponseCode::Ok);
    auto r = attach(2, Role::Producer);
    EXPECT_EQ(r.code, ResponseCode::Rejected);
    EXPECT_NE(r.error_message.find("producer already attached"), std::string::npos);
    EXPECT_EQ(attach(3, Role::Consumer).code, ResponseCode::Ok);
}

TEST_F(DriverStateTest, ClientIdUniquenessD33) {
    ASSERT_EQ(attach(9, Role::Consumer).code, ResponseCode::Ok);
    auto r = attach(9, Role::Producer);
    EXPECT_EQ(r.code, ResponseCode::Rejected);
    EXPECT_EQ(r.error_message, "client_id already attached");
}

TEST_F(DriverStateTest, DuplicateCorrelationIdGetsSameAnswerDriver48) {
    auto first = attach(9, Role::Producer, 10000, 555);
    ASSERT_EQ(first.code, ResponseCode::Ok);
    auto again = attach(9, Role::Producer, 10000, 555);
    EXPECT_EQ(again.code, ResponseCode::Ok);
    EXPECT_EQ(again.lease_id, first.lease_id);
    EXPECT_EQ(again.epoch, first.epoch);
    EXPECT_EQ(state->leases().size(), 1U);
    EXPECT_EQ(state->counters().attach_duplicates, 1U);
}

TEST_F(DriverStateTest, LeaseIdsUniqueAndNonZeroD33) {
    std::set<std::uint64_t> ids;
    for (std::uint32_t c = 1; c <= 20; ++c) {
        auto r = attach(c, Role::Consumer);
        ASSERT_EQ(r.code, ResponseCode::Ok);
        EXPECT_TRUE(ids.insert(*r.lease_id).second);
        EXPECT_NE(*r.lease_id, 0U);
        EXPECT_NE(*r.lease_id, UINT64_MAX);
    }
}

TEST_F(DriverStateTest, KeepaliveExtendsAndExpiryRevokesThenBumpsD38D31) {
    auto p = attach(1, Role::Producer);
    auto c = attach(2, Role::Consumer);
    const auto epoch = *p.epoch;
    // Keep both alive for 10 s.
    for (int i = 0; i < 10; ++i) {
        clock.advance_ns(1000 * MS);
        keepalive(p, 1, Role::Producer);
        keepalive(c, 2, Role::Consumer);
        state->do_work();
    }
    EXPECT_EQ(state->leases().size(), 2U);
    EXPECT_EQ(state->counters().expiries, 0U);
    // The producer stops; after interval x grace (+ one check period) it expires.
    proxy.events.clear();
    for (int i = 0; i < 16; ++i) {
        clock.advance_ns(250 * MS);
        keepalive(c, 2, Role::Consumer);
        state->do_work();
    }
    EXPECT_EQ(state->counters().expiries, 1U);
    auto revs = proxy.all<LeaseRevoked>();
    ASSERT_EQ(revs.size(), 1U);
    EXPECT_EQ(revs[0].reason, RevokeReason::Expired);
    EXPECT_EQ(revs[0].lease_id, *p.lease_id);
    EXPECT_EQ(revs[0].role, Role::Producer);
    // Revoked strictly before the epoch-bumped announce (Driver §4.9, D-31).
    auto kinds = proxy.kinds();
    auto r_at = kinds.find('R');
    auto bumped =
        std::find_if(proxy.events.begin() + static_cast<std::ptrdiff_t>(r_at), proxy.events.end(), [&](const Event& e) {
            const auto* a = std::get_if<PoolAnnounce>(&e);
            return a != nullptr && a->layout.epoch > epoch;
        });
    ASSERT_NE(bumped, proxy.events.end());
    EXPECT_EQ(std::get<PoolAnnounce>(*bumped).producer_id, 0U);
    EXPECT_EQ(state->leases().size(), 1U);
}

TEST_F(DriverStateTest, MismatchedKeepaliveIsIgnoredD38) {
    auto p = attach(1, Role::Producer);
    state->on_keepalive(Keepalive{*p.lease_id, 10000, 999, 1, 0}); // wrong client
    state->on_keepalive(Keepalive{*p.lease_id, 10001, 1, 1, 0});   // wrong stream
    state->on_keepalive(Keepalive{*p.lease_id, 10000, 1, 2, 0});   // wrong role
    EXPECT_EQ(state->counters().keepalives_ignored, 3U);
    clock.advance_ns(3001 * MS);
    state->do_work();
    EXPECT_EQ(state->counters().expiries, 1U);
}

TEST_F(DriverStateTest, DetachOrderAndIdempotenceD39D31) {
    auto p = attach(1, Role::Producer);
    proxy.events.clear();
    state->on_detach(DetachRequest{901, *p.lease_id, 10000, 1, 1});
    EXPECT_EQ(proxy.kinds(), "RPD"); // revoked -> bumped announce -> detach response
    EXPECT_EQ(proxy.last<DetachResponse>().code, ResponseCode::Ok);
    EXPECT_EQ(proxy.last<DetachResponse>().correlation_id, 901);
    EXPECT_EQ(proxy.last<LeaseRevoked>().reason, RevokeReason::Detached);
    EXPECT_GT(proxy.last<PoolAnnounce>().layout.epoch, *p.epoch);
    // Second detach: REJECTED, no revoke.
    proxy.events.clear();
    state->on_detach(DetachRequest{902, *p.lease_id, 10000, 1, 1});
    EXPECT_EQ(proxy.kinds(), "D");
    EXPECT_EQ(proxy.last<DetachResponse>().code, ResponseCode::Rejected);
    // A keepalive after detach does not revive the lease.
    keepalive(p, 1, Role::Producer);
    EXPECT_EQ(state->leases().size(), 0U);
    EXPECT_EQ(state->counters().keepalives_ignored, 1U);
    // The stream takes a new producer.
    EXPECT_EQ(attach(1, Role::Producer).code, ResponseCode::Ok);
}

TEST_F(DriverStateTest, ConsumerDetachDoesNotBumpD31) {
    attach(1, Role::Producer);
    auto c = attach(2, Role::Consumer);
    const auto bumps = state->counters().epoch_bumps;
    proxy.events.clear();
    state->on_detach(DetachRequest{5, *c.lease_id, 10000, 2, 2});
    EXPECT_EQ(proxy.kinds(), "RD");
    EXPECT_EQ(state->counters().epoch_bumps, bumps);
}

TEST_F(DriverStateTest, NodeIdsLowestFirstWithCooldownD40) {
    auto a = attach(1, Role::Consumer);
    auto b = attach(2, Role::Consumer);
    EXPECT_EQ(a.node_id, 1U);
    EXPECT_EQ(b.node_id, 2U);
    state->on_detach(DetachRequest{1, *a.lease_id, 10000, 1, 2});
    // Id 1 is cooling down: a new client gets 3, another client cannot claim 1.
    EXPECT_EQ(attach(3, Role::Consumer).node_id, 3U);
    AttachRequest req;
    req.correlation_id = 4242;
    req.stream_id = 10000;
    req.client_id = 4;
    req.role = 2;
    req.publish_mode = 1;
    req.desired_node_id = 1;
    EXPECT_EQ(attach(req).code, ResponseCode::Rejected);
    // The previous holder may claim it back.
    req.client_id = 1;
    req.correlation_id = 4243;
    auto back = attach(req);
    EXPECT_EQ(back.code, ResponseCode::Ok);
    EXPECT_EQ(back.node_id, 1U);
    // After the cooldown anybody may have a released id.
    state->on_detach(DetachRequest{2, *back.lease_id, 10000, 1, 2});
    clock.advance_ns(1001 * MS);
    req.client_id = 4;
    req.correlation_id = 4244;
    EXPECT_EQ(attach(req).node_id, 1U);
}

TEST_F(DriverStateTest, DynamicStreamsAllocateFromRangeAndDieD36) {
    config.policies.allow_dynamic_streams = true;
    make_state();
    AttachRequest req;
    req.correlation_id = 1;
    req.stream_id = 55555; // ignored
    req.client_id = 1;
    req.role = 1;
    req.publish_mode = static_cast<std::uint8_t>(PublishMode::ExistingOrCreate);
    auto r1 = attach(req);
    ASSERT_EQ(r1.code, ResponseCode::Ok) << r1.error_message;
    EXPECT_EQ(r1.stream_id, 20000U);
    req.correlation_id = 2;
    req.client_id = 2;
    EXPECT_EQ(attach(req).stream_id, 20001U);
    req.correlation_id = 3;
    req.client_id = 3;
    auto full = attach(req);
    EXPECT_EQ(full.code, ResponseCode::InvalidParams);
    EXPECT_NE(full.error_message.find("exhausted"), std::string::npos);
    // REQUIRE_EXISTING for an unknown stream is refused even with dynamic streams on.
    req.correlation_id = 4;
    req.publish_mode = static_cast<std::uint8_t>(PublishMode::RequireExisting);
    EXPECT_EQ(attach(req).code, ResponseCode::Rejected);
    // The last lease ends: the dynamic stream is gone and its id reusable.
    state->on_detach(DetachRequest{5, *r1.lease_id, 20000, 1, 1});
    EXPECT_EQ(state->streams().count(20000), 0U);
    ASSERT_EQ(fs.removed.size(), 1U);
    EXPECT_EQ(fs.removed[0], 20000U);
    EXPECT_EQ(state->streams().count(10000), 1U) << "static streams never die";
}

TEST_F(DriverStateTest, PeriodicAnnouncesOnlyForStreamsWithEpochD32) {
    state->do_work();
    clock.advance_ns(1001 * MS);
    state->do_work();
    EXPECT_TRUE(proxy.all<PoolAnnounce>().empty()) << "configured streams never attached are not announced";
    attach(1, Role::Producer);
    proxy.events.clear();
    for (int i = 0; i < 5; ++i) {
        clock.advance_ns(1000 * MS);
        state->do_work();
        state->on_keepalive(Keepalive{state->leases().begin()->first, 10000, 1, 1, 0});
    }
    EXPECT_EQ(proxy.all<PoolAnnounce>().size(), 5U);
}

TEST_F(DriverStateTest, ShutdownNeedsTheRightTokenD41) {
    attach(1, Role::Producer);
    state->on_shutdown_request(ShutdownRequest{1, 1, "wrong", ""});
    state->on_shutdown_request(ShutdownRequest{2, 1, "", ""});
    EXPECT_EQ(state->phase(), DriverPhase::Running);
    EXPECT_EQ(state->counters().shutdown_requests_ignored, 2U);
    proxy.events.clear();
    state->on_shutdown_request(ShutdownRequest{3, 1, "secret", "maintenance"});
    EXPECT_EQ(state->phase(), DriverPhase::Draining);
    EXPECT_EQ(proxy.kinds(), "P"); // one announce per stream
    auto r = attach(7, Role::Consumer);
    EXPECT_EQ(r.code, ResponseCode::Rejected);
    EXPECT_EQ(r.error_message, "driver draining");
    clock.advance_ns(1999 * MS);
    state->do_work();
    EXPECT_TRUE(proxy.all<ShutdownNotice>().empty());
    clock.advance_ns(2 * MS);
    state->do_work();
    auto n = proxy.last<ShutdownNotice>();
    EXPECT_EQ(n.reason, ShutdownReason::Admin);
    EXPECT_EQ(n.error_message, "maintenance");
    EXPECT_EQ(state->phase(), DriverPhase::Stopped);
}

TEST_F(DriverStateTest, EmptyConfiguredTokenDisablesShutdownD41) {
    config.policies.shutdown_token = "";
    make_state();
    state->on_shutdown_request(ShutdownRequest{1, 1, "", ""});
    EXPECT_EQ(state->phase(), DriverPhase::Running);
}

TEST_F(DriverStateTest, HugepagesPolicyD37) {
    fs.hugetlbfs = true;
    AttachRequest req;
    req.correlation_id = 1;
    req.stream_id = 10000;
    req.client_id = 1;
    req.role = 1;
    req.publish_mode = 1;
    req.require_hugepages = static_cast<std::uint8_t>(HugepagesPolicy::Standard);
    EXPECT_EQ(attach(req).code, ResponseCode::Rejected);
    req.correlation_id = 2;
    req.require_hugepages = static_cast<std::uint8_t>(HugepagesPolicy::Hugepages);
    auto r = attach(req);
    ASSERT_EQ(r.code, ResponseCode::Ok);
    EXPECT_NE(r.header_region_uri.find("|require_hugepages=true"), std::string::npos);
}

TEST_F(DriverStateTest, ErrorMessagesAreTruncatedTo1024Driver42) {
    AttachRequest req;
    req.correlation_id = 1;
    req.stream_id = 10000;
    req.client_id = 1;
    req.role = 1;
    req.publish_mode = 1;
    req.require_hugepages = 2;
    auto r = attach(req);
    EXPECT_LE(r.error_message.size(), 1024U);
}

TEST_F(DriverStateTest, StartupGcWhenConfigured) {
    config.policies.epoch_gc_on_startup = true;
    fs.gc_calls.clear();
    make_state();
    ASSERT_EQ(fs.gc_calls.size(), 1U);
    EXPECT_EQ(fs.gc_calls[0].first, 10000U);
}

} // namespace
