// SPDX-License-Identifier: Apache-2.0
// Supervisor (Wire §10.5): a live table from announces, hellos, QoS and metadata over
// client::SupervisorTable, and ConsumerConfig publishing. Cold path (1 Hz messages).
#include "tensorpool/supervisor.hpp"

#include "client/consumer_registry.hpp"
#include "client/control_link.hpp"
#include "client/supervisor_table.hpp"
#include "codec/message_convert.hpp"
#include "common/clock.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace tp {

namespace codec_ctl = codec::control;

namespace {
constexpr std::uint64_t EXPIRE_PERIOD_NS = 250'000'000ULL;

auto to_mode(std::uint8_t raw) -> control::Mode {
    return raw == static_cast<std::uint8_t>(control::Mode::RateLimited) ? control::Mode::RateLimited
                                                                        : control::Mode::Stream;
}
auto to_public(control::Mode m) -> ConsumerMode {
    return m == control::Mode::RateLimited ? ConsumerMode::RateLimited : ConsumerMode::Stream;
}
} // namespace

struct Supervisor::Impl {
    struct HelloRow {
        control::ConsumerHello hello;
        std::uint64_t last_seen_ns{0};
    };

    SupervisorOptions options;
    common::SystemClock clock;
    std::unique_ptr<client::ControlLink> link;
    std::unique_ptr<transport::Subscription> qos_sub;
    std::unique_ptr<transport::Subscription> metadata_sub;
    client::SupervisorTable table;
    std::map<std::pair<std::uint32_t, std::uint32_t>, HelloRow> hellos; ///< (stream, consumer)
    std::map<std::uint32_t, std::vector<Attribute>> metadata;           ///< by stream
    codec::DispatchCounters counters;
    SupervisorStats stats;
    std::uint64_t next_expire_ns{0};

    explicit Impl(SupervisorOptions o)
        : options(std::move(o)), table(3 * options.context.announce_period_ns) {} // D-23 freshness

    auto now() const -> std::uint64_t { return clock.monotonic_ns(); }

    // Dispatch targets.
    void operator()(codec_ctl::ShmPoolAnnounce& m) {
        ++stats.announces;
        table.on_announce(codec::decode(m), now());
    }
    void operator()(codec_ctl::ConsumerHello& m) {
        ++stats.hellos;
        auto h = codec::decode(m);
        auto& row = hellos[{h.stream_id, h.consumer_id}];
        row.hello = std::move(h);
        row.last_seen_ns = now();
    }
    void operator()(codec_ctl::ConsumerConfig& /*m*/) { ++stats.configs_seen; }
    void operator()(codec_ctl::QosProducer& m) {
        ++stats.qos_producer;
        table.on_qos_producer({m.stream_id(), m.producer_id(), m.epoch(), m.current_seq()}, now());
    }
    void operator()(codec_ctl::QosConsumer& m) {
        ++stats.qos_consumer;
        client::QosConsumerInfo q{m.stream_id(),  m.consumer_id(),      m.epoch(), m.last_seq_seen(), m.drops_gap(),
                                  m.drops_late(), to_mode(m.mode_raw())};
        table.on_qos_consumer(q, now());
    }
    void operator()(codec_ctl::DataSourceAnnounce& m) {
        ++stats.metadata;
        const auto stream_id = m.stream_id();
        const auto meta_version = m.meta_version();
        std::string name(m.name()); // var data in schema order
        std::string summary(m.summary());
        table.on_data_source(stream_id, meta_version, name, summary);
    }
    void operator()(codec_ctl::DataSourceMeta& m) {
        ++stats.metadata;
        auto& attrs = metadata[m.stream_id()];
        attrs.clear();
        auto& g = m.attributes();
        while (g.has_next()) {
            g.next();
            Attribute a;
            a.key = std::string(g.key());
            a.format = std::string(g.format());
            const auto v = g.value();
            a.value.assign(reinterpret_cast<const char*>(v.data()), v.size());
            attrs.push_back(std::move(a));
        }
    }

