// SPDX-License-Identifier: Apache-2.0
#include "transport/context_core.hpp"

#include "transport/liveness_clock.hpp"

#include <algorithm>

namespace tp::transport {

ContextCore::ContextCore(TransportConfig config) : m_config(std::move(config)) {}

ContextCore::~ContextCore() {
    // SYNC POINT(conductor_stop): the release store pairs with the acquire load in run().
    m_running.store(false, std::memory_order_release);
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void ContextCore::start_thread() {
    if (m_thread.joinable()) {
        return;
    }
    // SYNC POINT(conductor_stop): release before the thread starts (thread creation orders it too).
    m_running.store(true, std::memory_order_release);
    m_thread = std::thread([this] { run(); });
}

void ContextCore::run() {
    // SYNC POINT(conductor_stop): pairs with the release store in the destructor.
    while (m_running.load(std::memory_order_acquire)) {
        do_work();
        std::this_thread::sleep_for(m_config.conductor_idle);
    }
}

auto ContextCore::do_work() -> int {
    const std::int64_t now = coarse_now_ns();
    int work = 0;
    std::lock_guard<std::mutex> lock(m_mutex);
    for (ConductorClient* client : m_clients) {
        work += client->on_conductor_tick(now);
    }
    return work;
}

void ContextCore::add_client(ConductorClient* client) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_clients.push_back(client);
}

void ContextCore::remove_client(ConductorClient* client) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_clients.erase(std::remove(m_clients.begin(), m_clients.end(), client), m_clients.end());
}

} // namespace tp::transport
