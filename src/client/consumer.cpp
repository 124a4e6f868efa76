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
#include "shm/seq_tracker.hpp"
#include "shm/shm_reader.hpp"
#include "transport/liveness_clock.hpp"

#include <cstring>
#include <map>
#include <string_view>
#include <thread>

namespace tp {

namespace codec_ctl = codec::control;

namespace {

/// D-27: only aeron: and bridge:// fallback URIs count; other schemes are unsupported (W §10.1.3).
auto fallback_supported(std::string_view uri) -> bool {
    return uri.rfind("aeron:", 0) == 0 || uri.rfind("bridge://", 0) == 0;
}

/// Decodes an announce into `a`, reusing its strings and pool entries: announces arrive every
/// period, and once sized this allocates nothing.
void decode_into(codec_ctl::ShmPoolAnnounce& m, control::PoolAnnounce& a) {
    a.stream_id = m.stream_id();
    a.producer_id = m.producer_id();
    a.epoch = m.epoch();
    a.announce_timestamp_ns = m.announce_timestamp_ns();
    a.clock_domain = m.announce_clock_domain_raw();
    a.layout_version = m.layout_version();
    a.header_nslots = m.header_nslots();
    a.header_slot_bytes = m.header_slot_bytes();
    auto& pools = m.payload_pools();
    std::size_t n = 0;
    while (pools.has_next()) {
        auto& p = pools.next();
        if (n == a.pools.size()) {
            a.pools.emplace_back();
        }
        auto& pl = a.pools[n++];
        pl.pool_id = p.pool_id();
        pl.pool_nslots = p.pool_nslots();
        pl.stride_bytes = p.stride_bytes();
        pl.region_uri.assign(p.region_uri());
    }
    a.pools.resize(n);
    a.header_region_uri.assign(m.header_region_uri());
}

/// The per-consumer stream request of a consumer (W §10.1.2).
struct StreamRequest {
    std::string descriptor_channel;
    std::uint32_t descriptor_stream_id{0};
    std::string control_channel;
    std::uint32_t control_stream_id{0};

