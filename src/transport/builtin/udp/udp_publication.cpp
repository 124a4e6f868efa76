// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/udp/udp_publication.hpp"

#include "transport/builtin/udp/udp_frame.hpp"
#include "transport/liveness_clock.hpp"

#include "concurrent/atomic_ops.hpp"

#include <algorithm>
#include <cerrno>
#include <random>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

namespace tp::transport::udp {

auto UdpPublication::create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                            std::int32_t stream_id) -> Expected<std::unique_ptr<Publication>> {
    const Endpoint& endpoint = *uri.endpoint();
    if (endpoint.port == 0) {
        return make_error(ErrorCode::InvalidArgument,
                          "channel '" + channel + "': a UDP publication needs an endpoint port from 1 to 65535");
    }
    if (uri.get("control") || uri.get("control-mode")) {
        return make_error(ErrorCode::Unsupported, "channel '" + channel +
                                                      "': control / control-mode (multi-destination) need the Aeron "
                                                      "backend; the built-in UDP transport is unicast");
    }
    TP_TRY(destination, resolve_endpoint(endpoint));
    SocketFd socket(::socket(destination.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
        return make_errno_error(ErrorCode::IoError, "cannot create UDP socket for '" + channel + "'");
    }
    TP_TRY_VOID(apply_buffer_sizes(socket.get(), uri));
    std::int32_t session_id = uri.session_id().value_or(0);
    while (session_id == 0) {
        if (::getrandom(&session_id, sizeof(session_id), 0) != static_cast<ssize_t>(sizeof(session_id))) {
            std::random_device rd;
            session_id = static_cast<std::int32_t>(rd());
        }
    }
    const std::uint32_t mtu = uri.mtu().value_or(DEFAULT_MTU);
    auto pub = std::make_unique<UdpPublication>(core, std::move(socket), destination, mtu, std::move(channel),
                                                stream_id, session_id);
    core->add_client(pub.get());
    return std::unique_ptr<Publication>(std::move(pub));
}

UdpPublication::UdpPublication(std::shared_ptr<ContextCore> core, SocketFd socket, SocketAddress destination,
                               std::uint32_t mtu, std::string channel, std::int32_t stream_id, std::int32_t session_id)
    : Publication(std::move(channel), stream_id, session_id), m_core(std::move(core)), m_socket(std::move(socket)),
      m_destination(destination), m_max_payload(mtu - DATAGRAM_HEADER_LENGTH),
      m_heartbeat_interval_ns(
          std::clamp<std::int64_t>(m_core->config().publisher_liveness_timeout.count() / 8, 1'000'000, 100'000'000)),
      m_claim_buffer(mtu) {}

UdpPublication::~UdpPublication() {
    m_core->remove_client(this);
}

auto UdpPublication::send(const std::uint8_t* header, const std::uint8_t* payload, std::size_t length) noexcept -> int {
    iovec iov[2];
    iov[0].iov_base = const_cast<std::uint8_t*>(header);
    iov[0].iov_len = DATAGRAM_HEADER_LENGTH;
    iov[1].iov_base = const_cast<std::uint8_t*>(payload);
    iov[1].iov_len = length;
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr*>(m_destination.get());
    msg.msg_namelen = m_destination.length;
    msg.msg_iov = iov;
    msg.msg_iovlen = length > 0 ? 2 : 1;
    while (::sendmsg(m_socket.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

auto UdpPublication::advance(std::size_t payload) noexcept -> std::int64_t {
    // Relaxed load + store: this thread is the only writer; the conductor only reads.
    m_next_sequence.store(m_next_sequence.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    const std::int64_t position = m_position.load(std::memory_order_relaxed) + position_delta(payload);
    m_position.store(position, std::memory_order_relaxed);
    m_last_send_ns.store(coarse_now_ns(), std::memory_order_relaxed);
    return position;
}

auto UdpPublication::offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t {
    if (message.size() > m_max_payload) [[unlikely]] {
        return PUBLICATION_ERROR;
    }
    std::uint8_t header[DATAGRAM_HEADER_LENGTH];
    // Relaxed: this thread is the only writer of the sequence and position.
    const DatagramHeader h{DATAGRAM_DATA, session_id(), stream_id(), m_next_sequence.load(std::memory_order_relaxed),
                           m_position.load(std::memory_order_relaxed) + position_delta(message.size())};
    encode_header(header, h);
    const int err = send(header, message.data(), message.size());
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        m_stats.back_pressured.add(1);
        return BACK_PRESSURED;
    }
    if (err != 0) {
        // Lost like a datagram dropped by the network: the sequence is used, receivers see a gap.
        m_stats.send_errors.add(1);
    } else {
        m_stats.messages.add(1);
        m_stats.bytes.add(message.size());
    }
    return advance(message.size());
}

auto UdpPublication::try_claim(std::size_t length, BufferClaim& claim) noexcept -> std::int64_t {
    if (length > m_max_payload) [[unlikely]] {
        return PUBLICATION_ERROR;
    }
    std::uint8_t* frame = m_claim_buffer.data();
    claim.activate(&CLAIM_OPS, this, frame, frame + DATAGRAM_HEADER_LENGTH, length);
    return m_position.load(std::memory_order_relaxed) + position_delta(length); // relaxed: only writer
}

auto UdpPublication::commit_claim(BufferClaim& claim) noexcept -> bool {
    auto* self = static_cast<UdpPublication*>(claim.context());
    const std::size_t length = claim.buffer().size();
    // Relaxed: the claiming thread is the only writer of the sequence and position.
    const DatagramHeader h{DATAGRAM_DATA, self->session_id(), self->stream_id(),
                           self->m_next_sequence.load(std::memory_order_relaxed),
                           self->m_position.load(std::memory_order_relaxed) + position_delta(length)};
    encode_header(claim.frame(), h);
    int err = 0;
    // A claim promised a position, so a full socket buffer is waited out briefly rather than
    // refused; beyond that the datagram counts as lost.
    for (int attempt = 0; attempt < 100'000; ++attempt) {
        err = self->send(claim.frame(), claim.frame() + DATAGRAM_HEADER_LENGTH, length);
        if (err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
            break;
        }
        concurrent::cpu_relax();
    }
    self->advance(length);
    if (err != 0) {
        self->m_stats.send_errors.add(1);
        return false;
    }
    self->m_stats.messages.add(1);
    self->m_stats.bytes.add(length);
    return true;
}

void UdpPublication::abort_claim(BufferClaim& /*claim*/) noexcept {
    // Nothing was sent and no sequence used.
}

auto UdpPublication::on_conductor_tick(std::int64_t now_ns) noexcept -> int {
    // Relaxed: times and counters reported as they are; a heartbeat carrying a slightly stale
    // sequence is ignored by receivers (it is below what they already have).
    if (now_ns - m_last_send_ns.load(std::memory_order_relaxed) < m_heartbeat_interval_ns) {
        return 0;
    }
    std::uint8_t header[DATAGRAM_HEADER_LENGTH];
    const DatagramHeader h{DATAGRAM_HEARTBEAT, session_id(), stream_id(),
                           m_next_sequence.load(std::memory_order_relaxed), m_position.load(std::memory_order_relaxed)};
    encode_header(header, h);
    (void)send(header, nullptr, 0);
    m_last_send_ns.store(now_ns, std::memory_order_relaxed);
    return 1;
}

auto UdpPublication::counters() const noexcept -> PublicationCounters {
    return m_stats.snapshot();
}

} // namespace tp::transport::udp
