// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/driver.hpp"

#include "concurrent/idle_strategy.hpp"
#include "driver/driver_conductor.hpp"
#include "driver/shm_region_provisioner.hpp"

#include <random>
#include <sstream>

namespace tp {

using driver::DriverConfig;

struct Driver::Impl {
    DriverConfig config;
    common::SystemClock clock;
    std::unique_ptr<transport::TransportContext> transport;
    std::unique_ptr<driver::ShmRegionProvisioner> provisioner;
    std::unique_ptr<driver::DriverConductor> conductor;
};

namespace {

auto random_seed() -> std::uint64_t {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd();
}

auto start(DriverConfig config) -> Expected<std::unique_ptr<Driver::Impl>> {
    auto impl = std::make_unique<Driver::Impl>();
    impl->config = std::move(config);
    const auto& d = impl->config.driver;
    TP_TRY(tc, transport::make_transport_config(d.transport, d.transport_dir, d.aeron_dir, d.aeron_embedded_driver));
    TP_TRY(ctx, transport::TransportContext::create(tc));
    impl->transport = std::make_unique<transport::TransportContext>(std::move(ctx));
    TP_TRY(prov, driver::ShmRegionProvisioner::create(impl->config, impl->clock));
    impl->provisioner = std::move(prov);
    TP_TRY(cond, driver::DriverConductor::create(impl->config, *impl->transport, *impl->provisioner, impl->clock,
                                                 random_seed()));
    impl->conductor = std::move(cond);
    return impl;
}

} // namespace

Driver::Driver(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Driver::Driver(Driver&&) noexcept = default;
auto Driver::operator=(Driver&&) noexcept -> Driver& = default;
Driver::~Driver() {
    if (m_impl && m_impl->conductor) {
        m_impl->conductor->state().close();
    }
}

auto Driver::create_from_file(const std::string& path) -> Expected<Driver> {
    TP_TRY(cfg, DriverConfig::load_file(path));
    TP_TRY(impl, start(std::move(cfg)));
    return Driver(std::move(impl));
}

auto Driver::create_from_toml(const std::string& toml_text) -> Expected<Driver> {
    TP_TRY(src, common::ConfigSource::from_string(toml_text, "<toml>"));
    TP_TRY(cfg, DriverConfig::load(src));
    TP_TRY(impl, start(std::move(cfg)));
    return Driver(std::move(impl));
}

auto Driver::do_work() -> int {
    return m_impl->conductor->do_work();
}

void Driver::run(const std::atomic<bool>& stop) {
    concurrent::BackoffIdleStrategy idle;
    bool shutdown_requested = false;
    while (run_state() != DriverRunState::Stopped) {
        // SYNC POINT(driver_stop): acquire pairs with the caller's release store of `stop`.
        if (!shutdown_requested && stop.load(std::memory_order_acquire)) {
            request_shutdown();
            shutdown_requested = true;
        }
        idle.idle(do_work());
    }
}

void Driver::request_shutdown() {
    m_impl->conductor->state().begin_shutdown(driver::ShutdownReason::Normal, "driver shutting down");
}

auto Driver::run_state() const -> DriverRunState {
    switch (m_impl->conductor->state().phase()) {
    case driver::DriverPhase::Running:
        return DriverRunState::Running;
    case driver::DriverPhase::Draining:
        return DriverRunState::Draining;
    case driver::DriverPhase::Stopped:
        return DriverRunState::Stopped;
    }
    return DriverRunState::Stopped;
}

auto Driver::stats() const -> DriverStats {
    const auto& st = m_impl->conductor->state();
    const auto& c = st.counters();
    DriverStats s;
    for (const auto& [id, stream] : st.streams()) {
        s.streams += stream.provisioned ? 1 : 0;
    }
    s.producer_leases = st.lease_count(driver::Role::Producer);
    s.consumer_leases = st.lease_count(driver::Role::Consumer);
    s.attaches_ok = c.attaches_ok;
    s.attach_rejects = c.attach_rejects;
    s.keepalives = c.keepalives;
    s.keepalives_ignored = c.keepalives_ignored;
    s.detaches = c.detaches_ok;
    s.expiries = c.expiries;
    s.revocations = c.revocations;
    s.epoch_bumps = c.epoch_bumps;
    s.announces = c.announces;
    s.malformed_messages = c.malformed_messages;
    s.offers_failed = m_impl->conductor->counters().offers_failed;
    return s;
}

auto Driver::instance_id() const -> const std::string& {
    return m_impl->config.driver.instance_id;
}
auto Driver::warnings() const -> const std::vector<std::string>& {
    return m_impl->config.warnings;
}

auto Driver::describe() const -> std::string {
    const auto& c = m_impl->config;
    std::ostringstream os;
    os << "driver " << c.driver.instance_id << ": control " << c.driver.control_channel << " stream "
       << c.driver.control_stream_id << ", announce stream " << c.driver.announce_stream_id << ", transport "
       << c.driver.transport << " (" << m_impl->transport->config().directory << ")\n";
    os << "shm " << m_impl->provisioner->layout().namespace_dir() << "\n";
    for (const auto& s : c.streams) {
        const auto* p = c.find_profile(s.profile);
        os << "stream " << s.stream_id << " (" << s.name << "): profile " << s.profile << ", " << p->header_nslots
           << " slots, pools";
        for (const auto& pool : p->payload_pools) {
            os << " " << pool.pool_id << ":" << pool.stride_bytes;
        }
        os << "\n";
    }
    if (c.policies.allow_dynamic_streams && c.driver.stream_id_range) {
        os << "dynamic streams " << c.driver.stream_id_range->to_string() << " (profile " << c.policies.default_profile
           << ")\n";
    }
    return os.str();
}

} // namespace tp
