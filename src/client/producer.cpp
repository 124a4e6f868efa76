// SPDX-License-Identifier: Apache-2.0
// Producer: driver client (lease), SHM writer, descriptors, per-consumer streams, QoS, metadata,
// progress. One thread; steady-state publishing allocates nothing.
#include "tensorpool/producer.hpp"

#include "client/consumer_registry.hpp"
#include "client/control_link.hpp"
#include "client/progress.hpp"
#include "codec/message_convert.hpp"
#include "common/clock.hpp"
#include "shm/shared_copy.hpp"
#include "shm/shm_writer.hpp"

#include <cstring>
#include <map>
#include <new>
#include <thread>

namespace tp {

namespace codec_ctl = codec::control;

auto to_string(PublishResult r) noexcept -> const char* {
    switch (r) {
    case PublishResult::Ok:
        return "ok";
    case PublishResult::NotReady:
        return "not ready (no lease)";
    case PublishResult::NoPoolFits:
        return "no pool fits";
    case PublishResult::InvalidTensor:
        return "invalid tensor header";
    case PublishResult::Claimed:
        return "a claim is outstanding";
    case PublishResult::DescriptorBackPressured:
        return "descriptor back-pressured";
    }
    return "?";
}

// ---- FrameClaim: a shm::SlotClaim in place ------------------------------------------------------

static_assert(sizeof(shm::SlotClaim) <= 320, "FrameClaim storage too small for shm::SlotClaim");
static_assert(alignof(shm::SlotClaim) <= 16, "FrameClaim storage alignment");

namespace {
auto slot(FrameClaim& c, std::byte* storage) -> shm::SlotClaim& {
    (void)c;
    return *std::launder(reinterpret_cast<shm::SlotClaim*>(storage));
}
auto slot(const std::byte* storage) -> const shm::SlotClaim& {
    return *std::launder(reinterpret_cast<const shm::SlotClaim*>(storage));
}
} // namespace

FrameClaim::FrameClaim() noexcept = default;

FrameClaim::FrameClaim(FrameClaim&& other) noexcept
    : m_has_slot(other.m_has_slot), m_result(other.m_result), m_trace_id(other.m_trace_id),
      m_timestamp_ns(other.m_timestamp_ns) {
    if (other.m_has_slot) {
        new (m_storage) shm::SlotClaim(std::move(slot(other, other.m_storage)));
        other.reset();
    }
}

auto FrameClaim::operator=(FrameClaim&& other) noexcept -> FrameClaim& {
    if (this != &other) {
        reset();
        m_result = other.m_result;
        m_trace_id = other.m_trace_id;
        m_timestamp_ns = other.m_timestamp_ns;
        if (other.m_has_slot) {
            new (m_storage) shm::SlotClaim(std::move(slot(other, other.m_storage)));
            m_has_slot = true;
            other.reset();
        }
    }
    return *this;
}

FrameClaim::~FrameClaim() {
    reset();
}

void FrameClaim::reset() noexcept {
    if (m_has_slot) {
        slot(*this, m_storage).~SlotClaim(); // an uncommitted claim is abandoned
        m_has_slot = false;
    }
}

auto FrameClaim::is_valid() const noexcept -> bool {
    return m_has_slot && slot(m_storage).is_valid();
}
auto FrameClaim::payload() const noexcept -> std::span<std::byte> {
    return m_has_slot ? slot(m_storage).payload() : std::span<std::byte>{};
}
auto FrameClaim::seq() const noexcept -> std::uint64_t {
    return m_has_slot ? slot(m_storage).seq() : 0;
}
auto FrameClaim::set_dtype(Dtype d) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_dtype(static_cast<shm::Dtype>(d));
    }
    return *this;
}
auto FrameClaim::set_major_order(MajorOrder o) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_major_order(static_cast<shm::MajorOrder>(o));
    }
    return *this;
}
auto FrameClaim::set_shape(std::span<const std::int32_t> dims) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_shape(dims);
    }
    return *this;
}
auto FrameClaim::set_strides(std::span<const std::int32_t> strides) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_strides(strides);
    }
    return *this;
}
auto FrameClaim::set_progress(ProgressUnit unit, std::uint32_t stride_bytes) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_progress(static_cast<shm::ProgressUnit>(unit), stride_bytes);
    }
    return *this;
}
auto FrameClaim::set_timestamp_ns(std::uint64_t t) noexcept -> FrameClaim& {
    if (m_has_slot) {
        slot(*this, m_storage).set_timestamp_ns(t);
        m_timestamp_ns = t;
    }
    return *this;
}
auto FrameClaim::set_trace_id(std::uint64_t trace_id) noexcept -> FrameClaim& {
    m_trace_id = trace_id;
    return *this;
}

