// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/udp/udp_socket.hpp"
#include "transport/context_core.hpp"
#include "transport/relaxed_counter.hpp"

#include "tensorpool/transport.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace tp::transport::udp {

/// A publication on `aeron:udp?endpoint=host:port`: one datagram per message (no fragmentation,
/// no retransmission, no flow control), a sequence number per session so receivers count loss,
/// and a heartbeat datagram from the conductor when idle so receivers keep the image.
/// is_connected() is always true: without a receiver-to-sender channel nothing tells a sender
/// whether anyone listens (docs/TRANSPORT.md).
class UdpPublication final : public Publication, public ConductorClient {
public:
    /// Resolves the endpoint and opens a non-blocking socket.
    [[nodiscard]] static auto create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                                     std::int32_t stream_id) -> Expected<std::unique_ptr<Publication>>;
    ~UdpPublication() override;

    [[nodiscard]] auto offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t override;
    [[nodiscard]] auto try_claim(std::size_t length, BufferClaim& claim) noexcept -> std::int64_t override;
    [[nodiscard]] auto is_connected() const noexcept -> bool override { return true; }
    [[nodiscard]] auto max_message_length() const noexcept -> std::size_t override { return m_max_payload; }
    [[nodiscard]] auto max_payload_length() const noexcept -> std::size_t override { return m_max_payload; }
    [[nodiscard]] auto counters() const noexcept -> PublicationCounters override;
    auto on_conductor_tick(std::int64_t now_ns) noexcept -> int override;

    UdpPublication(std::shared_ptr<ContextCore> core, SocketFd socket, SocketAddress destination, std::uint32_t mtu,
                   std::string channel, std::int32_t stream_id, std::int32_t session_id);

private:
    /// Sends header + payload; returns the sendmsg errno (0 on success).
    auto send(const std::uint8_t* header, const std::uint8_t* payload, std::size_t length) noexcept -> int;
    /// Accounts a sent (or lost) data datagram; returns the new position.
    auto advance(std::size_t payload) noexcept -> std::int64_t;

    static auto commit_claim(BufferClaim& claim) noexcept -> bool;
    static void abort_claim(BufferClaim& claim) noexcept;
    static constexpr BufferClaim::Ops CLAIM_OPS{&UdpPublication::commit_claim, &UdpPublication::abort_claim};

    std::shared_ptr<ContextCore> m_core;
    SocketFd m_socket;
    SocketAddress m_destination;
    std::size_t m_max_payload;
    std::int64_t m_heartbeat_interval_ns;
    std::vector<std::uint8_t> m_claim_buffer;

    // Written by the offering thread, read by the conductor's heartbeat (relaxed: the heartbeat
    // only reports them; a stale value is caught up by the next one).
    std::atomic<std::uint64_t> m_next_sequence{0};
    std::atomic<std::int64_t> m_position{0};
    std::atomic<std::int64_t> m_last_send_ns{0};

    PublicationStats m_stats;
};

} // namespace tp::transport::udp