    [[nodiscard]] auto empty() const -> bool { return descriptor_channel.empty() && control_channel.empty(); }
};

/// Where a dispatched message came from.
enum class Source : std::uint8_t { Control, OwnControl, Other };

/// poll() runs the control duty cycle (do_work) on every POLLS_PER_DUTY_CYCLE-th call, and on any
/// call once DUTY_CYCLE_MAX_GAP_NS (coarse clock) passed since the last one. The duty cycle polls
/// the control and metadata streams and reads the clock; in a spinning consumer it took most of
/// each idle poll, and the time between two looks at the descriptor stream is what a frame waits
/// before it is seen. Leases, hellos, QoS and announces need milliseconds, not every poll.
constexpr std::uint32_t POLLS_PER_DUTY_CYCLE = 16;
constexpr std::int64_t DUTY_CYCLE_MAX_GAP_NS = 1'000'000;

} // namespace

auto to_string(ConsumerState s) noexcept -> const char* {
    switch (s) {
    case ConsumerState::Unmapped:
        return "Unmapped";
    case ConsumerState::Mapped:
        return "Mapped";
    case ConsumerState::Remapping:
        return "Remapping";
    case ConsumerState::Fallback:
        return "Fallback";
    case ConsumerState::Closed:
        return "Closed";
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
    control::PoolAnnounce announce_scratch;                ///< decode target, reused
    // Hello (D-26): after each new mapping, one hello without the request, then the request.
    StreamRequest request; ///< the configured request, full kinds only (W §10.1.2)
    int hello_phase{0};    ///< 0: send empty, 1: send the request once answered, 2: periodic
    /// Our own changed hello was read back from the control stream: the next ConsumerConfig for
    /// us counts (D-26 "first one wins", in control-stream order like the producer).
    bool awaiting_config{false};
    bool hello_fresh{true}; ///< the next own hello read back counts as changed (new reference point)
    bool own_hello_seen{false};
    StreamRequest last_own_request; ///< of the last own hello read back
    std::uint64_t configs_adopted{0};
    std::uint64_t configs_at_empty_hello{0};
    std::uint64_t next_hello_ns{0};
    std::uint64_t next_qos_ns{0};
    std::uint64_t next_stale_check_ns{0};
    /// D-21: the regions of `refused_epoch` failed the mapping checks; we stay attached and keep
    /// saying hello (supports_shm false) so a ConsumerConfig can offer a fallback.
    bool map_refused{false};
    std::uint64_t refused_epoch{0};
    std::string fallback_uri;
    std::map<std::string, std::string, std::less<>> meta;
    std::vector<std::pair<std::string, std::string>> meta_scratch; ///< decode target, reused
    Source source{Source::Control};
    codec::DispatchCounters dispatch_counters;
    control::ConsumerHello hello_msg;
    ConsumerStats stats;
    std::array<std::uint8_t, 4096> buf{};
    FrameHandler* frame_handler{nullptr};
    ProgressHandler* progress_handler{nullptr};
    std::uint32_t polls_since_work{POLLS_PER_DUTY_CYCLE}; ///< the first poll runs the duty cycle
    std::int64_t last_work_coarse_ns{0};

    /// The duty cycle if poll() is due for one (see POLLS_PER_DUTY_CYCLE).
    auto do_work_if_due() -> int {
        const std::int64_t now = transport::coarse_now_ns();
        if (++polls_since_work < POLLS_PER_DUTY_CYCLE && now - last_work_coarse_ns < DUTY_CYCLE_MAX_GAP_NS) {
            return 0;
        }
        polls_since_work = 0;
        last_work_coarse_ns = now;
        return do_work();
    }

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
        drop_own_streams();
        awaiting_config = false;
        map_refused = false;
    }

    /// Back to the shared descriptor stream. Its subscription is closed while a per-consumer one
    /// is in use: left unpolled it would hold the producer's shared stream back.
    void drop_own_streams() {
        own_descriptor_sub.reset();
        own_control_sub.reset();
        stats.per_consumer_descriptor = false;
        if (!shared_descriptor_sub) {
            const auto& ctx = options.context;
            if (auto sub = link->transport().add_subscription(ctx.descriptor_channel, ctx.descriptor_stream_id)) {
                shared_descriptor_sub = std::move(*sub);
            } else {
                std::fprintf(stderr, "tensorpool consumer: cannot resubscribe to the descriptor stream: %s\n",
                             sub.error().to_string().c_str());
            }
        }
    }

    /// D-26: a fresh reference point for hellos after each mapping attempt.
    void restart_hellos() {
        hello_phase = 0;
        next_hello_ns = 0;
        hello_fresh = true;
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
        restart_hellos();
        if (!r) {
            // D-21: no mapping; FALLBACK when a fallback URI was configured for us. Not retried for
            // this epoch (the same checks would fail again); a new epoch or attach tries again.
            map_refused = true;
            refused_epoch = a.epoch;
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
        if (m.stream_id() != stream_id || stream_id == 0) {
            return; // D-02: shared announce streams carry other streams' announces
        }
        auto& a = announce_scratch;
        decode_into(m, a);
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
                pending_announce = a; // remap from this announce
                unmap(ConsumerState::Remapping);
            } else if (check == shm::SuperblockCheck::PidChanged) {
                unmap(ConsumerState::Remapping); // wait for a new epoch
                remap_deadline_ns = now() + 3 * options.context.announce_period_ns;
            }
            return;
        }
        if (map_refused && a.epoch == refused_epoch) {
            return; // D-21: these regions were refused; wait for another epoch
        }
        if (driver->state() == client::DriverClientState::Attached && a.epoch >= highest_epoch) {
            pending_announce = a; // Wire §10.1.1: a new epoch is a remap boundary
        }
    }
    void operator()(codec_ctl::ConsumerHello& m) {
        // D-26: our own hello, read back from the control stream, marks where the answer to a
        // changed request starts, in the same order the producer sees.
        if (source != Source::Control || stream_id == 0 || m.stream_id() != stream_id ||
            m.consumer_id() != consumer_id) {
            return;
        }
        const std::uint32_t descriptor_id = m.descriptor_stream_id();
        const std::uint32_t control_id = m.control_stream_id();
        const std::string_view descriptor_channel = m.descriptor_channel(); // var data in schema order
        const std::string_view control_channel = m.control_channel();
        auto& last = last_own_request;
        const bool changed = hello_fresh || !own_hello_seen || descriptor_id != last.descriptor_stream_id ||
                             control_id != last.control_stream_id || descriptor_channel != last.descriptor_channel ||
                             control_channel != last.control_channel;
        if (!changed) {
            return;
        }
        hello_fresh = false;
        own_hello_seen = true;
        last.descriptor_stream_id = descriptor_id;
        last.control_stream_id = control_id;
        last.descriptor_channel.assign(descriptor_channel);
        last.control_channel.assign(control_channel);
        awaiting_config = true;
    }
    void operator()(codec_ctl::ConsumerConfig& m) {
        if (source != Source::Control || stream_id == 0 || m.stream_id() != stream_id ||
            m.consumer_id() != consumer_id || !awaiting_config) {
            return; // D-26: only the first config after our changed hello counts
        }
        auto cfg = codec::decode(m);
        if (client::is_half_assignment(cfg.descriptor_channel, cfg.descriptor_stream_id) ||
            client::is_half_assignment(cfg.control_channel, cfg.control_stream_id)) {
            return; // D-27
        }
        awaiting_config = false;
        ++configs_adopted;
        fallback_uri = fallback_supported(cfg.payload_fallback_uri) ? cfg.payload_fallback_uri : std::string();
        drop_own_streams();
        if (map_refused) {
            // D-21: mapping was refused: FALLBACK when the config names a usable fallback.
            state = fallback_uri.empty() ? ConsumerState::Unmapped : ConsumerState::Fallback;
            return;
        }
        if (!reader) {
            return;
        }
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
        if (own_descriptor_sub) {
            shared_descriptor_sub.reset();
        }
    }
    void operator()(codec_ctl::FrameProgress& m) {
        if (!options.supports_progress || !reader || m.stream_id() != stream_id) {
            return;
        }
        // D-28: the producer sends each FrameProgress on the shared control stream and on our own
        // control stream when we have one; take it from one of them only.
        if (source == Source::Other || (own_control_sub != nullptr) != (source == Source::OwnControl)) {
            return;
        }
        const std::uint8_t st = m.state_raw();
        std::uint64_t values_len = 0;
        if (st < 1 || st > 3 || !slot_holds(m.epoch(), m.seq(), values_len)) {
            ++stats.progress_dropped; // unknown state, or the slot is not (or no longer) this frame's
            return;
        }
        const auto v = progress.check(m.stream_id(), m.epoch(), m.seq(), m.payload_bytes_filled(), values_len);
        if (v != client::ProgressTracker::Verdict::Accept) {
            ++stats.progress_dropped;
            return;
        }
        ++stats.progress_accepted;
        if (progress_handler != nullptr) {
            (*progress_handler)(m.seq(), m.payload_bytes_filled(), m.state_raw());
        }
    }
    /// D-28: true when the slot of `seq` holds that frame (being written or committed); on a
    /// committed slot `values_len` receives its valuesLenBytes (else 0: unknown yet).
    auto slot_holds(std::uint64_t epoch, std::uint64_t seq, std::uint64_t& values_len) const noexcept -> bool {
        const auto& view = reader->view();
        if (epoch != view.epoch) {
            return true; // the tracker reports the wrong epoch
        }
        const auto* word = reinterpret_cast<const std::uint64_t*>(view.slot(view.header_index(seq)));
        // SYNC POINT(progress-slot): pairs with the writer's release store of the commit word
        // (shm slot-commit); the header fields read after it are re-checked below.
        const std::uint64_t first = concurrent::load_acquire(word);
        if ((first >> 1) != seq) {
            return false;
        }
        if ((first & 1U) != 0) {
            const auto header = shm::decode_slot_header(view.slot(view.header_index(seq)));
            // SYNC POINT(progress-slot-recheck): the acquire fence orders the header read before the
            // reload; pairs with the writer's slot-claim release fence.
            concurrent::fence_acquire();
            // relaxed: ordered after the header read by the fence above.
            if (concurrent::load_relaxed(word) != first) {
                return false;
            }
            values_len = header.values_len_bytes;
        }
        return true;
    }

