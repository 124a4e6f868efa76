// SPDX-License-Identifier: Apache-2.0
// Consumer: driver client (lease), announce filtering, mapping and remapping, zero-copy frame
// delivery with every drop rule, hello / per-consumer streams, QoS, progress, RATE_LIMITED.
#include "tensorpool/consumer.hpp"

#include "client/announce_filter.hpp"
#include "client/consumer_registry.hpp"
#include "client/control_link.hpp"
#include "client/progress.hpp"
#include "codec/message_convert.hpp"
#include "common/clock.hpp"
#include "concurrent/atomic_ops.hpp"
#include "shm/shared_copy.hpp"
#include "shm/shm_reader.hpp"
#include "shm/seq_tracker.hpp"

#include <cstring>
#include <map>
#include <thread>

namespace tp {

namespace codec_ctl = codec::control;

auto to_string(Dtype d) noexcept -> const char* {
    switch (d) {
    case Dtype::Uint8: return "uint8";
    case Dtype::Int8: return "int8";
    case Dtype::Uint16: return "uint16";
    case Dtype::Int16: return "int16";
    case Dtype::Uint32: return "uint32";
    case Dtype::Int32: return "int32";
    case Dtype::Uint64: return "uint64";
    case Dtype::Int64: return "int64";
    case Dtype::Float32: return "float32";
    case Dtype::Float64: return "float64";
    case Dtype::Boolean: return "bool";
    case Dtype::Bytes: return "bytes";
    case Dtype::Bit: return "bit";
    case Dtype::Unknown: return "unknown";
    }
    return "unknown";
}

auto Frame::still_valid() const noexcept -> bool {
    if (commit_word_ptr == nullptr) {
        return false;
    }
    // SYNC POINT(frame-recheck): the acquire fence orders the caller's payload reads before the
    // reload; pairs with the writer's slot-claim release fence (same protocol as shm slot-recheck).
    concurrent::fence_acquire();
    // relaxed: ordered after the payload reads by the fence above.
    return concurrent::load_relaxed(commit_word_ptr) == accepted_commit_word;
}

auto Frame::copy_to(std::span<std::byte> dst) const noexcept -> bool {
    if (dst.size() < payload.size()) {
        return false;
    }
    shm::copy_from_shared(dst.data(), payload.data(), payload.size());
    return still_valid();
}

auto to_string(ConsumerState s) noexcept -> const char* {
    switch (s) {
    case ConsumerState::Unmapped: return "Unmapped";
    case ConsumerState::Mapped: return "Mapped";
    case ConsumerState::Remapping: return "Remapping";
    case ConsumerState::Fallback: return "Fallback";
    case ConsumerState::Closed: return "Closed";
    }
    return "?";
}

struct Consumer::Impl final : client::DriverClientListener {
    ConsumerOptions options;
    common::SystemClock clock;
    std::unique_ptr<client::ControlLink> link;
    std::unique_ptr<client::DriverClient> driver;
    std::unique_ptr<transport::Subscription> shared_descriptor_sub;
    std::unique_ptr<transport::Subscription> own_descriptor_sub; ///< per-consumer, when granted
    std::unique_ptr<transport::Subscription> own_control_sub;    ///< per-consumer, when granted
    std::unique_ptr<transport::Subscription> metadata_sub;
    std::unique_ptr<transport::Publication> qos_pub;
    std::optional<shm::PathPolicy> policy;
    std::optional<shm::ShmReader> reader;
    shm::SeqTracker tracker;
    std::optional<client::AnnounceFilter> filter;
    client::RateGate gate;
    client::ProgressTracker progress;
    ConsumerState state{ConsumerState::Unmapped};
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    std::uint64_t highest_epoch{0};
    std::uint64_t remap_deadline_ns{0};
    std::optional<control::PoolAnnounce> pending_announce; ///< a newer epoch to map
    // Hello (D-26): after each new mapping, one hello without the request, then the request.
    int hello_phase{0}; ///< 0: send empty, 1: send request, 2: periodic
    bool awaiting_config{false};
    std::uint64_t next_hello_ns{0};
    std::uint64_t next_qos_ns{0};
    std::uint64_t next_stale_check_ns{0};
    std::string fallback_uri;
    std::map<std::string, std::string> meta;
    ConsumerStats stats;
    std::array<std::uint8_t, 4096> buf{};
    FrameHandler* frame_handler{nullptr};
    ProgressHandler* progress_handler{nullptr};

