// SPDX-License-Identifier: Apache-2.0
// Real `tensorpool driver` processes driven over the built-in transport by a test client.
// Synchronisation is on observed messages with deadlines, never on sleeps.
#include "control_client.hpp"
#include "process_harness.hpp"
#include "shm/region_set.hpp"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using tp::driver::AttachRequest;
using tp::driver::AttachResponse;
using tp::driver::ResponseCode;
using tp::driver::Role;
using tp::test::ChildProcess;
using tp::test::ControlClient;
using tp::test::ControlEvent;
namespace fs = std::filesystem;

auto tensorpool_exe() -> std::string {
    return tp::test::binary_dir() + "/apps/tensorpool/tensorpool";
}

class DriverSystemTest : public ::testing::Test {
protected:
    void SetUp() override {
        transport_dir = dir.file("transport");
        shm_dir = dir.file("shm");
        fs::create_directories(shm_dir);
    }

    void write_config(const std::string& extra_policies = "", const std::string& extra = "") {
        std::ofstream out(dir.file("driver.toml"));
        out << "[driver]\ntransport_dir = \"" << transport_dir << "\"\n"
            << "stream_id_range = \"20000-20001\"\n"
            << "[shm]\nbase_dir = \"" << shm_dir << "\"\n"
            << "[policies]\nannounce_period_ms = 100\nlease_keepalive_interval_ms = 100\n"
            << "lease_expiry_grace_intervals = 3\nshutdown_timeout_ms = 200\nshutdown_token = \"s3cret\"\n"
            << "allow_dynamic_streams = true\nprefault_shm = false\n"
            << extra_policies << "\n"
            << "[profiles.cam]\nheader_nslots = 16\n"
            << "payload_pools = [ { pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 65536 } ]\n"
            << "[streams.cam]\nstream_id = 10000\nprofile = \"cam\"\n"
            << extra;
    }

    auto start_driver(const std::string& log = "driver.log") -> ChildProcess {
        return ChildProcess::spawn(tensorpool_exe(), {"driver", "--config", dir.file("driver.toml")}, dir.file(log));
    }

    auto client() -> std::unique_ptr<ControlClient> {
        auto c = ControlClient::create(transport_dir);
        EXPECT_TRUE(c);
        return c;
    }

    template <typename T>
    static auto is(const ControlEvent& e) -> const T* {
        return std::get_if<T>(&e);
    }

    tp::test::TempDir dir{"tp-drv-sys-"};
    std::string transport_dir;
    std::string shm_dir;
};

TEST_F(DriverSystemTest, AttachOkContractAndRegionsOnDiskDriver42) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    auto r = c->attach_and_wait(77, Role::Producer);
    ASSERT_TRUE(r) << drv.output();
    ASSERT_EQ(r->code, ResponseCode::Ok) << r->error_message;
    ASSERT_TRUE(r->lease_id && r->lease_expiry_timestamp_ns && r->stream_id && r->epoch && r->layout_version &&
                r->header_nslots && r->header_slot_bytes);
    EXPECT_EQ(*r->stream_id, 10000U);
    EXPECT_EQ(*r->layout_version, 1U);
    EXPECT_EQ(*r->header_nslots, 16U);
    EXPECT_EQ(*r->header_slot_bytes, 256);
    EXPECT_TRUE(r->node_id);
    ASSERT_EQ(r->pools.size(), 2U);
    EXPECT_EQ(r->pools[0].pool_id, 1);
    EXPECT_EQ(r->pools[0].stride_bytes, 4096U);
    EXPECT_EQ(r->pools[1].pool_nslots, 16U);
    // The regions exist and validate against the response (superblocks per D-08).
    tp::shm::RegionSetSpec spec;
    spec.stream_id = *r->stream_id;
    spec.epoch = *r->epoch;
    spec.header_nslots = *r->header_nslots;
    spec.header_region_uri = r->header_region_uri;
    for (const auto& p : r->pools) {
        spec.pools.push_back({p.pool_id, p.pool_nslots, p.stride_bytes, p.region_uri});
    }
    EXPECT_TRUE(tp::shm::validate_region_set_spec(spec));
    const std::string path = r->header_region_uri.substr(std::string("shm:file?path=").size());
    EXPECT_TRUE(fs::is_regular_file(path)) << path;
    EXPECT_EQ(path.rfind(shm_dir, 0), 0U) << "regions live under shm.base_dir";
    // An announce with producerId = clientId follows (D-32).
    auto idx = c->wait_for(
        [&](const ControlEvent& e) {
            auto* a = is<tp::control::PoolAnnounce>(e);
            return a != nullptr && a->stream_id == 10000 && a->epoch == *r->epoch && a->producer_id == 77;
        },
        5s);
    EXPECT_TRUE(idx);
}

