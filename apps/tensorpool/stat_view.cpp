// SPDX-License-Identifier: Apache-2.0
#include "stat_view.hpp"

#if defined(HAVE_TP_CLIENT) && defined(HAVE_TP_CODEC)

#include "codec/message_convert.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string_view>

namespace tp::apps {

using Json = nlohmann::ordered_json;

/// The dispatcher's handler: one overload per message type stat uses.
struct StatHandler {
    StatView* view;
    std::uint64_t now_ns;

    void operator()(codec::control::ShmPoolAnnounce& m) const { view->m_table.on_announce(codec::decode(m), now_ns); }

    void operator()(codec::control::QosProducer& m) const {
        view->m_table.on_qos_producer({m.stream_id(), m.producer_id(), m.epoch(), m.current_seq()}, now_ns);
    }

    void operator()(codec::control::QosConsumer& m) const {
        client::QosConsumerInfo q;
        q.stream_id = m.stream_id();
        q.consumer_id = m.consumer_id();
        q.epoch = m.epoch();
        q.last_seq_seen = m.last_seq_seen();
        q.drops_gap = m.drops_gap();
        q.drops_late = m.drops_late();
        q.mode = static_cast<tp::control::Mode>(m.mode_raw()); // raw: an unknown mode shows as its number
        view->m_table.on_qos_consumer(q, now_ns);
    }

    void operator()(codec::control::DataSourceAnnounce& m) const {
        const std::uint32_t stream_id = m.stream_id();
        const std::uint32_t meta_version = m.meta_version();
        const std::string name(m.name()); // var data in schema order: name, then summary
        const std::string summary(m.summary());
        view->m_table.on_data_source(stream_id, meta_version, name, summary);
    }

    void operator()(codec::driver::ShmAttachResponse& m) const {
        if (m.code() == codec::driver::ResponseCode::OK) {
            ++view->m_driver.attaches_ok;
        } else {
            ++view->m_driver.attaches_rejected[enum_name(m.code(), m.code_raw())];
        }
    }

    void operator()(codec::driver::ShmDetachResponse& /*m*/) const { ++view->m_driver.detaches; }

    void operator()(codec::driver::ShmLeaseRevoked& m) const {
        ++view->m_driver.revocations[enum_name(m.reason(), m.reason_raw())];
    }

    void operator()(codec::driver::ShmDriverShutdown& m) const {
        ++view->m_driver.shutdowns;
        view->m_driver.last_shutdown_reason = enum_name(m.reason(), m.reason_raw());
        view->m_driver.last_shutdown_message = std::string(m.error_message());
    }