// ---- Producer ---------------------------------------------------------------------------------

struct PerConsumerPubs {
    std::unique_ptr<transport::Publication> descriptor;
    std::unique_ptr<transport::Publication> control;
    client::RateGate gate;
    control::ConsumerConfig applied;
};

struct Producer::Impl final : client::DriverClientListener {
    ProducerOptions options;
    common::SystemClock clock;
    std::unique_ptr<client::ControlLink> link;
    std::unique_ptr<client::DriverClient> driver;
    std::unique_ptr<transport::Publication> descriptor_pub;
    std::unique_ptr<transport::Publication> qos_pub;
    std::unique_ptr<transport::Publication> metadata_pub;
    std::unique_ptr<transport::Subscription> qos_sub;
    std::optional<shm::PathPolicy> policy;
    std::optional<shm::ShmWriter> writer;
    std::unique_ptr<client::ConsumerRegistry> registry;
    std::map<std::uint32_t, PerConsumerPubs> per_consumer;
    client::ProgressThrottle progress;
    std::vector<Attribute> attributes;
    std::uint32_t meta_version{0};
    bool meta_dirty{false};
    std::uint64_t next_seq{0};
    std::uint64_t epoch{0};
    std::uint64_t next_qos_ns{0};
    std::uint64_t next_meta_ns{0};
    std::uint64_t next_activity_ns{0};
    std::uint64_t next_expire_ns{0};
    bool claim_outstanding{false};
    ProducerStats stats;
    std::array<std::uint8_t, 64 * 1024> buf{};

    // DriverClientListener.
    void on_attached(const driver::AttachResponse& r) override {
        shm::RegionSetSpec spec;
        spec.stream_id = *r.stream_id;
        spec.epoch = *r.epoch;
        spec.header_nslots = *r.header_nslots;
        spec.header_region_uri = r.header_region_uri;
        for (const auto& p : r.pools) {
            spec.pools.push_back({p.pool_id, p.pool_nslots, p.stride_bytes, p.region_uri});
        }
        auto w = shm::ShmWriter::attach(spec, *policy);
        if (!w) {
            std::fprintf(stderr, "tensorpool producer: cannot map the announced regions: %s\n",
                         w.error().to_string().c_str());
            driver->close(clock.monotonic_ns()); // fail closed: give the lease back
            driver->open(clock.monotonic_ns());
            return;
        }
        writer.emplace(std::move(*w));
        writer->set_meta_version(meta_version);
        epoch = spec.epoch;
        next_seq = 0; // W §15.2: seq restarts in every epoch
        ++stats.attaches;
        registry = std::make_unique<client::ConsumerRegistry>(spec.stream_id, registry_settings());
        per_consumer.clear();
        const auto now = clock.monotonic_ns();
        writer->refresh_activity(now);
        next_activity_ns = now + options.context.announce_period_ns;
        meta_dirty = !attributes.empty() || !options.name.empty();
    }
    void on_lease_lost(client::LeaseLoss /*why*/) override {
        writer.reset();
        per_consumer.clear();
        ++stats.leases_lost;
    }
    void on_attach_failed(const driver::AttachResponse& /*r*/, const std::string& why) override {
        std::fprintf(stderr, "tensorpool producer: attach refused: %s\n", why.c_str());
    }

    auto registry_settings() const -> client::PerConsumerSettings {
        client::PerConsumerSettings s;
        s.descriptor_range = {options.per_consumer_descriptor_first, options.per_consumer_descriptor_last};
        s.control_range = {options.per_consumer_control_first, options.per_consumer_control_last};
        s.allow_udp = options.per_consumer_allow_udp;
        s.always_decline = options.decline_per_consumer;
        s.payload_fallback_uri = options.payload_fallback_uri; // the registry keeps only aeron: / bridge:// (D-27)
        s.liveness_ns = 5 * options.context.hello_interval_ns;
        return s;
    }

