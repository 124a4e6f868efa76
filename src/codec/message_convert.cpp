// SPDX-License-Identifier: Apache-2.0
#include "codec/message_convert.hpp"

#include <vector>

namespace tp::codec {

namespace {

template <typename M>
auto finish(const M& m) noexcept -> std::size_t {
    return m.ok() ? m.frame_length() : 0;
}

auto text(std::string_view v) -> std::string {
    return std::string(v);
}

/// Writes a payloadPools group (ShmAttachResponse and ShmPoolAnnounce share its layout).
template <typename Message>
void encode_pools(Message& m, const std::vector<tp::driver::PoolLayout>& pools) noexcept {
    auto& g = m.payload_pools_count(pools.size());
    for (const auto& p : pools) {
        g.next().pool_id(p.pool_id).pool_nslots(p.pool_nslots).stride_bytes(p.stride_bytes);
        g.put_region_uri(p.region_uri);
    }
}

/// Reads a payloadPools group.
template <typename Message>
auto decode_pools(Message& m) -> std::vector<tp::driver::PoolLayout> {
    std::vector<tp::driver::PoolLayout> out;
    auto& g = m.payload_pools();
    while (g.has_next()) {
        auto& p = g.next();
        tp::driver::PoolLayout pl;
        pl.pool_id = p.pool_id();
        pl.pool_nslots = p.pool_nslots();
        pl.stride_bytes = p.stride_bytes();
        pl.region_uri = text(p.region_uri());
        out.push_back(std::move(pl));
    }
    return out;
}

} // namespace

// ---- schema 901 -------------------------------------------------------------------------------

auto encode(const tp::driver::AttachRequest& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmAttachRequest m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .correlation_id(r.correlation_id)
        .stream_id(r.stream_id)
        .client_id(r.client_id)
        .role_raw(r.role)
        .expected_layout_version(r.expected_layout_version)
        .publish_mode_raw(r.publish_mode)
        .require_hugepages_raw(r.require_hugepages)
        .desired_node_id_opt(r.desired_node_id);
    return finish(m);
}

auto decode(driver::ShmAttachRequest& m) -> tp::driver::AttachRequest {
    tp::driver::AttachRequest r;
    r.correlation_id = m.correlation_id();
    r.stream_id = m.stream_id();
    r.client_id = m.client_id();
    r.role = m.role_raw();
    r.expected_layout_version = m.expected_layout_version();
    r.publish_mode = m.publish_mode_raw();
    r.require_hugepages = m.require_hugepages_raw();
    r.desired_node_id = m.desired_node_id_opt();
    r.schema_version = static_cast<std::uint16_t>(m.acting_version());
    return r;
}

auto encode(const tp::driver::AttachResponse& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmAttachResponse m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .correlation_id(r.correlation_id)
        .code_raw(static_cast<std::int32_t>(r.code))
        .lease_id_opt(r.lease_id)
        .lease_expiry_timestamp_ns_opt(r.lease_expiry_timestamp_ns)
        .stream_id_opt(r.stream_id)
        .epoch_opt(r.epoch)
        .layout_version_opt(r.layout_version)
        .header_nslots_opt(r.header_nslots)
        .header_slot_bytes_opt(r.header_slot_bytes)
        .node_id_opt(r.node_id);
    encode_pools(m, r.pools);
    m.put_header_region_uri(r.header_region_uri);
    m.put_error_message(r.error_message);
    return finish(m);
}

auto decode(driver::ShmAttachResponse& m) -> tp::driver::AttachResponse {
    tp::driver::AttachResponse r;
    r.correlation_id = m.correlation_id();
    r.code = static_cast<tp::driver::ResponseCode>(m.code_raw());
    r.lease_id = m.lease_id_opt();
    r.lease_expiry_timestamp_ns = m.lease_expiry_timestamp_ns_opt();
    r.stream_id = m.stream_id_opt();
    r.epoch = m.epoch_opt();
    r.layout_version = m.layout_version_opt();
    r.header_nslots = m.header_nslots_opt();
    r.header_slot_bytes = m.header_slot_bytes_opt();
    r.node_id = m.node_id_opt();
    r.pools = decode_pools(m);
    r.header_region_uri = text(m.header_region_uri());
    r.error_message = text(m.error_message());
    return r;
}

auto encode(const tp::driver::DetachRequest& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmDetachRequest m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .correlation_id(r.correlation_id)
        .lease_id(r.lease_id)
        .stream_id(r.stream_id)
        .client_id(r.client_id)
        .role_raw(r.role);
    return finish(m);
}

auto decode(driver::ShmDetachRequest& m) -> tp::driver::DetachRequest {
    return tp::driver::DetachRequest{m.correlation_id(), m.lease_id(), m.stream_id(), m.client_id(), m.role_raw()};
}

auto encode(const tp::driver::DetachResponse& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmDetachResponse m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .correlation_id(r.correlation_id)
        .code_raw(static_cast<std::int32_t>(r.code));
    m.put_error_message(r.error_message);
    return finish(m);
}

auto decode(driver::ShmDetachResponse& m) -> tp::driver::DetachResponse {
    tp::driver::DetachResponse r;
    r.correlation_id = m.correlation_id();
    r.code = static_cast<tp::driver::ResponseCode>(m.code_raw());
    r.error_message = text(m.error_message());
    return r;
}

auto encode(const tp::driver::Keepalive& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmLeaseKeepalive m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .lease_id(r.lease_id)
        .stream_id(r.stream_id)
        .client_id(r.client_id)
        .role_raw(r.role)
        .client_timestamp_ns(r.client_timestamp_ns);
    return finish(m);
}

auto decode(driver::ShmLeaseKeepalive& m) -> tp::driver::Keepalive {
    return tp::driver::Keepalive{m.lease_id(), m.stream_id(), m.client_id(), m.role_raw(), m.client_timestamp_ns()};
}

auto encode(const tp::driver::LeaseRevoked& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmLeaseRevoked m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .timestamp_ns(r.timestamp_ns)
        .lease_id(r.lease_id)
        .stream_id(r.stream_id)
        .client_id(r.client_id)
        .role_raw(static_cast<std::uint8_t>(r.role))
        .reason_raw(static_cast<std::uint8_t>(r.reason));
    m.put_error_message(r.error_message);
    return finish(m);
}

auto decode(driver::ShmLeaseRevoked& m) -> tp::driver::LeaseRevoked {
    tp::driver::LeaseRevoked r;
    r.timestamp_ns = m.timestamp_ns();
    r.lease_id = m.lease_id();
    r.stream_id = m.stream_id();
    r.client_id = m.client_id();
    r.role = static_cast<tp::driver::Role>(m.role_raw());
    r.reason = static_cast<tp::driver::RevokeReason>(m.reason_raw());
    r.error_message = text(m.error_message());
    return r;
}

auto encode(const tp::driver::ShutdownNotice& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmDriverShutdown m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .timestamp_ns(r.timestamp_ns)
        .reason_raw(static_cast<std::uint8_t>(r.reason));
    m.put_error_message(r.error_message);
    return finish(m);
}

auto decode(driver::ShmDriverShutdown& m) -> tp::driver::ShutdownNotice {
    tp::driver::ShutdownNotice r;
    r.timestamp_ns = m.timestamp_ns();
    r.reason = static_cast<tp::driver::ShutdownReason>(m.reason_raw());
    r.error_message = text(m.error_message());
    return r;
}

auto encode(const tp::driver::ShutdownRequest& r, std::span<std::uint8_t> out) noexcept -> std::size_t {
    driver::ShmDriverShutdownRequest m;
    m.wrap_and_apply_header(out.data(), 0, out.size()).correlation_id(r.correlation_id).reason_raw(r.reason);
    m.put_token(r.token);
    m.put_error_message(r.error_message);
    return finish(m);
}

auto decode(driver::ShmDriverShutdownRequest& m) -> tp::driver::ShutdownRequest {
    tp::driver::ShutdownRequest r;
    r.correlation_id = m.correlation_id();
    r.reason = m.reason_raw();
    r.token = text(m.token());
    r.error_message = text(m.error_message());
    return r;
}

// ---- schema 900 -------------------------------------------------------------------------------

auto encode(const tp::control::PoolAnnounce& a, std::span<std::uint8_t> out) noexcept -> std::size_t {
    control::ShmPoolAnnounce m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .stream_id(a.stream_id)
        .producer_id(a.producer_id)
        .epoch(a.epoch)
        .announce_timestamp_ns(a.announce_timestamp_ns)
        .announce_clock_domain_raw(a.clock_domain)
        .layout_version(a.layout_version)
        .header_nslots(a.header_nslots)
        .header_slot_bytes(a.header_slot_bytes);
    encode_pools(m, a.pools);
    m.put_header_region_uri(a.header_region_uri);
    return finish(m);
}

auto decode(control::ShmPoolAnnounce& m) -> tp::control::PoolAnnounce {
    tp::control::PoolAnnounce a;
    a.stream_id = m.stream_id();
    a.producer_id = m.producer_id();
    a.epoch = m.epoch();
    a.announce_timestamp_ns = m.announce_timestamp_ns();
    a.clock_domain = m.announce_clock_domain_raw();
    a.layout_version = m.layout_version();
    a.header_nslots = m.header_nslots();
    a.header_slot_bytes = m.header_slot_bytes();
    a.pools = decode_pools(m);
    a.header_region_uri = text(m.header_region_uri());
    return a;
}

auto to_control(const tp::driver::PoolAnnounce& d) -> tp::control::PoolAnnounce {
    tp::control::PoolAnnounce a;
    a.stream_id = d.layout.stream_id;
    a.producer_id = d.producer_id;
    a.epoch = d.layout.epoch;
    a.announce_timestamp_ns = d.announce_timestamp_ns;
    a.clock_domain = static_cast<std::uint8_t>(tp::control::ClockDomain::Monotonic);
    a.layout_version = tp::driver::LAYOUT_VERSION;
    a.header_nslots = d.layout.header_nslots;
    a.header_slot_bytes = tp::driver::HEADER_SLOT_BYTES;
    a.pools = d.layout.pools;
    a.header_region_uri = d.layout.header_region_uri;
    return a;
}

auto encode(const tp::control::ConsumerHello& h, std::span<std::uint8_t> out) noexcept -> std::size_t {
    control::ConsumerHello m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .stream_id(h.stream_id)
        .consumer_id(h.consumer_id)
        .supports_shm(h.supports_shm ? control::Bool::TRUE : control::Bool::FALSE)
        .supports_progress(h.supports_progress ? control::Bool::TRUE : control::Bool::FALSE)
        .mode_raw(static_cast<std::uint8_t>(h.mode))
        .max_rate_hz(h.max_rate_hz)
        .expected_layout_version(h.expected_layout_version)
        .progress_interval_us_opt(h.progress_interval_us)
        .progress_bytes_delta_opt(h.progress_bytes_delta)
        .progress_major_delta_units_opt(h.progress_major_delta_units)
        .descriptor_stream_id(h.descriptor_stream_id)
        .control_stream_id(h.control_stream_id);
    m.put_descriptor_channel(h.descriptor_channel);
    m.put_control_channel(h.control_channel);
    return finish(m);
}

auto decode(control::ConsumerHello& m) -> tp::control::ConsumerHello {
    tp::control::ConsumerHello h;
    h.stream_id = m.stream_id();
    h.consumer_id = m.consumer_id();
    h.supports_shm = m.supports_shm() == control::Bool::TRUE;
    h.supports_progress = m.supports_progress() == control::Bool::TRUE;
    h.mode = m.mode_raw() == static_cast<std::uint8_t>(tp::control::Mode::RateLimited) ? tp::control::Mode::RateLimited
                                                                                       : tp::control::Mode::Stream;
    h.max_rate_hz = m.max_rate_hz();
    h.expected_layout_version = m.expected_layout_version();
    h.progress_interval_us = m.progress_interval_us_opt();
    h.progress_bytes_delta = m.progress_bytes_delta_opt();
    h.progress_major_delta_units = m.progress_major_delta_units_opt();
    h.descriptor_stream_id = m.descriptor_stream_id();
    h.control_stream_id = m.control_stream_id();
    h.descriptor_channel = text(m.descriptor_channel());
    h.control_channel = text(m.control_channel());
    return h;
}

auto encode(const tp::control::ConsumerConfig& c, std::span<std::uint8_t> out) noexcept -> std::size_t {
    control::ConsumerConfig m;
    m.wrap_and_apply_header(out.data(), 0, out.size())
        .stream_id(c.stream_id)
        .consumer_id(c.consumer_id)
        .use_shm(c.use_shm ? control::Bool::TRUE : control::Bool::FALSE)
        .mode_raw(static_cast<std::uint8_t>(c.mode))
        .descriptor_stream_id(c.descriptor_stream_id)
        .control_stream_id(c.control_stream_id);
    m.put_payload_fallback_uri(c.payload_fallback_uri);
    m.put_descriptor_channel(c.descriptor_channel);
    m.put_control_channel(c.control_channel);
    return finish(m);
}

auto decode(control::ConsumerConfig& m) -> tp::control::ConsumerConfig {
    tp::control::ConsumerConfig c;
    c.stream_id = m.stream_id();
    c.consumer_id = m.consumer_id();
    c.use_shm = m.use_shm() == control::Bool::TRUE;
    c.mode = m.mode_raw() == static_cast<std::uint8_t>(tp::control::Mode::RateLimited) ? tp::control::Mode::RateLimited
                                                                                       : tp::control::Mode::Stream;
    c.descriptor_stream_id = m.descriptor_stream_id();
    c.control_stream_id = m.control_stream_id();
    c.payload_fallback_uri = text(m.payload_fallback_uri());
    c.descriptor_channel = text(m.descriptor_channel());
    c.control_channel = text(m.control_channel());
    return c;
}

} // namespace tp::codec