    template <typename E, typename R>
    static auto enum_name(E e, R raw) -> std::string {
        return is_known(e) ? std::string(to_string(e)) : std::to_string(raw); // ADL: the schema's enum
    }
};

namespace {

auto age_ms(std::uint64_t now_ns, std::uint64_t then_ns) -> double {
    return now_ns > then_ns ? static_cast<double>(now_ns - then_ns) / 1e6 : 0.0;
}

/// One decimal place is what a human or a dashboard needs of a rate.
auto round1(double v) -> double {
    return static_cast<double>(static_cast<std::int64_t>(v * 10.0 + 0.5)) / 10.0;
}

auto mode_name(tp::control::Mode m) -> std::string {
    switch (m) {
    case tp::control::Mode::Stream:
        return "STREAM";
    case tp::control::Mode::RateLimited:
        return "RATE_LIMITED";
    }
    return std::to_string(static_cast<unsigned>(m));
}

/// Text from the wire shown on a terminal: no control characters or escape sequences.
auto printable(std::string_view s, std::size_t max) -> std::string {
    std::string out;
    for (const char c : s.substr(0, max)) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
    }
    return out;
}

auto size_text(std::uint64_t bytes) -> std::string {
    if (bytes != 0 && bytes % (1024ULL * 1024 * 1024) == 0) {
        return std::to_string(bytes >> 30) + "G";
    }
    if (bytes != 0 && bytes % (1024ULL * 1024) == 0) {
        return std::to_string(bytes >> 20) + "M";
    }
    if (bytes != 0 && bytes % 1024 == 0) {
        return std::to_string(bytes >> 10) + "K";
    }
    return std::to_string(bytes);
}

/// Producer QoS and consumer state of the same epoch give the consumer's lag in frames.
auto lag(const client::StreamRow& row, const client::ConsumerRow& c) -> std::optional<std::uint64_t> {
    if (row.last_producer_qos_ns == 0 || row.producer.epoch != c.last.epoch) {
        return std::nullopt;
    }
    return row.producer.current_seq > c.last.last_seq_seen ? row.producer.current_seq - c.last.last_seq_seen : 0;
}

auto counts_json(const std::map<std::string, std::uint64_t>& m) -> Json {
    Json o = Json::object();
    for (const auto& [k, v] : m) {
        o[k] = v;
    }
    return o;
}

auto counts_text(const std::map<std::string, std::uint64_t>& m) -> std::string {
    std::uint64_t total = 0;
    std::string parts;
    for (const auto& [k, v] : m) {
        total += v;
        parts += (parts.empty() ? "" : ", ") + k + " " + std::to_string(v);
    }
    return std::to_string(total) + (parts.empty() ? "" : " (" + parts + ")");
}

auto stream_json(const client::StreamRow& row, bool stale, std::uint64_t now_ns) -> Json {
    const bool announced = row.announces != 0;
    const bool qos = row.last_producer_qos_ns != 0;
    Json s = Json::object();
    s["stream_id"] = row.stream_id;
    s["epoch"] = announced ? Json(row.announce.epoch) : qos ? Json(row.producer.epoch) : Json(nullptr);
    s["producer_id"] = announced ? Json(row.announce.producer_id)
                       : qos     ? Json(row.producer.producer_id)
                                 : Json(nullptr);
    s["header_nslots"] = announced ? Json(row.announce.header_nslots) : Json(nullptr);
    s["header_slot_bytes"] = announced ? Json(row.announce.header_slot_bytes) : Json(nullptr);
    s["layout_version"] = announced ? Json(row.announce.layout_version) : Json(nullptr);
    s["header_region_uri"] = announced ? Json(row.announce.header_region_uri) : Json(nullptr);
    Json pools = Json::array();
    for (const auto& p : row.announce.pools) {
        pools.push_back(Json{{"pool_id", p.pool_id},
                             {"pool_nslots", p.pool_nslots},
                             {"stride_bytes", p.stride_bytes},
                             {"region_uri", p.region_uri}});
    }
    s["pools"] = std::move(pools);
    s["announces"] = row.announces;
    s["epoch_changes"] = row.epoch_changes;
    s["announce_age_ms"] = announced ? Json(round1(age_ms(now_ns, row.last_announce_ns))) : Json(nullptr);
    s["stale"] = stale;
    s["producer_qos"] = qos ? Json{{"producer_id", row.producer.producer_id},
                                   {"epoch", row.producer.epoch},
                                   {"current_seq", row.producer.current_seq},
                                   {"age_ms", round1(age_ms(now_ns, row.last_producer_qos_ns))}}
                            : Json(nullptr);
    s["producer_rate_hz"] = round1(row.producer_frames_per_s);
    const bool has_source = !row.data_source_name.empty() || !row.data_source_summary.empty() || row.meta_version != 0;
    s["data_source"] = has_source ? Json{{"name", row.data_source_name},
                                         {"summary", row.data_source_summary},
                                         {"meta_version", row.meta_version}}
                                  : Json(nullptr);
    Json consumers = Json::array();
    for (const auto& [id, c] : row.consumers) {
        const auto l = lag(row, c);
        consumers.push_back(Json{{"consumer_id", id},
                                 {"mode", mode_name(c.last.mode)},
                                 {"epoch", c.last.epoch},
                                 {"last_seq_seen", c.last.last_seq_seen},
                                 {"drops_gap", c.last.drops_gap},
                                 {"drops_late", c.last.drops_late},
                                 {"rate_hz", round1(c.frames_per_s)},
                                 {"lag", l ? Json(*l) : Json(nullptr)},
                                 {"age_ms", round1(age_ms(now_ns, c.last_seen_ns))}});
    }
    s["consumers"] = std::move(consumers);
    return s;
}

void append(std::string& out, const char* fmt, auto... args) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, fmt, args...);
    if (n > 0) {
        out.append(buf, std::min(static_cast<std::size_t>(n), sizeof buf - 1));
    }
}

} // namespace

void StatView::on_message(std::span<const std::uint8_t> bytes, std::uint64_t now_ns) {
    StatHandler handler{this, now_ns};
    // SPEC_DECISIONS §2: malformed input is a counted drop, never an exception.
    static_cast<void>(codec::dispatch(bytes, handler, m_counters));
}

