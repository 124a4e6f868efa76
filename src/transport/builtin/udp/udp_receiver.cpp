// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/udp/udp_receiver.hpp"

#include "common/bits.hpp"

#include <algorithm>
#include <cerrno>

#include <netinet/in.h>

namespace tp::transport::udp {

DatagramQueue::DatagramQueue(std::size_t capacity)
    : m_buffer(std::max<std::size_t>(4096, std::bit_ceil(capacity))), m_mask(m_buffer.size() - 1) {}

auto DatagramQueue::push(const std::uint8_t* data, std::size_t length, const sockaddr* source,
                         socklen_t source_length) noexcept -> bool {
    const std::size_t need = record_length(length);
    const std::size_t capacity = m_buffer.size();
    if (need > capacity / 2) {
        return false;
    }
    // Relaxed: producers are serialised by the receiver's mutex, which orders this load after the
    // previous producer's store.
    std::uint64_t tail = m_tail.load(std::memory_order_relaxed);
    // SYNC POINT(udp_queue): acquire pairs with the consumer's release of head; the space it
    // freed is no longer read.
    const std::uint64_t head = m_head.load(std::memory_order_acquire);
    const std::size_t to_end = capacity - static_cast<std::size_t>(tail & m_mask);
    const std::size_t wrap = need > to_end ? to_end : 0;
    if (tail + wrap + need - head > capacity) {
        return false; // full: the datagram is lost, and the session's next sequence shows the gap
    }
    if (wrap > 0) {
        std::memcpy(m_buffer.data() + (tail & m_mask), &WRAP, 4);
        tail += wrap;
    }
    std::uint8_t* record = m_buffer.data() + (tail & m_mask);
    const auto length32 = static_cast<std::uint32_t>(length);
    const auto source32 = static_cast<std::uint32_t>(std::min<std::size_t>(source_length, sizeof(sockaddr_storage)));
    std::memcpy(record, &length32, 4);
    std::memcpy(record + 4, &source32, 4);
    std::memcpy(record + 8, source, source32);
    std::memcpy(record + RECORD_HEADER, data, length);
    // SYNC POINT(udp_queue): release publishes the record to the consumer's acquire of tail.
    m_tail.store(tail + need, std::memory_order_release);
    return true;
}

UdpReceiver::UdpReceiver(SocketFd socket, std::size_t buffer_length, Endpoint resolved)
    : m_socket(std::move(socket)), m_buffer_length(buffer_length), m_resolved(std::move(resolved)),
      m_buffers(buffer_length * RECEIVE_BATCH) {
    for (std::size_t i = 0; i < RECEIVE_BATCH; ++i) {
        m_iovecs[i].iov_base = m_buffers.data() + i * m_buffer_length;
        m_iovecs[i].iov_len = m_buffer_length;
    }
}

auto UdpReceiver::create(const Endpoint& endpoint, const SocketAddress& address, const ChannelUri& uri,
                         std::size_t buffer_length) -> Expected<std::shared_ptr<UdpReceiver>> {
    SocketFd socket(::socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (socket.get() < 0) {
        return make_errno_error(ErrorCode::IoError, "cannot create UDP socket for '" + endpoint.to_string() + "'");
    }
    // No SO_REUSEADDR: for UDP it would let a second socket bind the port and take its datagrams.
    TP_TRY_VOID(apply_buffer_sizes(socket.get(), uri));
    if (::bind(socket.get(), address.get(), address.length) != 0) {
        if (errno == EADDRINUSE) {
            return make_errno_error(ErrorCode::IoError, "cannot bind '" + endpoint.to_string() +
                                                            "': in use by another process or transport context");
        }
        return make_errno_error(ErrorCode::IoError, "cannot bind UDP endpoint '" + endpoint.to_string() + "'");
    }
    SocketAddress bound;
    bound.length = sizeof(bound.storage);
    if (::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) != 0) {
        return make_errno_error(ErrorCode::IoError, "getsockname failed for '" + endpoint.to_string() + "'");
    }
    Endpoint resolved = endpoint;
    if (bound.family() == AF_INET) {
        resolved.port = ntohs(reinterpret_cast<const sockaddr_in*>(&bound.storage)->sin_port);
    } else if (bound.family() == AF_INET6) {
        resolved.port = ntohs(reinterpret_cast<const sockaddr_in6*>(&bound.storage)->sin6_port);
    }
    return std::make_shared<UdpReceiver>(std::move(socket), buffer_length, std::move(resolved));
}

void UdpReceiver::add_sink(DatagramSink* sink) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_sinks.push_back(sink);
}

void UdpReceiver::remove_sink(DatagramSink* sink) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_sinks.erase(std::remove(m_sinks.begin(), m_sinks.end(), sink), m_sinks.end());
}

auto UdpReceiverRegistry::acquire(const ChannelUri& uri, std::size_t buffer_length)
    -> Expected<std::shared_ptr<UdpReceiver>> {
    const Endpoint& endpoint = *uri.endpoint();
    TP_TRY(address, resolve_endpoint(endpoint));
    char key[96];
    format_address(address.get(), key, sizeof(key));
    std::lock_guard<std::mutex> lock(m_mutex);
    if (endpoint.port != 0) {
        if (auto it = m_receivers.find(key); it != m_receivers.end()) {
            if (auto existing = it->second.lock()) {
                return existing;
            }
        }
    }
    TP_TRY(receiver, UdpReceiver::create(endpoint, address, uri, buffer_length));
    std::string bound_key = key;
    if (endpoint.port == 0) {
        bound_key = bound_key.substr(0, bound_key.rfind(':') + 1) + std::to_string(receiver->resolved_endpoint().port);
    }
    for (auto it = m_receivers.begin(); it != m_receivers.end();) {
        it = it->second.expired() ? m_receivers.erase(it) : std::next(it);
    }
    m_receivers[bound_key] = receiver;
    return receiver;
}

} // namespace tp::transport::udp