TEST_F(DriverSystemTest, RejectionCodesOverTheWireD34) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    ASSERT_TRUE(c->attach_and_wait(1, Role::Producer));
    auto second = c->attach_and_wait(2, Role::Producer);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->code, ResponseCode::Rejected);
    EXPECT_FALSE(second->lease_id);
    auto dup = c->attach_and_wait(1, Role::Consumer);
    EXPECT_EQ(dup->code, ResponseCode::Rejected);
    EXPECT_EQ(dup->error_message, "client_id already attached");
    auto zero = c->attach_and_wait(0, Role::Consumer);
    EXPECT_EQ(zero->code, ResponseCode::InvalidParams);
    auto unknown = c->attach_and_wait(3, Role::Consumer, 12345);
    EXPECT_EQ(unknown->code, ResponseCode::Rejected);
    auto bad_mode = c->attach_and_wait(4, Role::Consumer, 10000, 9);
    EXPECT_EQ(bad_mode->code, ResponseCode::Unsupported);
    // A version-2 ShmAttachRequest: UNSUPPORTED, correlation id echoed (Driver §4.4a).
    AttachRequest req;
    req.correlation_id = 424242;
    req.client_id = 5;
    req.role = 2;
    req.stream_id = 10000;
    ASSERT_TRUE(c->attach(req));
    auto v1 = c->wait_attach(424242);
    ASSERT_TRUE(v1);
    EXPECT_EQ(v1->code, ResponseCode::Ok);
    // The same request as schema version 2: header {blockLength 32, template 1, schema 901, version 2}.
    req.correlation_id = 424243;
    std::vector<std::uint8_t> raw = {32, 0, 1, 0, 0x85, 0x03, 2, 0};
    raw.resize(8 + 32);
    std::memcpy(raw.data() + 8, &req.correlation_id, 8);
    ASSERT_TRUE(c->send_raw(raw));
    auto v2 = c->wait_attach(424243);
    ASSERT_TRUE(v2);
    EXPECT_EQ(v2->code, ResponseCode::Unsupported);
}

TEST_F(DriverSystemTest, KilledProducerExpiresThenEpochBumpsD31D38) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    ASSERT_TRUE(c->attach_and_wait(1, Role::Consumer)); // the driver is up
    // A producer in another process attaches and keeps its lease alive, then is killed -9.
    const std::string tdir = transport_dir;
    auto producer = ChildProcess::fork_function([tdir] {
        auto pc = ControlClient::create(tdir);
        auto r = pc->attach_and_wait(900, Role::Producer);
        if (!r || r->code != ResponseCode::Ok) {
            return 2;
        }
        for (;;) {
            pc->keepalive({*r->lease_id, 10000, 900, 1, 0});
            pc->pump_for(50ms);
        }
    });
    auto attached = c->wait_for(
        [](const ControlEvent& e) {
            auto* r = is<AttachResponse>(e);
            return r != nullptr && r->code == ResponseCode::Ok && r->epoch.has_value() && r->lease_id &&
                   r->stream_id == 10000U && r->node_id && r->pools.size() == 2 && r->correlation_id > 0 &&
                   r->lease_expiry_timestamp_ns && r->layout_version == 1U && r->header_slot_bytes == 256 &&
                   r->header_nslots == 16U;
        },
        10s);
    ASSERT_TRUE(attached);
    // Find the producer's announce, then its epoch.
    auto prod_announce = c->wait_for(
        [](const ControlEvent& e) {
            auto* a = is<tp::control::PoolAnnounce>(e);
            return a != nullptr && a->producer_id == 900;
        },
        10s);
    ASSERT_TRUE(prod_announce);
    const auto epoch = std::get<tp::control::PoolAnnounce>(c->events()[*prod_announce]).epoch;
    producer.kill(SIGKILL);
    producer.wait(5s);
    const auto mark = c->events().size();
    auto revoked = c->wait_for(
        [](const ControlEvent& e) {
            auto* r = is<tp::driver::LeaseRevoked>(e);
            return r != nullptr && r->client_id == 900 && r->reason == tp::driver::RevokeReason::Expired;
        },
        10s, mark);
    ASSERT_TRUE(revoked) << drv.output();
    auto bumped = c->wait_for(
        [&](const ControlEvent& e) {
            auto* a = is<tp::control::PoolAnnounce>(e);
            return a != nullptr && a->stream_id == 10000 && a->epoch > epoch;
        },
        10s, *revoked);
    ASSERT_TRUE(bumped) << "an announce with a strictly greater epoch follows the revoke";
    EXPECT_EQ(std::get<tp::control::PoolAnnounce>(c->events()[*bumped]).producer_id, 0U);
}

