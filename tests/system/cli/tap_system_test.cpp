// SPDX-License-Identifier: Apache-2.0
// `tensorpool tap` as a real process: a driver conversation and messages on every well-known
// stream appear as JSON lines with their schema and template names and field values; every
// message type of every schema round-trips through tap's JSON; malformed messages give "error"
// lines and tap keeps going. Synchronisation is on observed output, with deadlines.
#include "cli_test_support.hpp"

#include "codec/message_convert.hpp"
#include "codec/message_json.hpp"
#include "tensorpool/codec/registry.hpp"
#include "tensorpool/codec/samples.hpp"

#include <algorithm>
#include <csignal>
#include <functional>
#include <optional>
#include <set>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tp::driver::ResponseCode;
using tp::driver::Role;
using tp::test::ChildProcess;
using tp::test::ControlClient;
using tp::test::ControlEvent;
using tp::test::cli::CHANNEL;
using tp::test::cli::CliSystemTest;
using tp::test::cli::StreamPublisher;
namespace wire = tp::codec::control;

using Bytes = std::vector<std::uint8_t>;

template <typename M, typename Fill>
auto encode(Fill&& fill) -> Bytes {
    Bytes buf(4096);
    M m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size());
    m.clear();
    fill(m);
    EXPECT_TRUE(m.ok());
    buf.resize(m.frame_length());
    return buf;
}

template <typename M>
auto sample(std::uint64_t seed) -> Bytes {
    Bytes buf(tp::codec::samples::MAX_SAMPLE_LENGTH);
    M m;
    m.wrap_and_apply_header(buf.data(), 0, buf.size());
    EXPECT_TRUE(tp::codec::samples::fill_sample(m, {tp::codec::samples::SampleKind::Typical, seed}));
    buf.resize(m.frame_length());
    return buf;
}

/// The fields tap should print for a message: the codec's own JSON reflection of it.
auto expected_fields(const Bytes& bytes) -> json {
    auto doc = tp::codec::message_to_json(bytes);
    EXPECT_TRUE(doc) << doc.error().to_string();
    return doc ? json::parse((*doc)["fields"].dump()) : json();
}

/// The first line with this schema and template whose fields satisfy `pred`.
auto find_line(
    const std::vector<json>& lines, const std::string& schema, const std::string& tmpl,
    const std::function<bool(const json&)>& pred = [](const json&) { return true; }) -> std::optional<json> {
    for (const auto& l : lines) {
        if (l.value("schema", json()) == schema && l.value("template", json()) == tmpl && l.contains("fields") &&
            pred(l["fields"])) {
            return l;
        }
    }
    return std::nullopt;
}

auto find_error(const std::vector<json>& lines, const std::string& reason) -> std::optional<json> {
    for (const auto& l : lines) {
        if (l.value("error", std::string()) == reason) {
            return l;
        }
    }
    return std::nullopt;
}

class TapSystemTest : public CliSystemTest {};