    auto now() const -> std::uint64_t { return clock.monotonic_ns(); }

    // ---- lease -------------------------------------------------------------------------------
    void on_attached(const driver::AttachResponse& r) override {
        stream_id = *r.stream_id;
        filter->set_stream_id(stream_id);
        if (consumer_id == 0 || options.consumer_id == 0) {
            consumer_id = options.consumer_id != 0 ? options.consumer_id : driver->client_id(); // D-27
        }
        control::PoolAnnounce a;
        a.stream_id = stream_id;
        a.epoch = *r.epoch;
        a.header_nslots = *r.header_nslots;
        a.pools = r.pools;
        a.header_region_uri = r.header_region_uri;
        map(a);
    }
    void on_lease_lost(client::LeaseLoss /*why*/) override {
        // Driver §4.7: stop using mapped regions immediately.
        unmap(ConsumerState::Unmapped);
        ++stats.leases_lost;
    }
    void on_attach_failed(const driver::AttachResponse& /*r*/, const std::string& why) override {
        std::fprintf(stderr, "tensorpool consumer: attach refused: %s\n", why.c_str());
    }

    void unmap(ConsumerState next) {
        reader.reset();
        state = next;
        own_descriptor_sub.reset();
        own_control_sub.reset();
        awaiting_config = false;
    }

    void map(const control::PoolAnnounce& a) {
        shm::RegionSetSpec spec;
        spec.stream_id = a.stream_id;
        spec.epoch = a.epoch;
        spec.header_nslots = a.header_nslots;
        spec.header_region_uri = a.header_region_uri;
        for (const auto& p : a.pools) {
            spec.pools.push_back({p.pool_id, p.pool_nslots, p.stride_bytes, p.region_uri});
        }
        unmap(ConsumerState::Unmapped);
        auto r = shm::ShmReader::map(spec, *policy, now());
        if (!r) {
            // D-21: no mapping; FALLBACK when a fallback URI was configured for us.
            state = fallback_uri.empty() ? ConsumerState::Unmapped : ConsumerState::Fallback;
            std::fprintf(stderr, "tensorpool consumer: mapping refused: %s\n", r.error().to_string().c_str());
            return;
        }
        reader.emplace(std::move(*r));
        highest_epoch = std::max(highest_epoch, a.epoch);
        tracker.reset(a.epoch);
        progress.reset(stream_id, a.epoch);
        gate.reset();
        state = ConsumerState::Mapped;
        ++stats.remaps;
        stats.epoch = a.epoch;
        hello_phase = 0; // D-26: fresh reference point after mapping a new epoch
        next_hello_ns = 0;
    }