    // Control-stream dispatch targets.
    void operator()(codec::driver::ShmAttachResponse& m) { driver->on_attach_response(codec::decode(m), now()); }
    void operator()(codec::driver::ShmDetachResponse& m) { driver->on_detach_response(codec::decode(m), now()); }
    void operator()(codec::driver::ShmLeaseRevoked& m) { driver->on_lease_revoked(codec::decode(m), now()); }
    void operator()(codec::driver::ShmDriverShutdown& m) { driver->on_driver_shutdown(codec::decode(m), now()); }
    void operator()(codec_ctl::ShmPoolAnnounce& m) {
        if (m.stream_id() == driver->stream_id()) {
            driver->on_announce(m.stream_id(), m.epoch(), now());
        }
    }
    void operator()(codec_ctl::ConsumerHello& m) {
        if (!registry || !writer) {
            return;
        }
        auto hello = codec::decode(m);
        if (auto cfg = registry->on_hello(hello, now())) {
            link->publish_control(codec::encode(*cfg, link->buffer()));
        }
    }
    void operator()(codec_ctl::ConsumerConfig& m) {
        if (!registry) {
            return;
        }
        registry->on_config(codec::decode(m));
        sync_per_consumer();
    }
    void operator()(codec_ctl::QosConsumer& m) {
        if (registry && m.stream_id() == registry->stream_id()) {
            registry->on_qos(m.consumer_id(), now());
        }
    }

    auto now() const -> std::uint64_t { return clock.monotonic_ns(); }

    // Opens / closes per-consumer publications to match the applied configs (D-26).
    void sync_per_consumer() {
        for (auto it = per_consumer.begin(); it != per_consumer.end();) {
            auto c = registry->consumers().find(it->first);
            if (c == registry->consumers().end() || !c->second.applied ||
                c->second.applied->descriptor_stream_id != it->second.applied.descriptor_stream_id ||
                c->second.applied->control_stream_id != it->second.applied.control_stream_id) {
                it = per_consumer.erase(it);
            } else {
                it->second.gate.set_rate(c->second.hello.max_rate_hz);
                ++it;
            }
        }
        for (const auto& [id, entry] : registry->consumers()) {
            if (!entry.applied || per_consumer.count(id) != 0) {
                continue;
            }
            const auto& a = *entry.applied;
            PerConsumerPubs pubs;
            pubs.applied = a;
            pubs.gate.set_rate(entry.hello.max_rate_hz); // D-27: caps per-consumer descriptors only
            if (!a.descriptor_channel.empty() && !control::is_none_stream_id(a.descriptor_stream_id)) {
                if (auto p = link->transport().add_publication(a.descriptor_channel,
                                                               static_cast<std::int32_t>(a.descriptor_stream_id))) {
                    pubs.descriptor = std::move(*p);
                }
            }
            if (!a.control_channel.empty() && !control::is_none_stream_id(a.control_stream_id)) {
                if (auto p = link->transport().add_publication(a.control_channel,
                                                               static_cast<std::int32_t>(a.control_stream_id))) {
                    pubs.control = std::move(*p);
                }
            }
            if (pubs.descriptor || pubs.control) {
                per_consumer.emplace(id, std::move(pubs));
            }
        }
    }

    void send_metadata(std::uint64_t now_ns) {
        // D-30: DataSourceAnnounce then DataSourceMeta, on change and every second.
        codec_ctl::DataSourceAnnounce a;
        a.wrap_and_apply_header(buf.data(), 0, buf.size())
            .stream_id(options.stream_id)
            .producer_id(driver->client_id())
            .epoch(epoch)
            .meta_version(meta_version);
        a.put_name(options.name);
        a.put_summary(options.summary);
        if (a.ok()) {
            client::offer_retry(*metadata_pub, {buf.data(), a.frame_length()});
        }
        codec_ctl::DataSourceMeta m;
        m.wrap_and_apply_header(buf.data(), 0, buf.size())
            .stream_id(options.stream_id)
            .meta_version(meta_version)
            .timestamp_ns(now_ns);
        auto& g = m.attributes_count(attributes.size());
        for (const auto& attr : attributes) {
            g.next();
            g.put_key(attr.key);
            g.put_format(attr.format);
            g.put_value({reinterpret_cast<const std::uint8_t*>(attr.value.data()), attr.value.size()});
        }
        if (m.ok()) {
            client::offer_retry(*metadata_pub, {buf.data(), m.frame_length()});
        }
        meta_dirty = false;
        next_meta_ns = now_ns + 1'000'000'000ULL;
    }