TEST_F(TapSystemTest, DecodesDriverConversationAndWellKnownStreams) {
    auto drv = start_driver();
    auto c = ControlClient::create(transport_dir);
    ASSERT_TRUE(c);
    auto producer = c->attach_and_wait(77, Role::Producer);
    ASSERT_TRUE(producer) << drv.output();
    ASSERT_EQ(producer->code, ResponseCode::Ok) << producer->error_message;
    const std::uint64_t epoch = *producer->epoch;

    auto tap = spawn_cli({"tap", "--duration", "60"}, "tap.log");
    ASSERT_TRUE(wait_output(tap, "listening on")) << tap.output();

    // The driver conversation, seen on the control stream.
    auto consumer = c->attach_and_wait(5, Role::Consumer);
    ASSERT_TRUE(consumer);
    ASSERT_EQ(consumer->code, ResponseCode::Ok);
    ASSERT_TRUE(c->keepalive({*consumer->lease_id, 10000, 5, 2, 123456}));
    tp::control::ConsumerHello hello;
    hello.stream_id = 10000;
    hello.consumer_id = 5;
    hello.descriptor_channel = CHANNEL;
    hello.descriptor_stream_id = 31000;
    Bytes buf(4096);
    ASSERT_TRUE(c->send_raw({buf.data(), tp::codec::encode(hello, buf)}));
    tp::control::ConsumerConfig config;
    config.stream_id = 10000;
    config.consumer_id = 5;
    config.mode = tp::control::Mode::RateLimited;
    config.payload_fallback_uri = "bridge://cam";
    ASSERT_TRUE(c->send_raw({buf.data(), tp::codec::encode(config, buf)}));
    const Bytes trace = sample<tp::codec::tracelink::TraceLinkSet>(11);
    const Bytes event = sample<tp::codec::service::EventMessage>(12);
    ASSERT_TRUE(c->send_raw(trace));
    ASSERT_TRUE(c->send_raw(event));

    // Malformed input on the control stream: too short, and an attach response cut inside its block.
    const Bytes too_short{0x01, 0x02, 0x03};
    ASSERT_TRUE(c->send_raw(too_short));
    Bytes cut = encode<tp::codec::driver::ShmAttachResponse>([](auto& m) { m.correlation_id(9); });
    cut.resize(20);
    ASSERT_TRUE(c->send_raw(cut));

    // QoS, descriptor and metadata streams.
    StreamPublisher qos(transport_dir, CHANNEL, 1200);
    StreamPublisher desc(transport_dir, CHANNEL, 1100);
    StreamPublisher meta(transport_dir, CHANNEL, 1300);
    ASSERT_TRUE(tp::test::wait_until([&] { return qos.connected() && desc.connected() && meta.connected(); }, 10s));
    ASSERT_TRUE(qos.offer(
        encode<wire::QosProducer>([&](auto& m) { m.stream_id(10000).producer_id(77).epoch(epoch).current_seq(42); })));
    ASSERT_TRUE(qos.offer(encode<wire::QosConsumer>([&](auto& m) {
        m.stream_id(10000).consumer_id(5).epoch(epoch).last_seq_seen(40).drops_gap(1).drops_late(2);
        m.mode(wire::Mode::STREAM);
    })));
    ASSERT_TRUE(desc.offer(encode<wire::FrameDescriptor>(
        [&](auto& m) { m.stream_id(10000).epoch(epoch).seq(42).timestamp_ns(1234).meta_version(1).trace_id(0); })));
    ASSERT_TRUE(meta.offer(encode<wire::DataSourceAnnounce>([&](auto& m) {
        m.stream_id(10000).producer_id(77).epoch(epoch).meta_version(1);
        m.put_name("cam-left");
        m.put_summary("rgb8 640x480");
    })));
    ASSERT_TRUE(meta.offer(encode<wire::DataSourceMeta>([&](auto& m) {
        m.stream_id(10000).meta_version(1).timestamp_ns(99);
        auto& attrs = m.attributes_count(1);
        const std::uint8_t fps[] = {30, 0, 0, 0};
        attrs.next().put_key("fps").put_format("u32").put_value(fps);
    })));

    // Detach and an accepted shutdown request end the conversation.
    const auto mark = c->events().size();
    ASSERT_TRUE(c->detach({4711, *consumer->lease_id, 10000, 5, 2}));
    ASSERT_TRUE(c->wait_for(
        [](const ControlEvent& e) {
            const auto* d = std::get_if<tp::driver::DetachResponse>(&e);
            return d != nullptr && d->correlation_id == 4711;
        },
        10s, mark));
    ASSERT_TRUE(c->shutdown({4712, 1, "s3cret", "test over"}));
    ASSERT_TRUE(c->wait_for([](const ControlEvent& e) { return std::holds_alternative<tp::driver::ShutdownNotice>(e); },
                            10s, mark));
    // tap keeps running after the malformed input: a message published after it still shows.
    ASSERT_TRUE(qos.offer(
        encode<wire::QosProducer>([&](auto& m) { m.stream_id(10000).producer_id(77).epoch(epoch).current_seq(43); })));

    std::vector<json> lines;
    auto has = [&](const std::string& schema, const std::string& tmpl, const std::function<bool(const json&)>& pred) {
        return find_line(lines, schema, tmpl, pred).has_value();
    };
    auto all_seen = [&] {
        lines = tp::test::cli::json_lines(tap.output());
        return has("driver", "ShmDriverShutdown", [](const json&) { return true; }) &&
               has("control", "QosProducer", [](const json& f) { return f["currentSeq"] == "43"; }) &&
               find_error(lines, "MalformedBody").has_value();
    };
    ASSERT_TRUE(tp::test::wait_until(all_seen, 10s, 5ms)) << tap.output();

    const std::string epoch_text = std::to_string(epoch);
    // Driver schema 901, with ids and field values.
    auto req = find_line(lines, "driver", "ShmAttachRequest", [](const json& f) { return f["clientId"] == 5; });
    ASSERT_TRUE(req);
    EXPECT_EQ((*req)["schemaId"], 901);
    EXPECT_EQ((*req)["templateId"], 1);
    EXPECT_EQ((*req)["stream"], 1000);
    EXPECT_EQ((*req)["channel"], CHANNEL);
    EXPECT_EQ((*req)["fields"]["role"], "CONSUMER");
    EXPECT_GT((*req)["length"].get<int>(), 8);
    EXPECT_TRUE((*req)["session"].is_number_integer());
    EXPECT_TRUE((*req)["ts_ns"].is_number_unsigned());
    auto rsp = find_line(lines, "driver", "ShmAttachResponse",
                         [&](const json& f) { return f["correlationId"] == std::to_string(consumer->correlation_id); });
    ASSERT_TRUE(rsp);
    EXPECT_EQ((*rsp)["templateId"], 2);
    EXPECT_EQ((*rsp)["fields"]["code"], "OK");
    EXPECT_EQ((*rsp)["fields"]["epoch"], epoch_text);
    EXPECT_EQ((*rsp)["fields"]["payloadPools"].size(), 2U);
    EXPECT_TRUE(has("driver", "ShmLeaseKeepalive",
                    [](const json& f) { return f["clientId"] == 5 && f["clientTimestampNs"] == "123456"; }));
    EXPECT_TRUE(has("driver", "ShmDetachRequest", [](const json& f) { return f["correlationId"] == "4711"; }));
    EXPECT_TRUE(has("driver", "ShmDetachResponse",
                    [](const json& f) { return f["correlationId"] == "4711" && f["code"] == "OK"; }));
    EXPECT_TRUE(has("driver", "ShmLeaseRevoked",
                    [](const json& f) { return f["clientId"] == 5 && f["reason"] == "DETACHED"; }));
    EXPECT_TRUE(has("driver", "ShmDriverShutdownRequest",
                    [](const json& f) { return f["reason"] == "ADMIN" && f["errorMessage"] == "test over"; }));
    EXPECT_TRUE(has("driver", "ShmDriverShutdown",
                    [](const json& f) { return f["reason"] == "ADMIN" && f["errorMessage"] == "test over"; }));
    // Control schema 900 on the control, QoS, descriptor and metadata streams.
    auto announce = find_line(lines, "control", "ShmPoolAnnounce", [&](const json& f) {
        return f["streamId"] == 10000 && f["producerId"] == 77 && f["epoch"] == epoch_text;
    });
    ASSERT_TRUE(announce);
    EXPECT_EQ((*announce)["schemaId"], 900);
    EXPECT_EQ((*announce)["templateId"], 1);
    EXPECT_TRUE(has("control", "ConsumerHello",
                    [](const json& f) { return f["consumerId"] == 5 && f["descriptorStreamId"] == 31000; }));
    EXPECT_TRUE(has("control", "ConsumerConfig", [](const json& f) {
        return f["mode"] == "RATE_LIMITED" && f["payloadFallbackUri"] == "bridge://cam";
    }));
    auto qp = find_line(lines, "control", "QosProducer", [](const json& f) { return f["currentSeq"] == "42"; });
    ASSERT_TRUE(qp);
    EXPECT_EQ((*qp)["stream"], 1200);
    EXPECT_EQ((*qp)["templateId"], 6);
    EXPECT_EQ((*qp)["fields"]["producerId"], 77);
    auto qc = find_line(lines, "control", "QosConsumer", [](const json& f) { return f["consumerId"] == 5; });
    ASSERT_TRUE(qc);
    EXPECT_EQ((*qc)["fields"]["mode"], "STREAM");
    EXPECT_EQ((*qc)["fields"]["dropsLate"], "2");
    auto fd = find_line(lines, "control", "FrameDescriptor", [](const json& f) { return f["seq"] == "42"; });
    ASSERT_TRUE(fd);
    EXPECT_EQ((*fd)["stream"], 1100);
    EXPECT_EQ((*fd)["fields"]["timestampNs"], "1234");
    auto dsa = find_line(lines, "control", "DataSourceAnnounce", [](const json& f) { return f["name"] == "cam-left"; });
    ASSERT_TRUE(dsa);
    EXPECT_EQ((*dsa)["stream"], 1300);
    EXPECT_EQ((*dsa)["fields"]["summary"], "rgb8 640x480");
    auto dsm = find_line(lines, "control", "DataSourceMeta", [](const json& f) { return f["attributes"].size() == 1; });
    ASSERT_TRUE(dsm);
    EXPECT_EQ((*dsm)["fields"]["attributes"][0]["key"], "fps");
    EXPECT_EQ((*dsm)["fields"]["attributes"][0]["value"], "1e000000");
    // TraceLink 904 and service 905, field for field as the codec reflects them.
    auto tl = find_line(lines, "tracelink", "TraceLinkSet");
    ASSERT_TRUE(tl);
    EXPECT_EQ((*tl)["schemaId"], 904);
    EXPECT_EQ((*tl)["fields"], expected_fields(trace));
    auto ev = find_line(lines, "service", "EventMessage");
    ASSERT_TRUE(ev);
    EXPECT_EQ((*ev)["schemaId"], 905);
    EXPECT_EQ((*ev)["fields"], expected_fields(event));
    // Malformed messages: the drop reason and the bytes.
    auto short_line = find_error(lines, "TooShort");
    ASSERT_TRUE(short_line);
    EXPECT_EQ((*short_line)["hex"], "010203");
    EXPECT_EQ((*short_line)["length"], 3);
    EXPECT_FALSE(short_line->contains("fields"));
    auto cut_line = find_error(lines, "MalformedBody");
    ASSERT_TRUE(cut_line);
    EXPECT_EQ((*cut_line)["template"], "ShmAttachResponse");
    EXPECT_EQ((*cut_line)["hex"], tp::test::cli::hex(cut));
    EXPECT_EQ((*cut_line)["detail"], "BlockPastEnd");

    tap.kill(SIGINT);
    const auto st = tap.wait(10s);
    EXPECT_TRUE(st.ok()) << st.describe() << tap.output();
    EXPECT_TRUE(drv.wait(10s).ok());
}

