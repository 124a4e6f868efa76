// SPDX-License-Identifier: Apache-2.0
#include "driver/driver_conductor.hpp"

#include "codec/message_convert.hpp"
#include "common/bits.hpp"
#include "concurrent/atomic_ops.hpp"

namespace tp::driver {

namespace {
constexpr int OFFER_RETRIES = 64; // back-pressure on a 4 MiB control log clears within microseconds
}

DriverConductor::DriverConductor(const DriverConfig& config, RegionProvisioner& provisioner, const common::Clock& clock,
                                 std::uint64_t lease_id_seed)
    : m_state(
          std::make_unique<DriverState>(config, provisioner, static_cast<DriverProxy&>(*this), clock, lease_id_seed)) {}

auto DriverConductor::create(const DriverConfig& config, transport::TransportContext& transport,
                             RegionProvisioner& provisioner, const common::Clock& clock, std::uint64_t lease_id_seed)
    -> Expected<std::unique_ptr<DriverConductor>> {
    std::unique_ptr<DriverConductor> c(new DriverConductor(config, provisioner, clock, lease_id_seed));
    const auto control_id = static_cast<std::int32_t>(config.driver.control_stream_id);
    const auto announce_id = static_cast<std::int32_t>(config.driver.announce_stream_id);
    TP_TRY(sub, transport.add_subscription(config.driver.control_channel, control_id));
    c->m_control_sub = std::move(sub);
    TP_TRY(pub, transport.add_publication(config.driver.control_channel, control_id));
    c->m_control_pub = std::move(pub);
    if (config.driver.announce_channel != config.driver.control_channel || announce_id != control_id) {
        TP_TRY(apub, transport.add_publication(config.driver.announce_channel, announce_id));
        c->m_announce_pub = std::move(apub);
    }
    c->m_state->start();
    return c;
}

auto DriverConductor::do_work(int fragment_limit) -> int {
    int work = m_control_sub->poll(
        [this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) { on_fragment(msg); },
        fragment_limit);
    work += m_state->do_work();
    return work;
}

void DriverConductor::on_fragment(std::span<const std::uint8_t> message) {
    ++m_counters.messages_in;
    const auto before = m_dispatch_counters.dropped();
    auto outcome = codec::dispatch(message, *this, m_dispatch_counters);
    if (outcome.result != codec::DispatchResult::Dropped) {
        return;
    }
    // Driver §4.4a / D-34: a ShmAttachRequest from a newer schema version is answered UNSUPPORTED
    // (its version-1 prefix still carries the correlation id).
    if (outcome.reason == codec::DropReason::BadVersion && outcome.type != nullptr &&
        outcome.type->schema_id == codec::driver::SCHEMA_ID &&
        outcome.type->template_id == codec::driver::ShmAttachRequest::SBE_TEMPLATE_ID &&
        message.size() >= codec::MESSAGE_HEADER_LENGTH + 8) {
        AttachRequest req;
        req.correlation_id = common::load_unaligned<std::int64_t>(message.data() + codec::MESSAGE_HEADER_LENGTH);
        req.schema_version = common::load_unaligned<std::uint16_t>(message.data() + 6);
        req.client_id = 0;
        m_state->on_attach(req);
        return;
    }
    // Messages of other schemas share the control stream (D-04): only malformed ones count here.
    if (outcome.reason != codec::DropReason::UnknownSchema && outcome.reason != codec::DropReason::UnknownTemplate) {
        m_state->counters().malformed_messages += m_dispatch_counters.dropped() - before;
    }
}

void DriverConductor::operator()(codec::driver::ShmAttachRequest& m) {
    m_state->on_attach(codec::decode(m));
}
void DriverConductor::operator()(codec::driver::ShmDetachRequest& m) {
    m_state->on_detach(codec::decode(m));
}
void DriverConductor::operator()(codec::driver::ShmLeaseKeepalive& m) {
    m_state->on_keepalive(codec::decode(m));
}
void DriverConductor::operator()(codec::driver::ShmDriverShutdownRequest& m) {
    m_state->on_shutdown_request(codec::decode(m));
}

void DriverConductor::publish(transport::Publication& pub, std::size_t length) {
    if (length == 0) {
        ++m_counters.encode_failed;
        return;
    }
    const std::span<const std::uint8_t> bytes(m_buffer.data(), length);
    for (int attempt = 0; attempt < OFFER_RETRIES; ++attempt) {
        const auto rc = pub.offer(bytes);
        if (rc >= 0) {
            return;
        }
        if (rc != transport::BACK_PRESSURED && rc != transport::ADMIN_ACTION) {
            break;
        }
        concurrent::cpu_relax();
    }
    ++m_counters.offers_failed;
}

void DriverConductor::send_attach_response(const AttachResponse& r) {
    publish(*m_control_pub, codec::encode(r, m_buffer));
}
void DriverConductor::send_detach_response(const DetachResponse& r) {
    publish(*m_control_pub, codec::encode(r, m_buffer));
}
void DriverConductor::send_lease_revoked(const LeaseRevoked& r) {
    publish(*m_control_pub, codec::encode(r, m_buffer));
}
void DriverConductor::send_shutdown(const ShutdownNotice& n) {
    publish(*m_control_pub, codec::encode(n, m_buffer));
}
void DriverConductor::send_announce(const PoolAnnounce& a) {
    publish(m_announce_pub ? *m_announce_pub : *m_control_pub, codec::encode(codec::to_control(a), m_buffer));
}

} // namespace tp::driver