    void send_qos(std::uint64_t now_ns) {
        // D-29: currentSeq = next seq to assign; watermark null.
        codec_ctl::QosProducer q;
        q.wrap_and_apply_header(buf.data(), 0, buf.size())
            .stream_id(driver->stream_id())
            .producer_id(driver->client_id())
            .epoch(epoch)
            .current_seq(next_seq)
            .watermark_opt(std::nullopt);
        if (q.ok()) {
            (void)qos_pub->offer({buf.data(), q.frame_length()});
        }
        next_qos_ns = now_ns + options.context.qos_interval_ns;
    }

    void send_progress(std::uint64_t seq, std::uint64_t bytes, codec_ctl::FrameProgressState state) {
        // D-28: shared control stream plus the per-consumer control streams.
        std::array<std::uint8_t, 64> pbuf{};
        codec_ctl::FrameProgress p;
        p.wrap_and_apply_header(pbuf.data(), 0, pbuf.size())
            .stream_id(driver->stream_id())
            .epoch(epoch)
            .seq(seq)
            .payload_bytes_filled(bytes)
            .state(state);
        const std::span<const std::uint8_t> bytes_span(pbuf.data(), p.frame_length());
        (void)link->offer_control(bytes_span);
        for (auto& [id, pubs] : per_consumer) {
            if (pubs.control) {
                (void)pubs.control->offer(bytes_span);
            }
        }
    }

    auto do_work() -> int {
        int work = link->poll(*this, 16);
        if (qos_sub) {
            work += qos_sub->poll(
                [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
                    codec::DispatchCounters c;
                    (void)codec::dispatch(msg, *this, c);
                },
                16);
        }
        const auto now_ns = now(); // after polling: handlers above read the clock themselves
        work += driver->do_work(now_ns);
        if (writer) {
            if (now_ns >= next_activity_ns) {
                writer->refresh_activity(now_ns); // D-24
                next_activity_ns = now_ns + options.context.announce_period_ns;
            }
            if (now_ns >= next_qos_ns) {
                send_qos(now_ns);
                ++work;
            }
            if (meta_dirty || ((!attributes.empty() || !options.name.empty()) && now_ns >= next_meta_ns)) {
                send_metadata(now_ns);
                ++work;
            }
            if (registry && now_ns >= next_expire_ns) {
                next_expire_ns = now_ns + 250'000'000ULL;
                if (!registry->expire(now_ns).empty()) {
                    sync_per_consumer();
                }
            }
            if (progress.active()) {
                if (auto b = progress.poll(now_ns)) {
                    send_progress(progress.seq(), *b, codec_ctl::FrameProgressState::PROGRESS);
                }
            }
        }
        return work;
    }

    /// `slot_timestamp_ns` is the frame's SlotHeader.timestampNs.
    auto publish_descriptor(std::uint64_t seq, std::uint64_t trace_id, std::uint64_t slot_timestamp_ns) -> bool {
        std::array<std::uint8_t, 64> dbuf{};
        const std::optional<std::uint64_t> publish_ns =
            options.descriptor_timestamp ? std::optional<std::uint64_t>(now()) : std::nullopt; // D-16
        codec_ctl::FrameDescriptor d;
        d.wrap_and_apply_header(dbuf.data(), 0, dbuf.size())
            .stream_id(driver->stream_id())
            .epoch(epoch)
            .seq(seq)
            .timestamp_ns_opt(publish_ns)
            .meta_version(meta_version)
            .trace_id(trace_id); // D-05: 0 = none
        // Wire §11 note: gate on the timestamp the consumer will gate on (the descriptor's, else the
        // slot's), so a consumer that also gates locally never drops a frame admitted here.
        const std::uint64_t gate_ns = publish_ns.value_or(slot_timestamp_ns);
        const std::span<const std::uint8_t> bytes(dbuf.data(), d.frame_length());
        bool ok = true;
        const auto rc = descriptor_pub->offer(bytes);
        if (rc == transport::BACK_PRESSURED || rc == transport::ADMIN_ACTION) {
            ok = client::offer_retry(*descriptor_pub, bytes);
        }
        for (auto& [id, pubs] : per_consumer) {
            if (pubs.descriptor && pubs.gate.allow(gate_ns)) {
                (void)client::offer_retry(*pubs.descriptor, bytes);
            }
        }
        return ok;
    }
};

