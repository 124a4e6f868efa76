// SPDX-License-Identifier: Apache-2.0
#include "driver/driver_state.hpp"

#include <algorithm>

namespace tp::driver {

namespace {

constexpr std::size_t MAX_REMEMBERED_RESPONSES = 256;
constexpr std::uint64_t NS_PER_MS = 1'000'000ULL;
constexpr std::uint64_t LEASE_ID_NULL = UINT64_MAX;

auto truncate_message(std::string msg) -> std::string {
    if (msg.size() > MAX_ERROR_MESSAGE_BYTES) {
        msg.resize(MAX_ERROR_MESSAGE_BYTES); // Driver §4.2: at most 1024 bytes
    }
    return msg;
}

auto valid_role(std::uint8_t r) -> bool {
    return r == 1 || r == 2;
}

} // namespace

DriverState::DriverState(const DriverConfig& config, RegionProvisioner& provisioner, DriverProxy& proxy,
                         const common::Clock& clock, std::uint64_t lease_id_seed)
    : m_config(config), m_provisioner(provisioner), m_proxy(proxy), m_clock(clock),
      m_node_ids(std::uint64_t{config.policies.node_id_reuse_cooldown_ms} * NS_PER_MS), m_next_lease_id(lease_id_seed),
      m_lease_duration_ns(std::uint64_t{config.policies.lease_keepalive_interval_ms} *
                          config.policies.lease_expiry_grace_intervals * NS_PER_MS),
      m_announce_period_ns(std::uint64_t{config.policies.announce_period_ms} * NS_PER_MS) {
    for (const auto& sc : m_config.streams) {
        StreamState s;
        s.stream_id = sc.stream_id;
        s.profile = m_config.find_profile(sc.profile);
        m_streams.emplace(sc.stream_id, std::move(s));
    }
}

void DriverState::start() {
    if (m_config.policies.epoch_gc_enabled && m_config.policies.epoch_gc_on_startup) {
        for (const auto& [id, s] : m_streams) {
            // Nothing is current yet: keep the newest epoch_gc_keep existing epochs.
            m_provisioner.collect_epochs(id, 0);
        }
    }
    const auto now = m_clock.monotonic_ns();
    m_next_announce_ns = now + m_announce_period_ns;
    m_next_expiry_check_ns = now;
}

auto DriverState::next_lease_id() -> std::uint64_t {
    // D-33: random seed, +1 per lease, skipping 0 and the null value.
    ++m_next_lease_id;
    while (m_next_lease_id == 0 || m_next_lease_id == LEASE_ID_NULL || m_leases.count(m_next_lease_id) != 0) {
        ++m_next_lease_id;
    }
    return m_next_lease_id;
}

auto DriverState::reject(AttachResponse& rsp, ResponseCode code, const std::string& msg) -> AttachResponse& {
    // D-34: non-OK carries nulls, an empty pool group and an empty header URI.
    const auto corr = rsp.correlation_id;
    rsp = AttachResponse{};
    rsp.correlation_id = corr;
    rsp.code = code;
    rsp.error_message = truncate_message(msg);
    return rsp;
}

auto DriverState::find_lease_by_client(std::uint32_t client_id) const -> const Lease* {
    for (const auto& [id, l] : m_leases) {
        if (l.client_id == client_id) {
            return &l;
        }
    }
    return nullptr;
}

void DriverState::remember_response(std::uint32_t client_id, const AttachResponse& rsp) {
    m_recent_responses.push_back(Remembered{client_id, rsp});
    if (m_recent_responses.size() > MAX_REMEMBERED_RESPONSES) {
        m_recent_responses.pop_front();
    }
}

auto DriverState::find_remembered(std::uint32_t client_id, std::int64_t correlation_id) const -> const AttachResponse* {
    for (auto it = m_recent_responses.rbegin(); it != m_recent_responses.rend(); ++it) {
        if (it->client_id == client_id && it->response.correlation_id == correlation_id) {
            return &it->response;
        }
    }
    return nullptr;
}

void DriverState::on_attach(const AttachRequest& req) {
    const auto now = m_clock.monotonic_ns();
    if (req.client_id != 0) {
        if (const auto* prev = find_remembered(req.client_id, req.correlation_id)) {
            // Driver §4.8: a retry with the same correlationId gets the same answer.
            ++m_counters.attach_duplicates;
            m_proxy.send_attach_response(*prev);
            return;
        }
    }
    AttachResponse rsp = handle_attach(req, now);
    if (rsp.code == ResponseCode::Ok) {
        ++m_counters.attaches_ok;
    } else {
        ++m_counters.attach_rejects[static_cast<std::size_t>(rsp.code)];
    }
    if (req.client_id != 0) {
        remember_response(req.client_id, rsp);
    }
    m_proxy.send_attach_response(rsp);
    if (rsp.code == ResponseCode::Ok) {
        // D-32: announce immediately after each attach.
        if (auto it = m_streams.find(*rsp.stream_id); it != m_streams.end()) {
            announce(it->second, now);
        }
    }
}

auto DriverState::check_hugepages(std::uint8_t policy, AttachResponse& rsp) const -> std::optional<bool> {
    // D-37.
    const bool huge_fs = m_provisioner.base_is_hugetlbfs();
    switch (policy) {
    case static_cast<std::uint8_t>(HugepagesPolicy::Hugepages):
        if (!huge_fs) {
            reject(rsp, ResponseCode::Rejected, "hugepages required but shm.base_dir is not hugetlbfs");
            return std::nullopt;
        }
        return true;
    case static_cast<std::uint8_t>(HugepagesPolicy::Standard):
        if (huge_fs) {
            reject(rsp, ResponseCode::Rejected, "standard pages required but shm.base_dir is hugetlbfs");
            return std::nullopt;
        }
        return false;
    default:
        if (m_config.shm.require_hugepages && !huge_fs) {
            reject(rsp, ResponseCode::Rejected, "shm.require_hugepages is set but shm.base_dir is not hugetlbfs");
            return std::nullopt;
        }
        return huge_fs;
    }
}

auto DriverState::resolve_stream(const AttachRequest& req, PublishMode mode, AttachResponse& rsp) -> StreamState* {
    if (auto it = m_streams.find(req.stream_id); it != m_streams.end()) {
        return &it->second;
    }
    // D-36: unknown stream + dynamic streams + EXISTING_OR_CREATE -> next free id in the range,
    // ignoring the requested id.
    if (!m_config.policies.allow_dynamic_streams || mode != PublishMode::ExistingOrCreate) {
        reject(rsp, ResponseCode::Rejected, "stream " + std::to_string(req.stream_id) + " is not provisioned");
        return nullptr;
    }
    const auto& range = m_config.driver.stream_id_range;
    if (!range) {
        reject(rsp, ResponseCode::InvalidParams, "dynamic streams need driver.stream_id_range");
        return nullptr;
    }
    const ProfileConfig* profile = m_config.find_profile(m_config.policies.default_profile);
    if (profile == nullptr) {
        reject(rsp, ResponseCode::InvalidParams, "no default profile for dynamic streams");
        return nullptr;
    }
    for (std::uint64_t id = range->first; id <= range->last; ++id) {
        const auto sid = static_cast<std::uint32_t>(id);
        if (m_streams.count(sid) == 0) {
            StreamState s;
            s.stream_id = sid;
            s.profile = profile;
            s.dynamic = true;
            return &m_streams.emplace(sid, std::move(s)).first->second;
        }
    }
    reject(rsp, ResponseCode::InvalidParams, "dynamic stream range " + range->to_string() + " is exhausted");
    return nullptr;
}

auto DriverState::handle_attach(const AttachRequest& req, std::uint64_t now) -> AttachResponse {
    AttachResponse rsp;
    rsp.correlation_id = req.correlation_id;
    // D-34 code table, Driver §4.4a.
    if (req.schema_version > 1) {
        return reject(rsp, ResponseCode::Unsupported,
                      "schema version " + std::to_string(req.schema_version) + " is newer than 1");
    }
    PublishMode mode = PublishMode::RequireExisting; // D-35: null means REQUIRE_EXISTING
    if (req.publish_mode == static_cast<std::uint8_t>(PublishMode::ExistingOrCreate)) {
        mode = PublishMode::ExistingOrCreate;
    } else if (req.publish_mode != static_cast<std::uint8_t>(PublishMode::RequireExisting) &&
               req.publish_mode != PUBLISH_MODE_NULL) {
        return reject(rsp, ResponseCode::Unsupported, "unknown publishMode " + std::to_string(req.publish_mode));
    }
    if (req.client_id == 0) {
        return reject(rsp, ResponseCode::InvalidParams, "clientId must be non-zero");
    }
    if (!valid_role(req.role)) {
        return reject(rsp, ResponseCode::InvalidParams, "unknown role " + std::to_string(req.role));
    }
    if (req.require_hugepages > static_cast<std::uint8_t>(HugepagesPolicy::Hugepages)) {
        return reject(rsp, ResponseCode::InvalidParams,
                      "unknown requireHugepages policy " + std::to_string(req.require_hugepages));
    }
    if (m_phase != DriverPhase::Running) {
        return reject(rsp, ResponseCode::Rejected, "driver draining");
    }
    if (find_lease_by_client(req.client_id) != nullptr) {
        return reject(rsp, ResponseCode::Rejected, "client_id already attached");
    }
    if (req.expected_layout_version != 0 && req.expected_layout_version != LAYOUT_VERSION) {
        return reject(rsp, ResponseCode::Rejected,
                      "expectedLayoutVersion " + std::to_string(req.expected_layout_version) +
                          " does not match layout version 1");
    }
    StreamState* stream = resolve_stream(req, mode, rsp);
    if (stream == nullptr) {
        return rsp;
    }
    const bool created_dynamic = stream->dynamic && stream->lease_count == 0 && stream->epoch == 0;
    auto drop_new_dynamic = [&] {
        if (created_dynamic) {
            m_streams.erase(stream->stream_id);
        }
    };
    if (stream->profile == nullptr) {
        drop_new_dynamic();
        return reject(rsp, ResponseCode::InvalidParams, "stream has no profile");
    }
    if (stream->profile->payload_pools.empty()) {
        drop_new_dynamic();
        return reject(rsp, ResponseCode::InvalidParams, "stream has no payload pools");
    }
    auto huge = check_hugepages(req.require_hugepages, rsp);
    if (!huge) {
        drop_new_dynamic();
        return rsp;
    }
    const auto role = static_cast<Role>(req.role);
    if (role == Role::Producer && stream->producer_lease) {
        // Driver §5: exclusive producer.
        return reject(rsp, ResponseCode::Rejected,
                      "producer already attached to stream " + std::to_string(stream->stream_id));
    }
    std::optional<std::uint32_t> node_id;
    if (req.desired_node_id) {
        if (!m_node_ids.claim(*req.desired_node_id, req.client_id, now)) {
            drop_new_dynamic();
            return reject(rsp, ResponseCode::Rejected, "node_id unavailable");
        }
        node_id = *req.desired_node_id;
    } else {
        node_id = m_node_ids.allocate(req.client_id, now); // exhausted -> null (D-40)
    }
    // D-31: bump on every producer attach and on first provisioning.
    stream->hugepages = *huge;
    if (role == Role::Producer || !stream->provisioned) {
        if (!bump_epoch(*stream, now)) {
            if (node_id) {
                m_node_ids.release(*node_id, now);
            }
            drop_new_dynamic();
            return reject(rsp, ResponseCode::InternalError, "failed to create the stream's shared-memory regions");
        }
    }
    Lease lease;
    lease.lease_id = next_lease_id();
    lease.stream_id = stream->stream_id;
    lease.client_id = req.client_id;
    lease.role = role;
    lease.expiry_ns = now + m_lease_duration_ns;
    lease.node_id = node_id;
    m_leases.emplace(lease.lease_id, lease);
    ++stream->lease_count;
    if (role == Role::Producer) {
        stream->producer_lease = lease.lease_id;
        stream->producer_client_id = req.client_id;
    }

    rsp.code = ResponseCode::Ok;
    rsp.lease_id = lease.lease_id;
    rsp.lease_expiry_timestamp_ns = lease.expiry_ns;
    rsp.stream_id = stream->stream_id;
    rsp.epoch = stream->epoch;
    rsp.layout_version = LAYOUT_VERSION;
    rsp.header_nslots = stream->layout.header_nslots;
    rsp.header_slot_bytes = HEADER_SLOT_BYTES;
    rsp.node_id = node_id;
    rsp.pools = stream->layout.pools;
    rsp.header_region_uri = stream->layout.header_region_uri;
    return rsp;
}

auto DriverState::bump_epoch(StreamState& s, std::uint64_t now) -> bool {
    // D-22: first = max(1, now); each bump = max(prev + 1, now); never 0; strictly greater than
    // any epoch directory left by an earlier run.
    std::uint64_t prev = s.epoch;
    if (prev == 0) {
        prev = m_provisioner.largest_existing_epoch(s.stream_id);
    }
    const std::uint64_t epoch = std::max({std::uint64_t{1}, prev + 1, now});
    s.epoch = epoch;
    s.provisioned = false;
    ++m_counters.epoch_bumps;
    auto layout = m_provisioner.provision(s.stream_id, epoch, *s.profile, s.hugepages);
    if (!layout) {
        ++m_counters.provision_failures;
        return false;
    }
    s.layout = std::move(*layout);
    s.provisioned = true;
    if (m_config.policies.epoch_gc_enabled) {
        m_provisioner.collect_epochs(s.stream_id, epoch);
    }
    return true;
}

void DriverState::invalidate(const Lease& lease_in, RevokeReason reason, std::uint64_t now, const std::string& why) {
    const Lease lease = lease_in; // copy: erased below
    m_leases.erase(lease.lease_id);
    if (lease.node_id) {
        m_node_ids.release(*lease.node_id, now);
    }
    ++m_counters.revocations;
    // D-31 order on producer loss: ShmLeaseRevoked -> bump -> create files -> ShmPoolAnnounce.
    LeaseRevoked rev;
    rev.timestamp_ns = now;
    rev.lease_id = lease.lease_id;
    rev.stream_id = lease.stream_id;
    rev.client_id = lease.client_id;
    rev.role = lease.role;
    rev.reason = reason;
    rev.error_message = truncate_message(why);
    m_proxy.send_lease_revoked(rev);

    auto it = m_streams.find(lease.stream_id);
    if (it == m_streams.end()) {
        return;
    }
    StreamState& s = it->second;
    if (s.lease_count > 0) {
        --s.lease_count;
    }
    if (lease.role == Role::Producer && s.producer_lease == lease.lease_id) {
        s.producer_lease.reset();
        s.producer_client_id = 0;
    }
    if (s.dynamic && s.lease_count == 0) {
        // D-36: dynamic streams die with their last lease.
        m_provisioner.remove_stream(s.stream_id);
        m_streams.erase(it);
        return;
    }
    if (lease.role == Role::Producer) {
        if (bump_epoch(s, now)) {
            announce(s, now);
        }
    }
}

void DriverState::on_detach(const DetachRequest& req) {
    const auto now = m_clock.monotonic_ns();
    DetachResponse rsp;
    rsp.correlation_id = req.correlation_id;
    auto it = m_leases.find(req.lease_id);
    // D-39: all four must match, else REJECTED and no revoke.
    if (it == m_leases.end() || it->second.stream_id != req.stream_id || it->second.client_id != req.client_id ||
        static_cast<std::uint8_t>(it->second.role) != req.role) {
        ++m_counters.detaches_rejected;
        rsp.code = ResponseCode::Rejected;
        rsp.error_message = "no active lease matches leaseId, streamId, clientId and role";
        m_proxy.send_detach_response(rsp);
        return;
    }
    ++m_counters.detaches_ok;
    invalidate(it->second, RevokeReason::Detached, now, "detached");
    rsp.code = ResponseCode::Ok;
    m_proxy.send_detach_response(rsp);
}

void DriverState::on_keepalive(const Keepalive& ka) {
    auto it = m_leases.find(ka.lease_id);
    // D-38: counts only if leaseId, streamId, clientId and role all match an active lease.
    if (it == m_leases.end() || it->second.stream_id != ka.stream_id || it->second.client_id != ka.client_id ||
        static_cast<std::uint8_t>(it->second.role) != ka.role) {
        ++m_counters.keepalives_ignored;
        return;
    }
    ++m_counters.keepalives;
    it->second.expiry_ns = m_clock.monotonic_ns() + m_lease_duration_ns;
}

void DriverState::on_shutdown_request(const ShutdownRequest& req) {
    // D-41: the configured token must be non-empty and match, else ignore silently.
    if (m_config.policies.shutdown_token.empty() || req.token != m_config.policies.shutdown_token ||
        m_phase != DriverPhase::Running) {
        ++m_counters.shutdown_requests_ignored;
        return;
    }
    auto reason = ShutdownReason::Admin;
    if (req.reason <= static_cast<std::uint8_t>(ShutdownReason::Error)) {
        reason = static_cast<ShutdownReason>(req.reason);
    }
    begin_shutdown(reason, req.error_message);
}

void DriverState::begin_shutdown(ShutdownReason reason, const std::string& message) {
    if (m_phase != DriverPhase::Running) {
        return;
    }
    const auto now = m_clock.monotonic_ns();
    m_phase = DriverPhase::Draining;
    m_pending_shutdown = ShutdownNotice{0, reason, truncate_message(message)};
    m_drain_deadline_ns = now + std::uint64_t{m_config.policies.shutdown_timeout_ms} * NS_PER_MS;
    announce_all(now); // D-41: announce every stream once
}

void DriverState::announce(const StreamState& s, std::uint64_t now) {
    if (!s.provisioned) {
        return;
    }
    PoolAnnounce a;
    a.layout = s.layout;
    a.producer_id = s.producer_client_id;
    a.announce_timestamp_ns = now;
    ++m_counters.announces;
    m_proxy.send_announce(a);
}

void DriverState::announce_all(std::uint64_t now) {
    for (const auto& [id, s] : m_streams) {
        announce(s, now); // D-32: only streams that have an epoch
    }
}

auto DriverState::do_work() -> int {
    if (m_phase == DriverPhase::Stopped) {
        return 0;
    }
    const auto now = m_clock.monotonic_ns();
    int work = 0;
    if (now >= m_next_expiry_check_ns) {
        // D-38: checked at >= 4 Hz.
        m_next_expiry_check_ns = now + std::min<std::uint64_t>(250 * NS_PER_MS, m_lease_duration_ns / 4 + 1);
        std::vector<std::uint64_t> expired;
        for (const auto& [id, l] : m_leases) {
            if (now > l.expiry_ns) {
                expired.push_back(id);
            }
        }
        for (auto id : expired) {
            auto it = m_leases.find(id);
            if (it != m_leases.end()) {
                ++m_counters.expiries;
                invalidate(it->second, RevokeReason::Expired, now, "lease expired: no keepalive");
                ++work;
            }
        }
    }
    if (m_phase == DriverPhase::Running && now >= m_next_announce_ns) {
        m_next_announce_ns = now + m_announce_period_ns;
        announce_all(now);
        ++work;
    }
    if (m_phase == DriverPhase::Draining && now >= m_drain_deadline_ns) {
        m_pending_shutdown.timestamp_ns = now;
        m_proxy.send_shutdown(m_pending_shutdown);
        m_phase = DriverPhase::Stopped;
        ++work;
    }
    return work;
}

auto DriverState::lease_count(Role role) const -> std::size_t {
    return static_cast<std::size_t>(
        std::count_if(m_leases.begin(), m_leases.end(), [&](const auto& kv) { return kv.second.role == role; }));
}

void DriverState::close() {
    if (m_config.policies.cleanup_shm_on_exit) {
        for (const auto& [id, s] : m_streams) {
            m_provisioner.remove_stream(id);
        }
    }
}

} // namespace tp::driver