    // ---- control stream ------------------------------------------------------------------------
    void operator()(codec::driver::ShmAttachResponse& m) { driver->on_attach_response(codec::decode(m), now()); }
    void operator()(codec::driver::ShmDetachResponse& m) { driver->on_detach_response(codec::decode(m), now()); }
    void operator()(codec::driver::ShmDriverShutdown& m) { driver->on_driver_shutdown(codec::decode(m), now()); }
    void operator()(codec::driver::ShmLeaseRevoked& m) {
        auto rev = codec::decode(m);
        driver->on_lease_revoked(rev, now());
        // D-39: our stream's producer lease ended: stop reading, await the bumped announce.
        if (rev.role == driver::Role::Producer && rev.stream_id == stream_id && state == ConsumerState::Mapped) {
            unmap(ConsumerState::Remapping);
            remap_deadline_ns = now() + 3 * options.context.announce_period_ns;
        }
    }
    void operator()(codec_ctl::ShmPoolAnnounce& m) {
        auto a = codec::decode(m);
        if (a.stream_id != stream_id || stream_id == 0) {
            return;
        }
        const auto v = filter->check(a, now(), clock.realtime_ns());
        if (v != client::AnnounceVerdict::Accept) {
            ++stats.announces_ignored;
            return;
        }
        driver->on_announce(a.stream_id, a.epoch, now());
        if (reader && a.epoch == reader->epoch()) {
            // D-24: re-validate the mapped regions on each announce of the mapped epoch.
            const auto check = reader->check_superblocks();
            if (check == shm::SuperblockCheck::Mismatch) {
                pending_announce = std::move(a); // remap from this announce
                unmap(ConsumerState::Remapping);
            } else if (check == shm::SuperblockCheck::PidChanged) {
                unmap(ConsumerState::Remapping); // wait for a new epoch
                remap_deadline_ns = now() + 3 * options.context.announce_period_ns;
            }
            return;
        }
        if (driver->state() == client::DriverClientState::Attached && a.epoch >= highest_epoch) {
            pending_announce = std::move(a); // Wire §10.1.1: a new epoch is a remap boundary
        }
    }
    void operator()(codec_ctl::ConsumerConfig& m) {
        auto cfg = codec::decode(m);
        if (cfg.stream_id != stream_id || cfg.consumer_id != consumer_id || !awaiting_config) {
            return; // D-26: only the first config after our changed hello counts
        }
        if (client::is_half_assignment(cfg.descriptor_channel, cfg.descriptor_stream_id) ||
            client::is_half_assignment(cfg.control_channel, cfg.control_stream_id)) {
            return; // D-27
        }
        awaiting_config = false;
        fallback_uri = cfg.payload_fallback_uri;
        own_descriptor_sub.reset();
        own_control_sub.reset();
        if (!cfg.descriptor_channel.empty() && !control::is_none_stream_id(cfg.descriptor_stream_id)) {
            if (auto s = link->transport().add_subscription(cfg.descriptor_channel,
                                                            static_cast<std::int32_t>(cfg.descriptor_stream_id))) {
                own_descriptor_sub = std::move(*s);
            }
        }
        if (!cfg.control_channel.empty() && !control::is_none_stream_id(cfg.control_stream_id)) {
            if (auto s = link->transport().add_subscription(cfg.control_channel,
                                                            static_cast<std::int32_t>(cfg.control_stream_id))) {
                own_control_sub = std::move(*s);
            }
        }
        stats.per_consumer_descriptor = own_descriptor_sub != nullptr;
    }
    void operator()(codec_ctl::FrameProgress& m) {
        if (!options.supports_progress || !reader || m.stream_id() != stream_id) {
            return;
        }
        const auto v = progress.check(m.stream_id(), m.epoch(), m.seq(), m.payload_bytes_filled(), 0);
        if (v != client::ProgressTracker::Verdict::Accept) {
            ++stats.progress_dropped;
            return;
        }
        ++stats.progress_accepted;
        if (progress_handler != nullptr) {
            (*progress_handler)(m.seq(), m.payload_bytes_filled(), m.state_raw());
        }
    }
    void operator()(codec_ctl::DataSourceMeta& m) {
        if (m.stream_id() != stream_id || stream_id == 0) {
            return;
        }
        stats.meta_version = m.meta_version();
        meta.clear();
        auto& g = m.attributes();
        while (g.has_next()) {
            g.next();
            std::string key(g.key());
            std::string format(g.format());
            auto value = g.value();
            meta[key] = std::string(reinterpret_cast<const char*>(value.data()), value.size());
        }
    }

