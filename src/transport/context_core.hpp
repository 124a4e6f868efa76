// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/transport.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tp::transport {

/// Something the conductor visits every duty cycle (publication heartbeats).
class ConductorClient {
public:
    ConductorClient() = default;
    ConductorClient(const ConductorClient&) = delete;
    auto operator=(const ConductorClient&) -> ConductorClient& = delete;
    ConductorClient(ConductorClient&&) = delete;
    auto operator=(ConductorClient&&) -> ConductorClient& = delete;
    virtual ~ConductorClient() = default;
    /// Called on the conductor's thread with the coarse monotonic time; returns the work done.
    virtual auto on_conductor_tick(std::int64_t now_ns) noexcept -> int = 0;
};

/// State shared by a context and everything it created: the configuration and the conductor
/// (Aeron's client conductor, reduced to heartbeats). Held through shared_ptr by the context and
/// by each publication and subscription, so the duty cycle runs while any of them lives.
class ContextCore {
public:
    explicit ContextCore(TransportConfig config);
    ContextCore(const ContextCore&) = delete;
    auto operator=(const ContextCore&) -> ContextCore& = delete;
    ContextCore(ContextCore&&) = delete;
    auto operator=(ContextCore&&) -> ContextCore& = delete;
    /// Stops and joins the conductor thread.
    ~ContextCore();

    /// Starts the conductor thread (once).
    void start_thread();
    /// One duty cycle: ticks every client. Thread-safe (serialised by the registry mutex).
    auto do_work() -> int;
    /// Registers a client; it is ticked until remove_client returns. Thread-safe.
    void add_client(ConductorClient* client);
    /// Unregisters a client; after return the conductor no longer touches it. Thread-safe.
    void remove_client(ConductorClient* client);

    [[nodiscard]] auto config() const noexcept -> const TransportConfig& { return m_config; }

private:
    void run();

    TransportConfig m_config;
    std::mutex m_mutex;
    std::vector<ConductorClient*> m_clients;
    std::thread m_thread;
    std::atomic<bool> m_running{false};
};

} // namespace tp::transport
