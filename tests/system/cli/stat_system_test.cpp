// SPDX-License-Identifier: Apache-2.0
// `tensorpool stat` as a real process: it builds its table from the driver's announces, QoS
// messages and the control stream, in --json and in plain-text mode. QoS messages are published
// in a loop while stat runs (paced by polling the control stream), never after a sleep.
#include "cli_test_support.hpp"

#include "tensorpool/codec/control.hpp"

#include <csignal>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tp::driver::AttachResponse;
using tp::driver::ResponseCode;
using tp::driver::Role;
using tp::test::ChildProcess;
using tp::test::ControlClient;
using tp::test::cli::CHANNEL;
using tp::test::cli::CliSystemTest;
using tp::test::cli::StreamPublisher;
namespace wire = tp::codec::control;

using Bytes = std::vector<std::uint8_t>;

auto qos_producer(std::uint32_t producer, std::uint64_t epoch, std::uint64_t seq) -> Bytes {
    Bytes buf(128);
    wire::QosProducer m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size());
    m.clear();
    m.stream_id(10000).producer_id(producer).epoch(epoch).current_seq(seq);
    buf.resize(m.frame_length());
    return buf;
}

auto qos_consumer(std::uint32_t consumer, std::uint64_t epoch, std::uint64_t seq, std::uint64_t gaps) -> Bytes {
    Bytes buf(128);
    wire::QosConsumer m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size());
    m.clear();
    m.stream_id(10000).consumer_id(consumer).epoch(epoch).last_seq_seen(seq).drops_gap(gaps).drops_late(0);
    m.mode(wire::Mode::STREAM);
    buf.resize(m.frame_length());
    return buf;
}

auto data_source_announce(std::uint64_t epoch) -> Bytes {
    Bytes buf(256);
    wire::DataSourceAnnounce m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size());
    m.clear();
    m.stream_id(10000).producer_id(77).epoch(epoch).meta_version(3);
    m.put_name("cam-left");
    m.put_summary("rgb8 640x480");
    buf.resize(m.frame_length());
    return buf;
}

class StatSystemTest : public CliSystemTest {
protected:
    /// Attaches producer 77 then consumer 5 on stream 10000.
    void attach_both() {
        c = ControlClient::create(transport_dir);
        ASSERT_TRUE(c);
        producer = c->attach_and_wait(77, Role::Producer);
        ASSERT_TRUE(producer);
        ASSERT_EQ(producer->code, ResponseCode::Ok) << producer->error_message;
        consumer = c->attach_and_wait(5, Role::Consumer);
        ASSERT_TRUE(consumer);
        ASSERT_EQ(consumer->code, ResponseCode::Ok) << consumer->error_message;
        ASSERT_EQ(*consumer->epoch, *producer->epoch);
    }

    /// Until `child` exits (or the deadline): keepalives for both leases and QoS for both roles,
    /// every ~100 ms of polling the control stream. Returns the exit status.
    auto feed_until_exit(ChildProcess& child, StreamPublisher& qos, std::chrono::seconds timeout)
        -> tp::test::ExitStatus {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        const std::uint64_t epoch = *producer->epoch;
        std::uint64_t seq = 100;
        while (child.running() && std::chrono::steady_clock::now() < deadline) {
            seq += 10;
            c->keepalive({*producer->lease_id, 10000, 77, 1, seq});
            c->keepalive({*consumer->lease_id, 10000, 5, 2, seq});
            // An offer fails only once stat has closed its subscription; the snapshot is checked after.
            if (!qos.offer(qos_producer(77, epoch, seq)) || !qos.offer(qos_consumer(5, epoch, seq - 2, 1))) {
                break;
            }
            c->pump_for(100ms);
        }
        return child.wait(5s);
    }

    std::unique_ptr<ControlClient> c;
    std::optional<AttachResponse> producer;
    std::optional<AttachResponse> consumer;
};