TEST_F(DriverSystemTest, DetachAndKeepaliveAfterDetachD39) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    auto p = c->attach_and_wait(10, Role::Producer);
    ASSERT_EQ(p->code, ResponseCode::Ok);
    const auto mark = c->events().size();
    ASSERT_TRUE(c->detach({555, *p->lease_id, 10000, 10, 1}));
    auto rsp = c->wait_for(
        [](const ControlEvent& e) {
            auto* d = is<tp::driver::DetachResponse>(e);
            return d != nullptr && d->correlation_id == 555;
        },
        10s, mark);
    ASSERT_TRUE(rsp);
    EXPECT_EQ(std::get<tp::driver::DetachResponse>(c->events()[*rsp]).code, ResponseCode::Ok);
    // Revoked(DETACHED) and the bumped announce came before the detach response (D-31).
    auto rev = c->wait_for(
        [](const ControlEvent& e) {
            auto* r = is<tp::driver::LeaseRevoked>(e);
            return r != nullptr && r->client_id == 10 && r->reason == tp::driver::RevokeReason::Detached;
        },
        1s, mark);
    ASSERT_TRUE(rev);
    EXPECT_LT(*rev, *rsp);
    // Keepalives for the dead lease do not revive it: the client id stays free for a new lease.
    c->keepalive({*p->lease_id, 10000, 10, 1, 0});
    auto again = c->attach_and_wait(10, Role::Producer);
    EXPECT_EQ(again->code, ResponseCode::Ok);
    EXPECT_GT(*again->epoch, *p->epoch);
    // A second detach of the old lease is REJECTED.
    ASSERT_TRUE(c->detach({556, *p->lease_id, 10000, 10, 1}));
    auto rej = c->wait_for(
        [](const ControlEvent& e) {
            auto* d = is<tp::driver::DetachResponse>(e);
            return d != nullptr && d->correlation_id == 556;
        },
        10s);
    ASSERT_TRUE(rej);
    EXPECT_EQ(std::get<tp::driver::DetachResponse>(c->events()[*rej]).code, ResponseCode::Rejected);
}

TEST_F(DriverSystemTest, ShutdownNeedsTheTokenD41) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    ASSERT_TRUE(c->attach_and_wait(1, Role::Producer));
    ASSERT_TRUE(c->shutdown({1, 1, "wrong", "no"}));
    ASSERT_TRUE(c->shutdown({2, 1, "", "no"}));
    EXPECT_FALSE(
        c->wait_for([](const ControlEvent& e) { return is<tp::driver::ShutdownNotice>(e) != nullptr; }, 500ms));
    EXPECT_TRUE(drv.running());
    ASSERT_TRUE(c->shutdown({3, 1, "s3cret", "maintenance window"}));
    auto notice = c->wait_for([](const ControlEvent& e) { return is<tp::driver::ShutdownNotice>(e) != nullptr; }, 10s);
    ASSERT_TRUE(notice);
    const auto& n = std::get<tp::driver::ShutdownNotice>(c->events()[*notice]);
    EXPECT_EQ(n.reason, tp::driver::ShutdownReason::Admin);
    EXPECT_EQ(n.error_message, "maintenance window");
    auto st = drv.wait(10s);
    EXPECT_TRUE(st.ok()) << st.describe();
}

TEST_F(DriverSystemTest, SigtermDrainsAndAnnouncesShutdown) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    ASSERT_TRUE(c->attach_and_wait(1, Role::Consumer));
    drv.kill(SIGTERM);
    EXPECT_TRUE(c->wait_for([](const ControlEvent& e) { return is<tp::driver::ShutdownNotice>(e) != nullptr; }, 10s));
    EXPECT_TRUE(drv.wait(10s).ok());
}