    // ---- hello / QoS -----------------------------------------------------------------------------
    void send_hello(bool with_request) {
        control::ConsumerHello h;
        h.stream_id = stream_id;
        h.consumer_id = consumer_id;
        h.supports_shm = true;
        h.supports_progress = options.supports_progress;
        h.mode = options.mode == ConsumerMode::RateLimited ? control::Mode::RateLimited : control::Mode::Stream;
        h.max_rate_hz = options.max_rate_hz;
        h.progress_interval_us = options.progress_interval_us;
        h.progress_bytes_delta = options.progress_bytes_delta;
        h.progress_major_delta_units = options.progress_major_delta_units;
        if (with_request) {
            h.descriptor_channel = options.per_consumer_descriptor_channel;
            h.descriptor_stream_id = options.per_consumer_descriptor_stream_id;
            h.control_channel = options.per_consumer_control_channel;
            h.control_stream_id = options.per_consumer_control_stream_id;
        }
        link->publish_control(codec::encode(h, link->buffer()));
    }

    void send_qos() {
        codec_ctl::QosConsumer q;
        const auto& c = tracker.counters();
        q.wrap_and_apply_header(buf.data(), 0, buf.size())
            .stream_id(stream_id)
            .consumer_id(consumer_id)
            .epoch(tracker.epoch())
            .last_seq_seen(tracker.has_accepted() ? tracker.last_accepted() : 0)
            .drops_gap(c.drops_gap)
            .drops_late(c.drops_late)
            .mode(options.mode == ConsumerMode::RateLimited ? codec_ctl::Mode::RATE_LIMITED : codec_ctl::Mode::STREAM);
        if (q.ok()) {
            (void)qos_pub->offer({buf.data(), q.frame_length()});
        }
    }

    auto request_configured() const -> bool {
        return !options.per_consumer_descriptor_channel.empty() || !options.per_consumer_control_channel.empty();
    }

    auto do_work() -> int {
        int work = link->poll(*this, 16);
        if (own_control_sub) {
            work += own_control_sub->poll(
                [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
                    codec::DispatchCounters c;
                    (void)codec::dispatch(msg, *this, c);
                },
                16);
        }
        if (metadata_sub) {
            work += metadata_sub->poll(
                [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
                    codec::DispatchCounters c;
                    (void)codec::dispatch(msg, *this, c);
                },
                8);
        }
        const auto now_ns = now();
        filter->set_join_time(link->join_time_ns());
        work += driver->do_work(now_ns);
        if (pending_announce && driver->state() == client::DriverClientState::Attached) {
            auto a = std::move(*pending_announce);
            pending_announce.reset();
            map(a);
            ++work;
        }
        if (state == ConsumerState::Remapping && now_ns >= remap_deadline_ns) {
            state = ConsumerState::Unmapped; // D-39: no bumped announce within 3 periods
        }
        if (reader && now_ns >= next_stale_check_ns) {
            next_stale_check_ns = now_ns + options.context.announce_period_ns / 4;
            if (reader->is_stale(now_ns, options.context.announce_period_ns)) {
                unmap(ConsumerState::Unmapped); // D-24: remap when activity is fresh again
            }
        }
        if (state == ConsumerState::Mapped && now_ns >= next_hello_ns) {
            if (hello_phase == 0) {
                send_hello(false);
                hello_phase = request_configured() ? 1 : 2;
                awaiting_config = !request_configured();
                next_hello_ns = now_ns; // the request right after
            } else {
                send_hello(request_configured());
                if (hello_phase == 1) {
                    awaiting_config = true;
                    hello_phase = 2;
                }
                next_hello_ns = now_ns + options.context.hello_interval_ns;
            }
            ++work;
        }
        if (stream_id != 0 && now_ns >= next_qos_ns && tracker.epoch() != 0) {
            send_qos();
            next_qos_ns = now_ns + options.context.qos_interval_ns;
        }
        return work;
    }

