// SPDX-License-Identifier: Apache-2.0
#include "client/control_link.hpp"

#include "codec/message_convert.hpp"
#include "concurrent/atomic_ops.hpp"


namespace tp::client {

namespace {
constexpr int OFFER_RETRIES = 256;
}

auto transport_config(const ClientContext& ctx) -> Expected<transport::TransportConfig> {
    return transport::make_transport_config(ctx.transport, ctx.transport_dir, ctx.aeron_dir, ctx.aeron_embedded_driver);
}

auto driver_client_config(const ClientContext& ctx, std::uint32_t stream_id, driver::Role role, std::uint32_t client_id)
    -> DriverClientConfig {
    DriverClientConfig dc;
    dc.stream_id = stream_id;
    dc.role = role;
    dc.client_id = client_id;
    dc.keepalive_interval_ns = ctx.keepalive_interval_ns;
    dc.attach_timeout_ns = ctx.attach_timeout_ns;
    dc.retry_backoff_ns = ctx.attach_retry_ns;
    dc.announce_period_ns = ctx.announce_period_ns;
    return dc;
}

auto offer_retry(transport::Publication& pub, std::span<const std::uint8_t> bytes) noexcept -> bool {
    for (int attempt = 0; attempt < OFFER_RETRIES; ++attempt) {
        const auto rc = pub.offer(bytes);
        if (rc >= 0) {
            return true;
        }
        if (rc != transport::BACK_PRESSURED && rc != transport::ADMIN_ACTION) {
            return false;
        }
        concurrent::cpu_relax();
    }
    return false;
}

auto ControlLink::create(const ClientContext& ctx) -> Expected<std::unique_ptr<ControlLink>> {
    std::unique_ptr<ControlLink> link(new ControlLink());
    link->m_ctx = ctx;
    TP_TRY(tc, transport_config(ctx));
    TP_TRY(t, transport::TransportContext::create(tc));
    link->m_transport = std::make_unique<transport::TransportContext>(std::move(t));
    ControlLink* self = link.get();
    auto on_image = [self](const transport::ImageInfo& info) {
        if (self->m_join_time_ns == 0 || info.join_time_ns < self->m_join_time_ns) {
            self->m_join_time_ns = info.join_time_ns;
        }
    };
    TP_TRY(sub, link->m_transport->add_subscription(ctx.control_channel, ctx.control_stream_id, on_image));
    link->m_control_sub = std::move(sub);
    TP_TRY(pub, link->m_transport->add_publication(ctx.control_channel, ctx.control_stream_id));
    link->m_control_pub = std::move(pub);
    if (ctx.announce_channel != ctx.control_channel || ctx.announce_stream_id != ctx.control_stream_id) {
        TP_TRY(asub, link->m_transport->add_subscription(ctx.announce_channel, ctx.announce_stream_id, on_image));
        link->m_announce_sub = std::move(asub);
    }
    return link;
}

auto ControlLink::publish_control(std::size_t length) noexcept -> bool {
    if (length == 0) {
        return false;
    }
    return offer_retry(*m_control_pub, {m_buffer.data(), length});
}

auto ControlLink::send_attach(const AttachRequest& r) -> bool {
    return publish_control(codec::encode(r, m_buffer));
}
auto ControlLink::send_keepalive(const driver::Keepalive& k) -> bool {
    return publish_control(codec::encode(k, m_buffer));
}
auto ControlLink::send_detach(const driver::DetachRequest& r) -> bool {
    return publish_control(codec::encode(r, m_buffer));
}

} // namespace tp::client
