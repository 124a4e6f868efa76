// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/udp/udp_frame.hpp"
#include "transport/builtin/udp/udp_receiver.hpp"
#include "transport/context_core.hpp"
#include "transport/relaxed_counter.hpp"

#include "tensorpool/transport.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include <sys/socket.h>

namespace tp::transport::udp {

/// A subscription on `aeron:udp?endpoint=host:port`. Subscriptions of one context on one endpoint
/// share the bound socket (UdpReceiver); another process or context binding the same endpoint is
/// refused. Tracks each sending session: a sequence jump counts the skipped messages as gaps, an
/// older sequence is dropped as out-of-order (per-session order is kept), a session silent for
/// the publisher liveness timeout loses its image.
class UdpSubscription final : public Subscription, public DatagramSink {
public:
    static constexpr int MAX_SESSIONS = 64;
    /// Datagrams received by another subscription of the endpoint wait here for this one's poll.
    static constexpr std::size_t QUEUE_BYTES = 1U << 20U;

    /// Joins (or binds) the endpoint's receiver.
    [[nodiscard]] static auto create(std::shared_ptr<ContextCore> core, UdpReceiverRegistry& registry,
                                     const ChannelUri& uri, std::string channel, std::int32_t stream_id,
                                     ImageHandler on_available, ImageHandler on_unavailable)
        -> Expected<std::unique_ptr<Subscription>>;
    ~UdpSubscription() override;

    auto poll(FragmentHandler handler, int fragment_limit) -> int override;
    [[nodiscard]] auto is_connected() const noexcept -> bool override { return image_count() > 0; }
    [[nodiscard]] auto image_count() const noexcept -> int override {
        return m_image_count.load(std::memory_order_relaxed); // relaxed: a count for display and tests
    }
    [[nodiscard]] auto counters() const noexcept -> SubscriptionCounters override;
    [[nodiscard]] auto resolved_channel() const -> std::string override { return m_resolved_channel; }

    [[nodiscard]] auto sink_stream_id() const noexcept -> std::int32_t override { return stream_id(); }
    void enqueue(const std::uint8_t* data, std::size_t length, const sockaddr* source,
                 socklen_t source_length) noexcept override {
        (void)m_queue.push(data, length, source, source_length);
    }

    UdpSubscription(std::shared_ptr<ContextCore> core, std::shared_ptr<UdpReceiver> receiver,
                    std::string resolved_channel, std::string channel, std::int32_t stream_id,
                    ImageHandler on_available, ImageHandler on_unavailable);

private:
    struct Session {
        bool active{false};
        std::int32_t session_id{0};
        std::uint64_t next_sequence{0};
        std::int64_t last_seen_ns{0};
        std::int64_t join_position{0};
        std::array<char, 64> source{};
    };

    /// Handles one datagram; returns 1 if a message was delivered.
    auto on_datagram(const std::uint8_t* data, std::size_t length, bool truncated, const sockaddr* source,
                     std::int64_t now_ns, FragmentHandler& handler) -> int;
    auto find_or_add_session(const DatagramHeader& header, std::int64_t join_position, const sockaddr* source,
                             std::int64_t now_ns) -> Session*;
    void announce(const Session& session, bool available);
    void expire_sessions(std::int64_t now_ns);

    std::shared_ptr<ContextCore> m_core;
    std::shared_ptr<UdpReceiver> m_receiver;
    std::string m_resolved_channel;
    std::int64_t m_pub_timeout_ns;
    ImageHandler m_on_available;
    ImageHandler m_on_unavailable;
    DatagramQueue m_queue;
    std::array<Session, MAX_SESSIONS> m_sessions{};
    std::int64_t m_last_tick_ns{0};

    std::atomic<int> m_image_count{0};
    RelaxedCounter m_messages;
    RelaxedCounter m_bytes;
    RelaxedCounter m_gaps;
    RelaxedCounter m_out_of_order;
    RelaxedCounter m_malformed;
};

} // namespace tp::transport::udp