    // ---- frames ---------------------------------------------------------------------------------
    void on_descriptor(codec_ctl::FrameDescriptor& d) {
        // D-02: shared streams carry many logical streams: filter on streamId first.
        if (d.stream_id() != stream_id || !reader) {
            return;
        }
        const auto epoch = d.epoch();
        const auto seq = d.seq();
        const auto ev = tracker.on_descriptor(epoch, seq);
        switch (ev) {
        case shm::SeqEvent::Duplicate:
        case shm::SeqEvent::EpochMismatch: return;
        case shm::SeqEvent::Regression:
            // D-25: a regressing seq within the epoch: unmap and remap from the next announce.
            unmap(ConsumerState::Remapping);
            remap_deadline_ns = now() + 3 * options.context.announce_period_ns;
            return;
        default: break;
        }
        shm::FrameView view;
        auto rr = reader->read(epoch, seq, view);
        if (rr != shm::ReadResult::Ok) {
            tracker.on_read_result(seq, rr);
            return;
        }
        if (options.mode == ConsumerMode::RateLimited) {
            // Wire §11 note: gate on the descriptor timestamp, else the slot's.
            const auto ts = d.timestamp_ns_is_null() ? view.timestamp_ns : d.timestamp_ns();
            if (!gate.allow(ts)) {
                ++stats.drops_rate;
                tracker.on_read_result(seq, shm::ReadResult::Ok);
                return;
            }
        }
        Frame f;
        f.stream_id = stream_id;
        f.epoch = epoch;
        f.seq = seq;
        f.dtype = static_cast<Dtype>(view.dtype);
        f.major_order = static_cast<MajorOrder>(view.major_order);
        f.ndims = view.ndims;
        f.dims = view.dims;
        for (std::size_t i = 0; i < MAX_DIMS; ++i) {
            f.strides[i] = view.resolved_strides[i];
        }
        f.payload = view.payload;
        f.timestamp_ns = view.timestamp_ns;
        f.descriptor_timestamp_ns = d.timestamp_ns_is_null() ? 0 : d.timestamp_ns();
        f.meta_version = view.meta_version;
        f.trace_id = d.trace_id(); // D-05: 0 = none
        f.pool_id = view.pool_id;
        f.commit_word_ptr = view.commit_word_ptr();
        f.accepted_commit_word = view.commit_word();
        if (frame_handler != nullptr) {
            (*frame_handler)(f);
        }
        // D-11: re-check after use; a frame overwritten during the callback counts as late.
        const auto final_result = view.still_valid() ? shm::ReadResult::Ok : shm::ReadResult::Torn;
        tracker.on_read_result(seq, final_result);
        if (final_result == shm::ReadResult::Ok) {
            ++stats.frames_delivered;
        }
    }
    void operator()(codec_ctl::FrameDescriptor& d) { on_descriptor(d); }