    void operator()(codec_ctl::DataSourceMeta& m) {
        if (m.stream_id() != stream_id || stream_id == 0) {
            return;
        }
        stats.meta_version = m.meta_version();
        // Decode into reused strings first: D-30 repeats the same metadata every second, and an
        // unchanged repeat then costs no allocation and leaves the map alone.
        std::size_t n = 0;
        auto& g = m.attributes();
        while (g.has_next()) {
            g.next();
            if (n == meta_scratch.size()) {
                meta_scratch.emplace_back();
            }
            auto& [key, value] = meta_scratch[n++];
            key.assign(g.key());
            (void)g.format(); // var data is read in schema order
            const auto bytes = g.value();
            value.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        }
        bool same = n == meta.size();
        for (std::size_t i = 0; same && i < n; ++i) {
            auto it = meta.find(std::string_view(meta_scratch[i].first));
            same = it != meta.end() && it->second == meta_scratch[i].second;
        }
        if (same) {
            return;
        }
        meta.clear();
        for (std::size_t i = 0; i < n; ++i) {
            meta[meta_scratch[i].first] = meta_scratch[i].second;
        }
    }

    // ---- hello / QoS -----------------------------------------------------------------------------
    void send_hello(bool with_request) {
        auto& h = hello_msg; // reused: its strings keep their capacity across hellos
        h.stream_id = stream_id;
        h.consumer_id = consumer_id;
        h.supports_shm = !map_refused; // D-21: these regions cannot be mapped here
        h.supports_progress = options.supports_progress;
        h.mode = options.mode == ConsumerMode::RateLimited ? control::Mode::RateLimited : control::Mode::Stream;
        h.max_rate_hz = options.max_rate_hz;
        h.progress_interval_us = options.progress_interval_us;
        h.progress_bytes_delta = options.progress_bytes_delta;
        h.progress_major_delta_units = options.progress_major_delta_units;
        if (with_request) {
            h.descriptor_channel.assign(request.descriptor_channel);
            h.descriptor_stream_id = request.descriptor_stream_id;
            h.control_channel.assign(request.control_channel);
            h.control_stream_id = request.control_stream_id;
        } else {
            h.descriptor_channel.clear();
            h.descriptor_stream_id = 0;
            h.control_channel.clear();
            h.control_stream_id = 0;
        }
        link->publish_control(codec::encode(h, link->buffer()));
    }

