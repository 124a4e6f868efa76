// SPDX-License-Identifier: Apache-2.0
#include "client/driver_client.hpp"

#include "common/bits.hpp"

#include <algorithm>

namespace tp::client {

auto to_string(DriverClientState s) noexcept -> const char* {
    switch (s) {
    case DriverClientState::Unattached:
        return "Unattached";
    case DriverClientState::Attaching:
        return "Attaching";
    case DriverClientState::Attached:
        return "Attached";
    case DriverClientState::Detaching:
        return "Detaching";
    case DriverClientState::Backoff:
        return "Backoff";
    case DriverClientState::Closed:
        return "Closed";
    }
    return "?";
}

auto to_string(LeaseLoss l) noexcept -> const char* {
    switch (l) {
    case LeaseLoss::Revoked:
        return "revoked";
    case LeaseLoss::Expired:
        return "expired";
    case LeaseLoss::Detached:
        return "detached";
    case LeaseLoss::DriverShutdown:
        return "driver shutdown";
    case LeaseLoss::DriverSilent:
        return "driver silent";
    case LeaseLoss::EpochChanged:
        return "epoch changed";
    case LeaseLoss::KeepaliveFailed:
        return "keepalive failed";
    }
    return "?";
}

DriverClient::DriverClient(const DriverClientConfig& config, DriverClientProxy& proxy, DriverClientListener& listener)
    : m_config(config), m_proxy(proxy), m_listener(listener),
      m_rng(config.seed != 0 ? config.seed : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()),
      m_client_id(config.client_id), m_client_id_configured(config.client_id != 0),
      m_backoff_ns(config.retry_backoff_ns) {
    if (!m_client_id_configured) {
        m_client_id = random_client_id();
    }
    // D-33: correlation ids start at a random seed.
    m_next_correlation_id = static_cast<std::int64_t>(m_rng() >> 2) + 1;
    m_node_id = config.desired_node_id;
}

auto DriverClient::random_client_id() -> std::uint32_t {
    std::uint32_t id = 0;
    while (id == 0) {
        id = static_cast<std::uint32_t>(m_rng());
    }
    return id;
}

auto DriverClient::stream_id() const noexcept -> std::uint32_t {
    return m_lease && m_lease->stream_id ? *m_lease->stream_id : m_config.stream_id;
}

void DriverClient::open(std::uint64_t now_ns) {
    if (m_state == DriverClientState::Attached || m_state == DriverClientState::Attaching) {
        return;
    }
    send_attach(now_ns);
}

void DriverClient::send_attach(std::uint64_t now_ns) {
    AttachRequest req;
    m_inflight_correlation_id = m_next_correlation_id++;
    req.correlation_id = m_inflight_correlation_id;
    req.stream_id = m_config.stream_id;
    req.client_id = m_client_id;
    req.role = static_cast<std::uint8_t>(m_config.role);
    req.expected_layout_version = driver::LAYOUT_VERSION;
    req.publish_mode = static_cast<std::uint8_t>(m_config.publish_mode); // D-35: always explicit
    req.require_hugepages = static_cast<std::uint8_t>(m_config.hugepages);
    // D-40: ask for the previous node id so it stays stable; after a refusal, ask for none.
    if (m_node_id && !m_desired_node_refused) {
        req.desired_node_id = m_node_id;
    }
    ++m_counters.attach_requests;
    m_state = DriverClientState::Attaching;
    m_deadline_ns = now_ns + m_config.attach_timeout_ns;
    if (!m_proxy.send_attach(req)) {
        // No driver listening yet: retry at the base interval (no doubling, it is not a refusal).
        m_state = DriverClientState::Backoff;
        m_deadline_ns = now_ns + m_config.retry_backoff_ns;
    }
}

void DriverClient::enter_backoff(std::uint64_t now_ns) {
    m_state = DriverClientState::Backoff;
    m_deadline_ns = now_ns + m_backoff_ns;
    m_backoff_ns = std::min(m_backoff_ns * 2, m_config.max_retry_backoff_ns);
}

auto DriverClient::validate_ok(const AttachResponse& r) -> std::string {
    // Driver §4.2, §4.7a: every required field non-null, URIs present, 256-byte slots, pools
    // present with poolNslots == headerNslots; D-18: power-of-two slots.
    if (!r.lease_id || !r.stream_id || !r.epoch || !r.layout_version || !r.header_nslots || !r.header_slot_bytes) {
        return "OK response with a null required field";
    }
    if (*r.layout_version != driver::LAYOUT_VERSION) {
        return "unsupported layout version " + std::to_string(*r.layout_version);
    }
    if (*r.header_slot_bytes != driver::HEADER_SLOT_BYTES) {
        return "headerSlotBytes " + std::to_string(*r.header_slot_bytes) + " is not 256";
    }
    if (!common::is_power_of_two(*r.header_nslots)) {
        return "headerNslots is not a power of two";
    }
    if (r.header_region_uri.find_first_not_of(" \t") == std::string::npos) {
        return "empty headerRegionUri";
    }
    if (r.pools.empty()) {
        return "empty payloadPools";
    }
    for (const auto& p : r.pools) {
        if (p.pool_nslots != *r.header_nslots) {
            return "pool " + std::to_string(p.pool_id) + " poolNslots differs from headerNslots";
        }
        if (p.region_uri.find_first_not_of(" \t") == std::string::npos) {
            return "pool " + std::to_string(p.pool_id) + " has an empty regionUri";
        }
    }
    if (r.node_id && (*r.node_id == 0 || *r.node_id > 1023)) {
        return "nodeId out of range 1..1023";
    }
    return {};
}

void DriverClient::on_attach_response(const AttachResponse& r, std::uint64_t now_ns) {
    if (m_state != DriverClientState::Attaching || r.correlation_id != m_inflight_correlation_id) {
        return; // not ours, or late: a duplicate never overrides the accepted answer (D-33)
    }
    if (r.code != driver::ResponseCode::Ok) {
        ++m_counters.attach_rejected;
        if (r.error_message == "client_id already attached" && !m_client_id_configured) {
            m_client_id = random_client_id(); // D-33: re-pick only an unconfigured id
        }
        if (r.error_message == "node_id unavailable") {
            m_desired_node_refused = true; // D-40: re-attach without one
        }
        m_listener.on_attach_failed(r, r.error_message);
        enter_backoff(now_ns);
        return;
    }
    if (auto why = validate_ok(r); !why.empty()) {
        ++m_counters.protocol_errors;
        m_listener.on_attach_failed(r, "protocol error: " + why);
        enter_backoff(now_ns);
        return;
    }
    ++m_counters.attach_ok;
    m_lease = r;
    if (r.node_id) {
        m_node_id = r.node_id;
        m_desired_node_refused = false;
    }
    m_state = DriverClientState::Attached;
    m_backoff_ns = m_config.retry_backoff_ns;
    m_next_keepalive_ns = now_ns + m_config.keepalive_interval_ns;
    m_last_announce_ns = now_ns;
    m_listener.on_attached(r);
}

void DriverClient::on_detach_response(const driver::DetachResponse& /*r*/, std::uint64_t /*now_ns*/) {
    if (m_state == DriverClientState::Detaching) {
        m_state = DriverClientState::Closed;
    }
}

void DriverClient::lose_lease(LeaseLoss why, std::uint64_t now_ns) {
    m_lease.reset();
    ++m_counters.leases_lost;
    m_listener.on_lease_lost(why);
    enter_backoff(now_ns);
}

void DriverClient::on_lease_revoked(const driver::LeaseRevoked& r, std::uint64_t now_ns) {
    if (m_state != DriverClientState::Attached || !m_lease || r.lease_id != *m_lease->lease_id ||
        r.stream_id != *m_lease->stream_id || r.role != m_config.role) {
        return; // Driver §4.9: other leases' revokes do not apply here
    }
    LeaseLoss why = LeaseLoss::Revoked;
    if (r.reason == driver::RevokeReason::Expired) {
        why = LeaseLoss::Expired;
    } else if (r.reason == driver::RevokeReason::Detached) {
        why = LeaseLoss::Detached;
    }
    // Re-attach promptly: the first backoff step.
    m_backoff_ns = m_config.retry_backoff_ns;
    lose_lease(why, now_ns);
}

void DriverClient::on_driver_shutdown(const driver::ShutdownNotice& /*n*/, std::uint64_t now_ns) {
    // Driver §4.13: immediate lease invalidation; keep retrying so a restarted driver is found.
    if (m_state == DriverClientState::Attached) {
        lose_lease(LeaseLoss::DriverShutdown, now_ns);
    } else if (m_state == DriverClientState::Attaching) {
        enter_backoff(now_ns);
    } else if (m_state == DriverClientState::Detaching) {
        m_state = DriverClientState::Closed;
    }
}

void DriverClient::on_announce(std::uint32_t stream_id, std::uint64_t epoch, std::uint64_t now_ns) {
    if (m_state != DriverClientState::Attached || !m_lease || stream_id != *m_lease->stream_id) {
        return;
    }
    m_last_announce_ns = now_ns;
    if (m_config.role == Role::Producer && epoch > *m_lease->epoch) {
        // A producer lease never sees its epoch change while valid (Driver §6): the driver lost it,
        // e.g. it restarted.
        lose_lease(LeaseLoss::EpochChanged, now_ns);
    }
}

void DriverClient::close(std::uint64_t now_ns) {
    if (m_state == DriverClientState::Attached && m_lease) {
        driver::DetachRequest req;
        req.correlation_id = m_next_correlation_id++;
        req.lease_id = *m_lease->lease_id;
        req.stream_id = *m_lease->stream_id;
        req.client_id = m_client_id;
        req.role = static_cast<std::uint8_t>(m_config.role);
        m_lease.reset();
        if (m_proxy.send_detach(req)) {
            m_state = DriverClientState::Detaching;
            m_deadline_ns = now_ns + m_config.attach_timeout_ns;
            return;
        }
    }
    m_lease.reset();
    m_state = DriverClientState::Closed;
}

auto DriverClient::do_work(std::uint64_t now_ns) -> int {
    switch (m_state) {
    case DriverClientState::Attaching:
        if (now_ns >= m_deadline_ns) {
            ++m_counters.attach_timeouts;
            enter_backoff(now_ns);
            return 1;
        }
        return 0;
    case DriverClientState::Backoff:
        if (now_ns >= m_deadline_ns) {
            send_attach(now_ns);
            return 1;
        }
        return 0;
    case DriverClientState::Attached: {
        int work = 0;
        if (now_ns >= m_next_keepalive_ns) {
            m_next_keepalive_ns = now_ns + m_config.keepalive_interval_ns;
            driver::Keepalive ka{*m_lease->lease_id, *m_lease->stream_id, m_client_id,
                                 static_cast<std::uint8_t>(m_config.role), now_ns};
            ++m_counters.keepalives_sent;
            ++work;
            if (!m_proxy.send_keepalive(ka)) {
                lose_lease(LeaseLoss::KeepaliveFailed, now_ns); // Driver §4.4: fatal, re-attach
                return work;
            }
        }
        // The driver announces every attached stream each period; 3 silent periods mean it is gone.
        if (now_ns > m_last_announce_ns && now_ns - m_last_announce_ns > 3 * m_config.announce_period_ns) {
            lose_lease(LeaseLoss::DriverSilent, now_ns);
            ++work;
        }
        return work;
    }
    case DriverClientState::Detaching:
        if (now_ns >= m_deadline_ns) {
            m_state = DriverClientState::Closed;
            return 1;
        }
        return 0;
    case DriverClientState::Unattached:
    case DriverClientState::Closed:
        return 0;
    }
    return 0;
}

} // namespace tp::client