    auto poll_frames(int limit) -> int {
        transport::Subscription* sub = own_descriptor_sub ? own_descriptor_sub.get() : shared_descriptor_sub.get();
        return sub->poll(
            [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
                codec_ctl::FrameDescriptor d;
                d.wrap_for_decode_with_header(msg.data(), 0, msg.size());
                if (d.ok()) {
                    on_descriptor(d);
                    return;
                }
                codec::DispatchCounters c; // anything else on the descriptor stream: control messages
                (void)codec::dispatch(msg, *this, c);
            },
            limit);
    }
};

Consumer::Consumer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Consumer::Consumer(Consumer&&) noexcept = default;
auto Consumer::operator=(Consumer&&) noexcept -> Consumer& = default;
Consumer::~Consumer() { close(); }

auto Consumer::create(ConsumerOptions options) -> Expected<Consumer> {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    const auto& ctx = impl->options.context;
    TP_TRY(policy, shm::PathPolicy::create(ctx.allowed_base_dirs));
    impl->policy.emplace(std::move(policy));
    TP_TRY(link, client::ControlLink::create(ctx));
    impl->link = std::move(link);
    auto& t = impl->link->transport();
    TP_TRY(dsub, t.add_subscription(ctx.descriptor_channel, ctx.descriptor_stream_id));
    impl->shared_descriptor_sub = std::move(dsub);
    TP_TRY(msub, t.add_subscription(ctx.metadata_channel, ctx.metadata_stream_id));
    impl->metadata_sub = std::move(msub);
    TP_TRY(qpub, t.add_publication(ctx.qos_channel, ctx.qos_stream_id));
    impl->qos_pub = std::move(qpub);
    impl->filter.emplace(impl->options.stream_id, ctx.announce_period_ns);
    impl->tracker = shm::SeqTracker(impl->options.max_outstanding_seq_gap);
    impl->gate.set_rate(impl->options.mode == ConsumerMode::RateLimited ? impl->options.max_rate_hz : 0);
    impl->stream_id = impl->options.stream_id;
    client::DriverClientConfig dc;
    dc.stream_id = impl->options.stream_id;
    dc.role = driver::Role::Consumer;
    dc.client_id = impl->options.client_id;
    dc.keepalive_interval_ns = ctx.keepalive_interval_ns;
    dc.attach_timeout_ns = ctx.attach_timeout_ns;
    dc.retry_backoff_ns = ctx.attach_retry_ns;
    dc.announce_period_ns = ctx.announce_period_ns;
    impl->driver = std::make_unique<client::DriverClient>(dc, *impl->link, *impl);
    impl->consumer_id = impl->options.consumer_id;
    impl->driver->open(impl->clock.monotonic_ns());
    return Consumer(std::move(impl));
}

auto Consumer::do_work() -> int { return m_impl->do_work(); }

auto Consumer::poll(FrameHandler handler, int limit) -> int {
    auto& impl = *m_impl;
    impl.frame_handler = &handler;
    impl.progress_handler = nullptr;
    int n = impl.do_work();
    n += impl.poll_frames(limit);
    impl.frame_handler = nullptr;
    return n;
}

auto Consumer::poll(FrameHandler handler, ProgressHandler progress, int limit) -> int {
    auto& impl = *m_impl;
    impl.frame_handler = &handler;
    impl.progress_handler = &progress;
    int n = impl.do_work();
    n += impl.poll_frames(limit);
    impl.frame_handler = nullptr;
    impl.progress_handler = nullptr;
    return n;
}

auto Consumer::state() const noexcept -> ConsumerState { return m_impl->state; }

auto Consumer::wait_mapped(std::uint64_t timeout_ms) -> bool {
    const auto deadline = m_impl->clock.monotonic_ns() + timeout_ms * 1'000'000ULL;
    while (m_impl->state != ConsumerState::Mapped && m_impl->clock.monotonic_ns() < deadline) {
        if (do_work() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    return m_impl->state == ConsumerState::Mapped;
}

auto Consumer::stats() const noexcept -> ConsumerStats {
    ConsumerStats s = m_impl->stats;
    const auto& c = m_impl->tracker.counters();
    s.drops_gap = c.drops_gap;
    s.drops_late = c.drops_late;
    s.last_seq = m_impl->tracker.has_accepted() ? m_impl->tracker.last_accepted() : 0;
    s.consumer_id = m_impl->consumer_id;
    return s;
}

auto Consumer::metadata(const std::string& key) const -> std::optional<std::string> {
    auto it = m_impl->meta.find(key);
    if (it == m_impl->meta.end()) {
        return std::nullopt;
    }
    return it->second;
}

void Consumer::close() {
    if (m_impl && m_impl->driver) {
        m_impl->reader.reset();
        m_impl->driver->close(m_impl->clock.monotonic_ns());
        m_impl->driver.reset();
        m_impl->state = ConsumerState::Closed;
    }
}

} // namespace tp
