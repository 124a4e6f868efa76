// SPDX-License-Identifier: Apache-2.0
#pragma once

// A client role's link to the control plane: the transport context, the control publication and
// subscription (and the announce subscription when announces use another stream), message
// encoding for the driver client (DriverClientProxy), and bounded-retry offers.

#include "client/driver_client.hpp"
#include "codec/dispatch.hpp"
#include "tensorpool/client.hpp"
#include "tensorpool/transport.hpp"

#include <array>
#include <memory>
#include <span>

namespace tp::client {

/// Transport settings of a client context.
auto transport_config(const ClientContext& ctx) -> Expected<transport::TransportConfig>;

/// The driver-client settings of a lease holder of `role` on `stream_id` (timings from the context).
auto driver_client_config(const ClientContext& ctx, std::uint32_t stream_id, driver::Role role, std::uint32_t client_id)
    -> DriverClientConfig;

/// Offers with a bounded retry on back-pressure; true when published.
auto offer_retry(transport::Publication& pub, std::span<const std::uint8_t> bytes) noexcept -> bool;

class ControlLink final : public DriverClientProxy {
public:
    static auto create(const ClientContext& ctx) -> Expected<std::unique_ptr<ControlLink>>;

    [[nodiscard]] auto transport() noexcept -> transport::TransportContext& { return *m_transport; }
    [[nodiscard]] auto context() const noexcept -> const ClientContext& { return m_ctx; }

    /// Polls the control (and announce) subscriptions through the dispatcher into `handler`.
    template <typename Handler>
    auto poll(Handler& handler, int limit) -> int {
        auto fn = [&](std::span<const std::uint8_t> msg, const transport::MessageHeader&) {
            (void)codec::dispatch(msg, handler, m_counters);
        };
        int n = m_control_sub->poll(fn, limit);
        if (m_announce_sub) {
            n += m_announce_sub->poll(fn, limit);
        }
        return n;
    }

    /// Publishes an encoded message of `length` bytes from buffer() on the control stream.
    auto publish_control(std::size_t length) noexcept -> bool;
    /// Publishes already-encoded bytes on the control stream (bounded retry).
    auto offer_control(std::span<const std::uint8_t> bytes) noexcept -> bool {
        return offer_retry(*m_control_pub, bytes);
    }
    /// The encode scratch buffer (64 KiB).
    [[nodiscard]] auto buffer() noexcept -> std::span<std::uint8_t> { return m_buffer; }
    /// Monotonic time at which the first control/announce image appeared (announce join time).
    [[nodiscard]] auto join_time_ns() const noexcept -> std::uint64_t { return m_join_time_ns; }
    [[nodiscard]] auto dispatch_counters() const noexcept -> const codec::DispatchCounters& { return m_counters; }

    auto send_attach(const AttachRequest& r) -> bool override;
    auto send_keepalive(const driver::Keepalive& k) -> bool override;
    auto send_detach(const driver::DetachRequest& r) -> bool override;

private:
    ControlLink() = default;

    ClientContext m_ctx;
    std::unique_ptr<transport::TransportContext> m_transport;
    std::unique_ptr<transport::Publication> m_control_pub;
    std::unique_ptr<transport::Subscription> m_control_sub;
    std::unique_ptr<transport::Subscription> m_announce_sub;
    codec::DispatchCounters m_counters;
    std::uint64_t m_join_time_ns{0};
    std::array<std::uint8_t, 64 * 1024> m_buffer{};
};

} // namespace tp::client
