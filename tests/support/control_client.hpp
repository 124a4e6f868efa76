// SPDX-License-Identifier: Apache-2.0
#pragma once

// A test-side control-plane client: publishes driver requests and records everything seen on the
// control (and announce) stream, decoded into plain values, so system tests can wait on observed
// messages with deadlines instead of sleeping.

#include "codec/control_messages.hpp"
#include "codec/driver_messages.hpp"
#include "tensorpool/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tp::test {

using ControlEvent =
    std::variant<driver::AttachResponse, driver::DetachResponse, driver::LeaseRevoked, control::PoolAnnounce,
                 driver::ShutdownNotice, control::ConsumerHello, control::ConsumerConfig>;

class ControlClient {
public:
    /// Connects to `transport_dir`'s built-in IPC transport on the given control stream.
    static auto create(const std::string& transport_dir, const std::string& channel = "aeron:ipc?term-length=4m",
                       std::int32_t control_stream_id = 1000) -> std::unique_ptr<ControlClient>;

    auto attach(const driver::AttachRequest& r) -> bool;
    auto detach(const driver::DetachRequest& r) -> bool;
    auto keepalive(const driver::Keepalive& k) -> bool;
    auto shutdown(const driver::ShutdownRequest& r) -> bool;
    /// Publishes raw bytes on the control stream (malformed-input tests).
    auto send_raw(std::span<const std::uint8_t> bytes) -> bool;

    /// Polls once; records decoded events.
    auto poll() -> int;
    /// Polls until pred holds on some newly or previously recorded event (from index `from`), or the
    /// timeout passes. Returns the index of the matching event.
    auto wait_for(const std::function<bool(const ControlEvent&)>& pred, std::chrono::milliseconds timeout,
                  std::size_t from = 0) -> std::optional<std::size_t>;
    /// Waits for the attach response with this correlation id.
    auto wait_attach(std::int64_t correlation_id, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        -> std::optional<driver::AttachResponse>;
    /// Attach and wait; returns the response.
    auto attach_and_wait(std::uint32_t client_id, driver::Role role, std::uint32_t stream_id = 10000,
                         std::uint8_t publish_mode = 1) -> std::optional<driver::AttachResponse>;
    /// Polls for `duration`, recording events (for "nothing happens" checks).
    void pump_for(std::chrono::milliseconds duration);

    [[nodiscard]] auto events() const -> const std::vector<ControlEvent>& { return m_events; }
    [[nodiscard]] auto is_connected() const -> bool { return m_pub->is_connected(); }
    auto next_correlation_id() -> std::int64_t { return ++m_correlation; }

private:
    ControlClient() = default;
    void on_message(std::span<const std::uint8_t> msg);

    std::unique_ptr<transport::TransportContext> m_ctx;
    std::unique_ptr<transport::Publication> m_pub;
    std::unique_ptr<transport::Subscription> m_sub;
    std::vector<ControlEvent> m_events;
    std::vector<std::uint8_t> m_buffer = std::vector<std::uint8_t>(64 * 1024);
    std::int64_t m_correlation{1000};
};

} // namespace tp::test