TEST_F(StatSystemTest, JsonSnapshotSeesStreamEpochAndBothRoles) {
    auto drv = start_driver();
    attach_both();
    auto stat = spawn_cli({"stat", "--json", "--duration", "2.5"}, "stat.log");
    ASSERT_TRUE(wait_output(stat, "listening on")) << stat.output();
    StreamPublisher qos(transport_dir, CHANNEL, 1200);
    StreamPublisher meta(transport_dir, CHANNEL, 1300);
    ASSERT_TRUE(tp::test::wait_until([&] { return qos.connected() && meta.connected(); }, 10s));
    ASSERT_TRUE(meta.offer(data_source_announce(*producer->epoch)));
    // Driver-wide outcomes while stat listens: a rejected second producer, a detached consumer.
    auto second = c->attach_and_wait(78, Role::Producer);
    ASSERT_TRUE(second);
    ASSERT_EQ(second->code, ResponseCode::Rejected);
    auto extra = c->attach_and_wait(6, Role::Consumer);
    ASSERT_TRUE(extra);
    ASSERT_EQ(extra->code, ResponseCode::Ok);
    ASSERT_TRUE(c->detach({c->next_correlation_id(), *extra->lease_id, 10000, 6, 2}));

    const auto st = feed_until_exit(stat, qos, 20s);
    ASSERT_TRUE(st.ok()) << st.describe() << stat.output();
    const json doc = tp::test::cli::json_document(stat.output());
    ASSERT_FALSE(doc.is_discarded()) << stat.output();
    ASSERT_TRUE(doc["streams"].is_array());
    const json* row = nullptr;
    for (const auto& s : doc["streams"]) {
        if (s["stream_id"] == 10000) {
            row = &s;
        }
    }
    ASSERT_NE(row, nullptr) << doc.dump(2);
    const json& s = *row;
    EXPECT_EQ(s["epoch"], *producer->epoch);
    EXPECT_EQ(s["producer_id"], 77);
    EXPECT_EQ(s["header_nslots"], 16);
    ASSERT_EQ(s["pools"].size(), 2U);
    EXPECT_EQ(s["pools"][0]["pool_id"], 1);
    EXPECT_EQ(s["pools"][0]["stride_bytes"], 4096);
    EXPECT_EQ(s["pools"][1]["stride_bytes"], 65536);
    EXPECT_GE(s["announces"].get<int>(), 1);
    EXPECT_EQ(s["producer_qos"]["producer_id"], 77);
    EXPECT_EQ(s["producer_qos"]["epoch"], *producer->epoch);
    // Several QoS messages with growing sequence numbers give a rate.
    EXPECT_GT(s["producer_rate_hz"].get<double>(), 0.0);
    EXPECT_EQ(s["data_source"]["name"], "cam-left");
    EXPECT_EQ(s["data_source"]["summary"], "rgb8 640x480");
    EXPECT_EQ(s["data_source"]["meta_version"], 3);
    const json* cons = nullptr;
    for (const auto& cr : s["consumers"]) {
        if (cr["consumer_id"] == 5) {
            cons = &cr;
        }
    }
    ASSERT_NE(cons, nullptr) << s.dump(2);
    EXPECT_EQ((*cons)["mode"], "STREAM");
    EXPECT_GT((*cons)["last_seq_seen"].get<std::uint64_t>(), 100U);
    EXPECT_EQ((*cons)["drops_gap"], 1);
    EXPECT_EQ((*cons)["drops_late"], 0);
    EXPECT_GT((*cons)["rate_hz"].get<double>(), 0.0);
    ASSERT_TRUE((*cons)["lag"].is_number());
    EXPECT_EQ((*cons)["lag"].get<std::uint64_t>() % 10, 2U); // producer seq - consumer seq of one round
    const json& d = doc["driver"];
    EXPECT_GE(d["attaches_ok"].get<int>(), 1);
    EXPECT_GE(d["attaches_rejected"].value("REJECTED", 0), 1) << d.dump();
    EXPECT_GE(d["revocations"].value("DETACHED", 0), 1) << d.dump();
    EXPECT_GE(d["detaches"].get<int>(), 1);
    EXPECT_EQ(d["shutdowns"], 0);
    EXPECT_EQ(doc["messages"]["malformed"], 0);
}

TEST_F(StatSystemTest, PlainBlocksWhenNotATerminalAndShutdownCounted) {
    auto drv = start_driver();
    attach_both();
    auto stat = spawn_cli({"stat", "--interval", "0.2"}, "stat.log");
    ASSERT_TRUE(wait_output(stat, "listening on")) << stat.output();
    StreamPublisher qos(transport_dir, CHANNEL, 1200);
    ASSERT_TRUE(tp::test::wait_until([&] { return qos.connected(); }, 10s));
    // Feed until a block shows the stream row and its consumer row.
    const std::string stream_row = "10000    " + std::to_string(*producer->epoch) + " ";
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    std::uint64_t seq = 100;
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
        seq += 10;
        EXPECT_TRUE(qos.offer(qos_producer(77, *producer->epoch, seq)));
        EXPECT_TRUE(qos.offer(qos_consumer(5, *producer->epoch, seq - 2, 3)));
        c->pump_for(50ms);
        const std::string out = stat.output();
        seen = out.find(stream_row) != std::string::npos && out.find("    5         STREAM") != std::string::npos;
    }
    ASSERT_TRUE(seen) << stat.output();
    ASSERT_TRUE(c->shutdown({9, 1, "s3cret", "done"}));
    ASSERT_TRUE(wait_output(stat, "shutdowns 1 (last ADMIN: done)")) << stat.output();
    stat.kill(SIGINT);
    const auto st = stat.wait(10s);
    EXPECT_TRUE(st.ok()) << st.describe();
    const std::string out = stat.output();
    EXPECT_NE(out.find("--- tensorpool stat +"), std::string::npos);
    EXPECT_NE(out.find("(final) ---"), std::string::npos);
    EXPECT_EQ(out.find("\x1b["), std::string::npos) << "no terminal escapes when not a terminal";
    EXPECT_TRUE(drv.wait(10s).ok());
}

TEST_F(StatSystemTest, JsonWithNothingRunningIsAnEmptySnapshot) {
    auto stat = spawn_cli({"stat", "--json", "--duration", "0.3"}, "stat.log");
    const auto st = stat.wait(10s);
    ASSERT_TRUE(st.ok()) << st.describe() << stat.output();
    const json doc = tp::test::cli::json_document(stat.output());
    ASSERT_FALSE(doc.is_discarded()) << stat.output();
    EXPECT_TRUE(doc["streams"].empty());
    EXPECT_EQ(doc["driver"]["attaches_ok"], 0);
}

} // namespace