auto StatView::to_json(std::uint64_t now_ns) const -> Json {
    Json doc = Json::object();
    Json streams = Json::array();
    for (const auto& [id, row] : m_table.streams()) {
        streams.push_back(stream_json(row, row.announces != 0 && m_table.is_stale(row, now_ns), now_ns));
    }
    doc["streams"] = std::move(streams);
    Json drv = Json::object();
    drv["attaches_ok"] = m_driver.attaches_ok;
    drv["attaches_rejected"] = counts_json(m_driver.attaches_rejected);
    drv["detaches"] = m_driver.detaches;
    drv["revocations"] = counts_json(m_driver.revocations);
    drv["shutdowns"] = m_driver.shutdowns;
    drv["last_shutdown"] = m_driver.shutdowns == 0 ? Json(nullptr)
                                                   : Json{{"reason", m_driver.last_shutdown_reason},
                                                          {"message", m_driver.last_shutdown_message}};
    doc["driver"] = std::move(drv);
    doc["messages"] =
        Json{{"used", m_counters.delivered}, {"ignored", m_counters.unhandled}, {"malformed", m_counters.dropped()}};
    return doc;
}

auto StatView::render_text(std::uint64_t now_ns) const -> std::string {
    std::string out;
    append(out, "%-8s %-14s %-9s %-6s %-30s %8s  %-16s %s\n", "STREAM", "EPOCH", "PRODUCER", "SLOTS", "POOLS", "RATE/s",
           "SOURCE", "ANNOUNCED");
    for (const auto& [id, row] : m_table.streams()) {
        std::string pools;
        for (const auto& p : row.announce.pools) {
            pools += (pools.empty() ? "" : " ") + std::to_string(p.pool_id) + ":" + std::to_string(p.pool_nslots) +
                     "x" + size_text(p.stride_bytes);
        }
        const bool announced = row.announces != 0;
        std::string age = "never";
        if (announced) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "%.1f s ago%s", age_ms(now_ns, row.last_announce_ns) / 1000.0,
                          m_table.is_stale(row, now_ns) ? " STALE" : "");
            age = buf;
        }
        const std::uint64_t epoch = announced ? row.announce.epoch : row.producer.epoch;
        const std::uint32_t producer = announced ? row.announce.producer_id : row.producer.producer_id;
        append(out, "%-8u %-14" PRIu64 " %-9u %-6u %-30s %8.1f  %-16s %s\n", id, epoch, producer,
               row.announce.header_nslots, pools.empty() ? "-" : pools.c_str(), row.producer_frames_per_s,
               row.data_source_name.empty() ? "-" : printable(row.data_source_name, 16).c_str(), age.c_str());
        if (!row.consumers.empty()) {
            append(out, "    %-9s %-13s %-12s %8s  %-10s %-10s %s\n", "CONSUMER", "MODE", "LAST SEQ", "RATE/s",
                   "DROPS GAP", "DROPS LATE", "LAG");
        }
        for (const auto& [cid, c] : row.consumers) {
            const auto l = lag(row, c);
            append(out, "    %-9u %-13s %-12" PRIu64 " %8.1f  %-10" PRIu64 " %-10" PRIu64 " %s\n", cid,
                   mode_name(c.last.mode).c_str(), c.last.last_seq_seen, c.frames_per_s, c.last.drops_gap,
                   c.last.drops_late, l ? std::to_string(*l).c_str() : "-");
        }
    }
    if (m_table.streams().empty()) {
        out += "(no streams seen yet: announces arrive about once a second)\n";
    }
    out += "driver: attaches ok " + std::to_string(m_driver.attaches_ok) + ", rejected " +
           counts_text(m_driver.attaches_rejected) + "; detaches " + std::to_string(m_driver.detaches) +
           "; revocations " + counts_text(m_driver.revocations) + "; shutdowns " + std::to_string(m_driver.shutdowns);
    if (m_driver.shutdowns != 0) {
        out += " (last " + m_driver.last_shutdown_reason + ": " + printable(m_driver.last_shutdown_message, 80) + ")";
    }
    out += "\nmessages: " + std::to_string(m_counters.delivered) + " used, " + std::to_string(m_counters.unhandled) +
           " ignored, " + std::to_string(m_counters.dropped()) + " malformed\n";
    return out;
}

} // namespace tp::apps

#endif // HAVE_TP_CLIENT && HAVE_TP_CODEC