// Every message type of every schema (900-905, 910) on custom streams and channel, followed by one
// malformed message per drop reason; tap exits by itself after --count messages.
TEST_F(TapSystemTest, EverySchemaOnCustomStreamsRoundTripsAndCountEndsIt) {
    const std::string channel = "aeron:ipc?term-length=64k";
    struct Expected {
        std::string schema;
        std::string name;
        int schema_id;
        int template_id;
        Bytes bytes;
        std::int32_t stream;
    };
    std::vector<Expected> valid;
    std::uint64_t seed = 1;
    for (const auto& t : tp::codec::MESSAGE_TYPES) {
        if (t.headerless) {
            continue;
        }
        Bytes b(tp::codec::samples::MAX_SAMPLE_LENGTH);
        const std::size_t n =
            tp::codec::samples::encode_sample(t, {tp::codec::samples::SampleKind::Typical, seed++}, b.data(), b.size());
        ASSERT_GT(n, 0U) << t.name;
        b.resize(n);
        valid.push_back(
            {std::string(t.schema), std::string(t.name), t.schema_id, t.template_id, b, seed % 2 == 0 ? 4242 : 4243});
    }
    // Header: blockLength, templateId, schemaId, version (little-endian u16 each).
    const std::vector<std::pair<std::string, Bytes>> malformed = {
        {"TooShort", {0x09}},
        {"UnknownSchema", {8, 0, 1, 0, 0xE7, 0x03, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8}},    // schema 999
        {"UnknownTemplate", {8, 0, 99, 0, 0x84, 0x03, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8}}, // 900/99
        {"UnknownTemplate", {64, 0, 50, 0, 0x84, 0x03, 1, 0}},                        // a headerless layout
        {"BadVersion", {40, 0, 4, 0, 0x84, 0x03, 2, 0}},                              // FrameDescriptor v2
        {"BadBlockLength", {4, 0, 4, 0, 0x84, 0x03, 1, 0, 1, 2, 3, 4}},               // FrameDescriptor, 4 < 40
        {"MalformedBody", {20, 0, 7, 0, 0x84, 0x03, 1, 0, 1, 0, 0, 0, 2,    0, 0, 0,
                           3,  0, 0, 0, 0,    0,    0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0}}, // name length past end
    };
    const std::size_t total = valid.size() + malformed.size() + 1;

    auto tap = spawn_cli({"tap", "--channel", channel, "--stream", "4242", "--stream", "4243", "--raw-hex", "--count",
                          std::to_string(total), "--duration", "60"},
                         "tap.log");
    ASSERT_TRUE(wait_output(tap, "listening on")) << tap.output();
    StreamPublisher a(transport_dir, channel, 4242);
    StreamPublisher b(transport_dir, channel, 4243);
    ASSERT_TRUE(tp::test::wait_until([&] { return a.connected() && b.connected(); }, 10s));
    // Stream 4243 first, all printed, then 4242: the message past --count is last on 4242 and so
    // is never printed, whatever order tap polls the streams in.
    std::size_t on_b = 0;
    for (const auto& e : valid) {
        if (e.stream == 4243) {
            ASSERT_TRUE(b.offer(e.bytes)) << e.name;
            ++on_b;
        }
    }
    ASSERT_TRUE(tp::test::wait_until([&] { return tp::test::cli::json_lines(tap.output()).size() == on_b; }, 10s, 2ms))
        << tap.output();
    for (const auto& e : valid) {
        if (e.stream == 4242) {
            ASSERT_TRUE(a.offer(e.bytes)) << e.name;
        }
    }
    for (const auto& [reason, bytes] : malformed) {
        ASSERT_TRUE(a.offer(bytes)) << reason;
    }
    const Bytes last = sample<wire::QosConsumer>(99);
    ASSERT_TRUE(a.offer(last));
    // A message beyond --count is not printed (tap may have left already: then the offer fails).
    static_cast<void>(a.offer(sample<wire::QosProducer>(100)));

    const auto st = tap.wait(20s);
    ASSERT_TRUE(st.ok()) << st.describe() << tap.output();
    const auto lines = tp::test::cli::json_lines(tap.output());
    ASSERT_EQ(lines.size(), total) << tap.output();

    std::set<int> schemas;
    for (const auto& e : valid) {
        const std::string h = tp::test::cli::hex(e.bytes);
        auto it = std::find_if(lines.begin(), lines.end(), [&](const json& l) { return l.value("hex", "") == h; });
        ASSERT_NE(it, lines.end()) << e.schema << "/" << e.name;
        EXPECT_EQ((*it)["schema"], e.schema);
        EXPECT_EQ((*it)["template"], e.name);
        EXPECT_EQ((*it)["schemaId"], e.schema_id);
        EXPECT_EQ((*it)["templateId"], e.template_id);
        EXPECT_EQ((*it)["stream"], e.stream);
        EXPECT_EQ((*it)["channel"], channel);
        EXPECT_EQ((*it)["length"], e.bytes.size());
        EXPECT_FALSE(it->contains("error")) << *it;
        EXPECT_EQ((*it)["fields"], expected_fields(e.bytes)) << e.name;
        schemas.insert(e.schema_id);
    }
    EXPECT_EQ(schemas, (std::set<int>{900, 901, 902, 903, 904, 905, 910}));
    // Malformed messages come in order on stream 4242 after the valid ones published there.
    std::vector<json> errors;
    for (const auto& l : lines) {
        if (l.contains("error")) {
            errors.push_back(l);
        }
    }
    ASSERT_EQ(errors.size(), malformed.size());
    for (std::size_t i = 0; i < malformed.size(); ++i) {
        EXPECT_EQ(errors[i]["error"], malformed[i].first) << errors[i];
        EXPECT_EQ(errors[i]["hex"], tp::test::cli::hex(malformed[i].second));
        EXPECT_EQ(errors[i]["length"], malformed[i].second.size());
        EXPECT_FALSE(errors[i].contains("fields"));
    }
    EXPECT_EQ(errors[0]["schemaId"], nullptr); // too short for a header
    EXPECT_EQ(errors[1]["schemaId"], 999);
    EXPECT_EQ(errors[1]["schema"], nullptr);
    EXPECT_EQ(errors[4]["template"], "FrameDescriptor");
    EXPECT_EQ(errors[4]["version"], 2);
    EXPECT_EQ(errors[6]["template"], "DataSourceAnnounce");
    EXPECT_TRUE(errors[6].contains("detail"));
    // The valid message after the malformed ones is the last line.
    EXPECT_EQ(lines.back()["template"], "QosConsumer");
    EXPECT_EQ(lines.back()["hex"], tp::test::cli::hex(last));
    EXPECT_NE(
        tap.output().find(std::to_string(total) + " messages, " + std::to_string(malformed.size()) + " malformed"),
        std::string::npos);
}

TEST_F(TapSystemTest, DurationEndsItWithNothingPublished) {
    auto tap = spawn_cli({"tap", "--duration", "0.3"}, "tap.log");
    const auto st = tap.wait(10s);
    EXPECT_TRUE(st.ok()) << st.describe() << tap.output();
    EXPECT_TRUE(tp::test::cli::json_lines(tap.output()).empty());
    EXPECT_NE(tap.output().find("0 messages"), std::string::npos);
}

} // namespace