Producer::Producer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Producer::Producer(Producer&&) noexcept = default;
auto Producer::operator=(Producer&&) noexcept -> Producer& = default;
Producer::~Producer() {
    close();
}

auto Producer::create(ProducerOptions options) -> Expected<Producer> {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    const auto& ctx = impl->options.context;
    TP_TRY(policy, shm::PathPolicy::create(ctx.allowed_base_dirs));
    impl->policy.emplace(std::move(policy));
    TP_TRY(link, client::ControlLink::create(ctx));
    impl->link = std::move(link);
    auto& t = impl->link->transport();
    TP_TRY(dpub, t.add_publication(ctx.descriptor_channel, ctx.descriptor_stream_id));
    impl->descriptor_pub = std::move(dpub);
    TP_TRY(qpub, t.add_publication(ctx.qos_channel, ctx.qos_stream_id));
    impl->qos_pub = std::move(qpub);
    TP_TRY(qsub, t.add_subscription(ctx.qos_channel, ctx.qos_stream_id));
    impl->qos_sub = std::move(qsub);
    TP_TRY(mpub, t.add_publication(ctx.metadata_channel, ctx.metadata_stream_id));
    impl->metadata_pub = std::move(mpub);
    auto dc =
        client::driver_client_config(ctx, impl->options.stream_id, driver::Role::Producer, impl->options.client_id);
    dc.publish_mode =
        impl->options.create_stream ? driver::PublishMode::ExistingOrCreate : driver::PublishMode::RequireExisting;
    impl->driver = std::make_unique<client::DriverClient>(dc, *impl->link, *impl);
    impl->driver->open(impl->clock.monotonic_ns());
    return Producer(std::move(impl));
}

auto Producer::do_work() -> int {
    return m_impl->do_work();
}

auto Producer::is_ready() const noexcept -> bool {
    return m_impl && m_impl->writer.has_value();
}