    auto poll(transport::Subscription& sub, int limit) -> int {
        return sub.poll([this](std::span<const std::uint8_t> msg,
                               const transport::MessageHeader&) { (void)codec::dispatch(msg, *this, counters); },
                        limit);
    }

    auto do_work() -> int {
        int work = link->poll(*this, 32);
        work += poll(*qos_sub, 32);
        work += poll(*metadata_sub, 16);
        const auto now_ns = now();
        if (now_ns >= next_expire_ns) {
            next_expire_ns = now_ns + EXPIRE_PERIOD_NS;
            table.expire(now_ns, options.forget_after_ns);
            for (auto it = hellos.begin(); it != hellos.end();) {
                it = now_ns - it->second.last_seen_ns > options.forget_after_ns ? hellos.erase(it) : std::next(it);
            }
            for (auto it = metadata.begin(); it != metadata.end();) {
                it = table.streams().count(it->first) == 0 ? metadata.erase(it) : std::next(it);
            }
        }
        return work;
    }

    auto snapshot(std::uint32_t stream_id, const client::StreamRow* row, std::uint64_t now_ns) const
        -> SupervisedStream {
        SupervisedStream s;
        s.stream_id = stream_id;
        if (row != nullptr) {
            s.has_announce = row->announces != 0;
            s.epoch = row->announce.epoch;
            s.header_nslots = row->announce.header_nslots;
            s.announces = row->announces;
            s.epoch_changes = row->epoch_changes;
            s.stale = s.has_announce && table.is_stale(*row, now_ns);
            s.has_producer = row->last_producer_qos_ns != 0;
            s.producer_id = row->producer.producer_id;
            s.producer_current_seq = row->producer.current_seq;
            s.producer_frames_per_s = row->producer_frames_per_s;
            s.name = row->data_source_name;
            s.summary = row->data_source_summary;
            s.meta_version = row->meta_version;
            for (const auto& [id, c] : row->consumers) {
                SupervisedConsumer sc;
                sc.consumer_id = id;
                sc.epoch = c.last.epoch;
                sc.last_seq_seen = c.last.last_seq_seen;
                sc.drops_gap = c.last.drops_gap;
                sc.drops_late = c.last.drops_late;
                sc.frames_per_s = c.frames_per_s;
                sc.mode = to_public(c.last.mode);
                sc.has_qos = true;
                sc.last_seen_ns = c.last_seen_ns;
                s.consumers.push_back(std::move(sc));
            }
        }
        if (auto it = metadata.find(stream_id); it != metadata.end()) {
            s.metadata = it->second;
        }
        for (auto it = hellos.lower_bound({stream_id, 0}); it != hellos.end() && it->first.first == stream_id; ++it) {
            const auto& h = it->second.hello;
            auto c = std::find_if(s.consumers.begin(), s.consumers.end(),
                                  [&](const SupervisedConsumer& x) { return x.consumer_id == h.consumer_id; });
            if (c == s.consumers.end()) {
                SupervisedConsumer sc;
                sc.consumer_id = h.consumer_id;
                sc.mode = to_public(h.mode);
                // Keep the list ordered by consumer id.
                c = s.consumers.insert(
                    std::upper_bound(s.consumers.begin(), s.consumers.end(), h.consumer_id,
                                     [](std::uint32_t id, const SupervisedConsumer& x) { return id < x.consumer_id; }),
                    std::move(sc));
            }
            c->has_hello = true;
            c->supports_shm = h.supports_shm;
            c->supports_progress = h.supports_progress;
            c->max_rate_hz = h.max_rate_hz;
            c->descriptor_channel = h.descriptor_channel;
            c->descriptor_stream_id = h.descriptor_stream_id;
            c->control_channel = h.control_channel;
            c->control_stream_id = h.control_stream_id;
            if (!c->has_qos) {
                c->mode = to_public(h.mode);
            }
            c->last_seen_ns = std::max(c->last_seen_ns, it->second.last_seen_ns);
        }
        return s;
    }
};

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Supervisor::Supervisor(Supervisor&&) noexcept = default;
auto Supervisor::operator=(Supervisor&&) noexcept -> Supervisor& = default;
Supervisor::~Supervisor() = default;