TEST_F(DriverSystemTest, RestartGivesStrictlyGreaterEpochD22) {
    write_config();
    std::uint64_t first = 0;
    {
        auto drv = start_driver("driver1.log");
        auto c = client();
        auto r = c->attach_and_wait(1, Role::Producer);
        ASSERT_EQ(r->code, ResponseCode::Ok);
        first = *r->epoch;
        drv.kill(SIGKILL);
        drv.wait(5s);
    }
    auto drv = start_driver("driver2.log");
    auto c = client();
    auto r = c->attach_and_wait(1, Role::Producer);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->code, ResponseCode::Ok) << r->error_message;
    EXPECT_GT(*r->epoch, first);
}

TEST_F(DriverSystemTest, DynamicStreamsAndExhaustionD36) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    auto a = c->attach_and_wait(1, Role::Producer, 99999, 2);
    ASSERT_EQ(a->code, ResponseCode::Ok) << a->error_message;
    EXPECT_EQ(*a->stream_id, 20000U);
    auto b = c->attach_and_wait(2, Role::Producer, 99999, 2);
    EXPECT_EQ(*b->stream_id, 20001U);
    auto full = c->attach_and_wait(3, Role::Producer, 99999, 2);
    EXPECT_EQ(full->code, ResponseCode::InvalidParams);
}

TEST_F(DriverSystemTest, EpochGcRemovesOldEpochsD42) {
    write_config("epoch_gc_keep = 2\nepoch_gc_min_age_ns = 1000000");
    auto drv = start_driver();
    auto c = client();
    std::vector<std::uint64_t> epochs;
    for (int i = 0; i < 5; ++i) {
        auto r = c->attach_and_wait(50, Role::Producer);
        ASSERT_EQ(r->code, ResponseCode::Ok);
        epochs.push_back(*r->epoch);
        const auto corr = c->next_correlation_id();
        ASSERT_TRUE(c->detach({corr, *r->lease_id, 10000, 50, 1}));
        ASSERT_TRUE(c->wait_for(
            [&](const ControlEvent& e) {
                auto* d = is<tp::driver::DetachResponse>(e);
                return d != nullptr && d->correlation_id == corr;
            },
            10s));
        c->pump_for(5ms); // older than epoch_gc_min_age_ns
    }
    const std::string header = std::get<AttachResponse>(c->events()[0]).header_region_uri;
    // <shm>/tensorpool-<user>/default/10000/<epoch>/header.ring
    const fs::path stream_dir =
        fs::path(header.substr(std::string("shm:file?path=").size())).parent_path().parent_path();
    std::size_t dirs = 0;
    for (const auto& e : fs::directory_iterator(stream_dir)) {
        dirs += e.is_directory() ? 1 : 0;
    }
    EXPECT_LE(dirs, 2U) << "the current epoch and one older are kept";
    EXPECT_FALSE(fs::exists(stream_dir / std::to_string(epochs[0])));
}

TEST_F(DriverSystemTest, MalformedAndRandomControlMessagesNeverWedgeTheDriver) {
    write_config();
    auto drv = start_driver();
    auto c = client();
    ASSERT_TRUE(c->attach_and_wait(1, Role::Consumer));
    std::mt19937 rng(1234);
    for (int i = 0; i < 2000; ++i) {
        std::vector<std::uint8_t> junk(rng() % 200);
        for (auto& b : junk) {
            b = static_cast<std::uint8_t>(rng());
        }
        if (junk.size() >= 8 && i % 2 == 0) {
            // A plausible driver header with a random body, to reach the decoders.
            const std::uint16_t hdr[4] = {static_cast<std::uint16_t>(rng() % 64),
                                          static_cast<std::uint16_t>(1 + rng() % 8), 901, 1};
            std::memcpy(junk.data(), hdr, sizeof(hdr));
        }
        c->send_raw(junk);
        if (i % 64 == 0) {
            c->poll();
        }
    }
    auto r = c->attach_and_wait(2, Role::Producer);
    ASSERT_TRUE(r) << "the driver still answers";
    EXPECT_EQ(r->code, ResponseCode::Ok);
    EXPECT_TRUE(drv.running());
}

} // namespace