auto Producer::wait_ready(std::uint64_t timeout_ms) -> bool {
    const auto deadline = m_impl->clock.monotonic_ns() + timeout_ms * 1'000'000ULL;
    while (!is_ready() && m_impl->clock.monotonic_ns() < deadline) {
        if (do_work() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    return is_ready();
}

auto Producer::try_claim(std::size_t bytes) noexcept -> FrameClaim {
    FrameClaim claim;
    auto& impl = *m_impl;
    if (!impl.writer) {
        claim.m_result = PublishResult::NotReady;
        return claim;
    }
    if (bytes > UINT32_MAX) {
        claim.m_result = PublishResult::NoPoolFits;
        return claim;
    }
    if (impl.meta_dirty) {
        impl.send_metadata(impl.now()); // D-30: the new meta_version precedes its first frame
    }
    shm::SlotClaim s = impl.writer->try_claim(impl.next_seq, static_cast<std::uint32_t>(bytes));
    if (!s.is_valid()) {
        claim.m_result = s.status() == shm::ClaimResult::NoPoolFits         ? PublishResult::NoPoolFits
                         : s.status() == shm::ClaimResult::ClaimOutstanding ? PublishResult::Claimed
                                                                            : PublishResult::InvalidTensor;
        ++impl.stats.frames_dropped;
        return claim;
    }
    ++impl.next_seq;
    if (impl.progress.active() && impl.progress.seq() != s.seq()) {
        impl.progress.end(); // the frame it tracked was abandoned
    }
    new (claim.m_storage) shm::SlotClaim(std::move(s));
    claim.m_has_slot = true;
    claim.m_result = PublishResult::Ok;
    return claim;
}

auto Producer::commit(FrameClaim&& claim) noexcept -> PublishResult {
    auto& impl = *m_impl;
    if (!claim.is_valid()) {
        return claim.m_result == PublishResult::Ok ? PublishResult::NotReady : claim.m_result;
    }
    if (!impl.writer) {
        claim.reset();
        ++impl.stats.frames_dropped;
        return PublishResult::NotReady;
    }
    auto& s = *std::launder(reinterpret_cast<shm::SlotClaim*>(claim.m_storage));
    const auto seq = s.seq();
    const auto len = s.payload().size();
    // D-15: the capture time, else the commit time; written explicitly so the descriptor's rate
    // gate and the consumers see the same value.
    const std::uint64_t ts = claim.m_timestamp_ns != 0 ? claim.m_timestamp_ns : impl.now();
    if (claim.m_timestamp_ns == 0) {
        s.set_timestamp_ns(ts);
    }
    const auto rc = impl.writer->commit(std::move(s));
    claim.reset();
    if (rc != shm::CommitResult::Ok) {
        ++impl.stats.frames_dropped;
        return PublishResult::InvalidTensor;
    }
    if (impl.progress.active() && impl.progress.seq() == seq) {
        impl.send_progress(seq, len, codec_ctl::FrameProgressState::COMPLETE);
        impl.progress.end();
    }
    ++impl.stats.frames_published;
    impl.stats.bytes_published += len;
    if (!impl.publish_descriptor(seq, claim.m_trace_id, ts)) {
        ++impl.stats.descriptor_failures;
        return PublishResult::DescriptorBackPressured;
    }
    return PublishResult::Ok;
}

auto Producer::publish(std::span<const std::byte> data, std::span<const std::int32_t> shape, Dtype dtype,
                       std::uint64_t timestamp_ns) noexcept -> PublishResult {
    FrameClaim c = try_claim(data.size());
    if (!c.is_valid()) {
        return c.result();
    }
    if (!data.empty()) {
        shm::stream_to_shared(c.payload().data(), data.data(), data.size()); // large frames bypass our caches
    }
    c.set_dtype(dtype);
    if (!shape.empty()) {
        c.set_shape(shape);
    }
    if (timestamp_ns != 0) {
        c.set_timestamp_ns(timestamp_ns);
    }
    return commit(std::move(c));
}

void Producer::report_progress(const FrameClaim& claim, std::uint64_t bytes_filled) noexcept {
    auto& impl = *m_impl;
    if (!claim.is_valid() || !impl.registry) {
        return;
    }
    auto policy = impl.registry->progress_policy();
    if (!policy) {
        return; // Wire §10.2.2: only when a consumer supports progress
    }
    const auto seq = claim.seq();
    const auto now_ns = impl.now();
    if (!impl.progress.active() || impl.progress.seq() != seq) {
        const auto& th = slot(claim.m_storage).tensor_header();
        impl.progress.begin(seq, *policy, th.progress_stride_bytes, now_ns);
        impl.send_progress(seq, 0, codec_ctl::FrameProgressState::STARTED);
    }
    if (auto b = impl.progress.update(bytes_filled, now_ns)) {
        impl.send_progress(seq, *b, codec_ctl::FrameProgressState::PROGRESS);
    }
}

void Producer::set_metadata(const std::vector<Attribute>& attributes) {
    auto& impl = *m_impl;
    impl.attributes = attributes;
    ++impl.meta_version; // D-15: +1 per change
    if (impl.writer) {
        impl.writer->set_meta_version(impl.meta_version);
        impl.send_metadata(impl.now());
    } else {
        impl.meta_dirty = true;
    }
}

auto Producer::stats() const noexcept -> ProducerStats {
    ProducerStats s = m_impl->stats;
    s.epoch = m_impl->epoch;
    s.next_seq = m_impl->next_seq;
    s.meta_version = m_impl->meta_version;
    s.client_id = m_impl->driver->client_id();
    s.node_id = m_impl->driver->node_id().value_or(0);
    s.consumers = m_impl->registry ? static_cast<std::uint32_t>(m_impl->registry->consumers().size()) : 0;
    return s;
}

void Producer::close() {
    if (m_impl && m_impl->driver) {
        m_impl->writer.reset();
        m_impl->driver->close(m_impl->clock.monotonic_ns());
        m_impl->driver.reset();
    }
}

} // namespace tp