auto Supervisor::create(SupervisorOptions options) -> Expected<Supervisor> {
    auto impl = std::make_unique<Impl>(std::move(options));
    const auto& ctx = impl->options.context;
    TP_TRY(link, client::ControlLink::create(ctx));
    impl->link = std::move(link);
    auto& t = impl->link->transport();
    TP_TRY(qsub, t.add_subscription(ctx.qos_channel, ctx.qos_stream_id));
    impl->qos_sub = std::move(qsub);
    TP_TRY(msub, t.add_subscription(ctx.metadata_channel, ctx.metadata_stream_id));
    impl->metadata_sub = std::move(msub);
    return Supervisor(std::move(impl));
}

auto Supervisor::do_work() -> int {
    return m_impl->do_work();
}

auto Supervisor::streams() const -> std::vector<SupervisedStream> {
    const auto now_ns = m_impl->now();
    std::map<std::uint32_t, const client::StreamRow*> ids;
    for (const auto& [id, row] : m_impl->table.streams()) {
        ids[id] = &row;
    }
    for (const auto& [key, row] : m_impl->hellos) {
        ids.emplace(key.first, nullptr);
    }
    std::vector<SupervisedStream> out;
    out.reserve(ids.size());
    for (const auto& [id, row] : ids) {
        out.push_back(m_impl->snapshot(id, row, now_ns));
    }
    return out;
}

auto Supervisor::stream(std::uint32_t stream_id) const -> std::optional<SupervisedStream> {
    const auto& rows = m_impl->table.streams();
    const auto it = rows.find(stream_id);
    const auto h = m_impl->hellos.lower_bound({stream_id, 0});
    const bool has_hello = h != m_impl->hellos.end() && h->first.first == stream_id;
    if (it == rows.end() && !has_hello) {
        return std::nullopt;
    }
    return m_impl->snapshot(stream_id, it == rows.end() ? nullptr : &it->second, m_impl->now());
}

auto Supervisor::send_consumer_config(const ConsumerConfigCommand& command) -> Expected<void> {
    // D-27: half assignments never count as a ConsumerConfig; refuse to send one.
    if (client::is_half_assignment(command.descriptor_channel, command.descriptor_stream_id) ||
        client::is_half_assignment(command.control_channel, command.control_stream_id)) {
        return make_error(ErrorCode::InvalidArgument,
                          "ConsumerConfig: a per-consumer stream needs both a channel and a non-zero stream id");
    }
    control::ConsumerConfig cfg;
    cfg.stream_id = command.stream_id;
    cfg.consumer_id = command.consumer_id;
    cfg.use_shm = command.use_shm;
    cfg.mode = command.mode == ConsumerMode::RateLimited ? control::Mode::RateLimited : control::Mode::Stream;
    const bool has_descriptor = !command.descriptor_channel.empty();
    const bool has_control = !command.control_channel.empty();
    cfg.descriptor_channel = command.descriptor_channel;
    cfg.descriptor_stream_id = has_descriptor ? command.descriptor_stream_id : 0; // D-05: 0 = none
    cfg.control_channel = command.control_channel;
    cfg.control_stream_id = has_control ? command.control_stream_id : 0;
    cfg.payload_fallback_uri = command.payload_fallback_uri;
    auto& link = *m_impl->link;
    const auto length = codec::encode(cfg, link.buffer());
    if (length == 0) {
        return make_error(ErrorCode::InvalidArgument, "ConsumerConfig: does not encode (strings too long)");
    }
    if (!link.publish_control(length)) {
        return make_error(ErrorCode::State, "ConsumerConfig: the control stream refused the message");
    }
    ++m_impl->stats.configs_sent;
    return {};
}

auto Supervisor::stats() const noexcept -> SupervisorStats {
    SupervisorStats s = m_impl->stats;
    s.dropped_messages = m_impl->counters.dropped() + m_impl->link->dispatch_counters().dropped();
    return s;
}

} // namespace tp