    /// Hellos (D-26, D-27): after each mapping attempt one without the request, then the request
    /// once that was answered (so the answer to the first cannot be taken for the request's) or
    /// after one interval, then every interval. Also while mapping is refused (D-21).
    auto send_hellos(std::uint64_t now_ns) -> int {
        const bool attached = driver->state() == client::DriverClientState::Attached;
        if (!(state == ConsumerState::Mapped || (map_refused && attached))) {
            return 0;
        }
        const auto interval = options.context.hello_interval_ns;
        if (hello_phase == 0) {
            send_hello(false);
            configs_at_empty_hello = configs_adopted;
            hello_phase = request.empty() ? 2 : 1;
            next_hello_ns = now_ns + interval;
            return 1;
        }
        if (hello_phase == 1) {
            if (configs_adopted == configs_at_empty_hello && now_ns < next_hello_ns) {
                return 0;
            }
            hello_phase = 2;
        } else if (now_ns < next_hello_ns) {
            return 0;
        }
        send_hello(!request.empty());
        next_hello_ns = now_ns + interval;
        return 1;
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

    auto poll_from(transport::Subscription& sub, Source from, int limit) -> int {
        source = from;
        const int n =
            sub.poll([this](std::span<const std::uint8_t> msg,
                            const transport::MessageHeader&) { (void)codec::dispatch(msg, *this, dispatch_counters); },
                     limit);
        source = Source::Control;
        return n;
    }

    auto do_work() -> int {
        source = Source::Control;
        int work = link->poll(*this, 16);
        if (own_control_sub) {
            work += poll_from(*own_control_sub, Source::OwnControl, 16);
        }
        if (metadata_sub) {
            work += poll_from(*metadata_sub, Source::Other, 8);
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
        work += send_hellos(now_ns);
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
        case shm::SeqEvent::EpochMismatch:
            return;
        case shm::SeqEvent::Regression:
            // D-25: a regressing seq within the epoch: unmap and remap from the next announce.
            unmap(ConsumerState::Remapping);
            remap_deadline_ns = now() + 3 * options.context.announce_period_ns;
            return;
        default:
            break;
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
        if (sub == nullptr) {
            return 0; // the shared stream could not be resubscribed (logged)
        }
        return sub->poll(
            [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
                codec_ctl::FrameDescriptor d;
                d.wrap_for_decode_with_header(msg.data(), 0, msg.size());
                if (d.ok()) {
                    on_descriptor(d);
                    return;
                }
                // Anything else on the descriptor stream (deployments that multiplex streams): not
                // control-stream ordered, so hellos and configs there do not count (D-26).
                source = Source::Other;
                (void)codec::dispatch(msg, *this, dispatch_counters);
                source = Source::Control;
            },
            limit);
    }
};

Consumer::Consumer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Consumer::Consumer(Consumer&&) noexcept = default;
auto Consumer::operator=(Consumer&&) noexcept -> Consumer& = default;
Consumer::~Consumer() {
    close();
}

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
    // W §10.1.2: a kind is requested only with both a channel and an id; consumers must not send
    // half requests, so those are treated as absent.
    const auto& o = impl->options;
    if (client::is_full_request(o.per_consumer_descriptor_channel, o.per_consumer_descriptor_stream_id)) {
        impl->request.descriptor_channel = o.per_consumer_descriptor_channel;
        impl->request.descriptor_stream_id = o.per_consumer_descriptor_stream_id;
    }
    if (client::is_full_request(o.per_consumer_control_channel, o.per_consumer_control_stream_id)) {
        impl->request.control_channel = o.per_consumer_control_channel;
        impl->request.control_stream_id = o.per_consumer_control_stream_id;
    }
    const auto dc =
        client::driver_client_config(ctx, impl->options.stream_id, driver::Role::Consumer, impl->options.client_id);
    impl->driver = std::make_unique<client::DriverClient>(dc, *impl->link, *impl);
    impl->consumer_id = impl->options.consumer_id;
    impl->driver->open(impl->clock.monotonic_ns());
    return Consumer(std::move(impl));
}

auto Consumer::do_work() -> int {
    return m_impl->do_work();
}

auto Consumer::poll(FrameHandler handler, int limit) -> int {
    auto& impl = *m_impl;
    impl.frame_handler = &handler;
    impl.progress_handler = nullptr;
    int n = impl.do_work_if_due();
    n += impl.poll_frames(limit);
    impl.frame_handler = nullptr;
    return n;
}

auto Consumer::poll(FrameHandler handler, ProgressHandler progress, int limit) -> int {
    auto& impl = *m_impl;
    impl.frame_handler = &handler;
    impl.progress_handler = &progress;
    int n = impl.do_work_if_due();
    n += impl.poll_frames(limit);
    impl.frame_handler = nullptr;
    impl.progress_handler = nullptr;
    return n;
}

auto Consumer::state() const noexcept -> ConsumerState {
    return m_impl->state;
}

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

auto Consumer::fallback_uri() const -> std::string {
    return m_impl->fallback_uri;
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
