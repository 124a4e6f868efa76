// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/udp/udp_frame.hpp"
#include "transport/builtin/udp/udp_socket.hpp"
#include "transport/context_core.hpp"
#include "transport/relaxed_counter.hpp"

#include "tensorpool/transport.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <sys/socket.h>

namespace tp::transport::udp {

/// A subscription on `aeron:udp?endpoint=host:port`: binds the endpoint (port 0 picks a free
/// port, see resolved_channel()), receives batches with recvmmsg, and tracks each sending session:
/// a sequence jump counts the skipped messages as gaps, an older sequence is dropped as
/// out-of-order (per-session order is kept), a session silent for the publisher liveness timeout
/// loses its image. One subscription per endpoint (the socket is not shared).
class UdpSubscription final : public Subscription {
public:
    static constexpr int RECEIVE_BATCH = 16;
    static constexpr int MAX_SESSIONS = 64;

    /// Resolves and binds the endpoint.
    [[nodiscard]] static auto create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                                     std::int32_t stream_id, ImageHandler on_available, ImageHandler on_unavailable)
        -> Expected<std::unique_ptr<Subscription>>;

    auto poll(FragmentHandler handler, int fragment_limit) -> int override;
    [[nodiscard]] auto is_connected() const noexcept -> bool override { return image_count() > 0; }
    [[nodiscard]] auto image_count() const noexcept -> int override {
        return m_image_count.load(std::memory_order_relaxed); // relaxed: a count for display and tests
    }
    [[nodiscard]] auto counters() const noexcept -> SubscriptionCounters override;
    [[nodiscard]] auto resolved_channel() const -> std::string override { return m_resolved_channel; }

    UdpSubscription(std::shared_ptr<ContextCore> core, SocketFd socket, std::size_t buffer_length,
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
    SocketFd m_socket;
    std::size_t m_buffer_length;
    std::string m_resolved_channel;
    std::int64_t m_pub_timeout_ns;
    ImageHandler m_on_available;
    ImageHandler m_on_unavailable;

    std::vector<std::uint8_t> m_buffers;
    std::array<mmsghdr, RECEIVE_BATCH> m_messages_hdr{};
    std::array<iovec, RECEIVE_BATCH> m_iovecs{};
    std::array<sockaddr_storage, RECEIVE_BATCH> m_sources{};
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
