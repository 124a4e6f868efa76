// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/udp/udp_frame.hpp"
#include "transport/builtin/udp/udp_socket.hpp"

#include "tensorpool/channel_uri.hpp"
#include "tensorpool/error.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace tp::transport::udp {

/// A single-producer, single-consumer queue of datagrams (bytes plus source address) in a
/// fixed byte ring. The producer side is called only by the thread that holds the owning
/// receiver's lock (the lock orders successive producers); the consumer is the subscription's
/// polling thread. No allocation after construction.
class DatagramQueue {
public:
    explicit DatagramQueue(std::size_t capacity);
    /// Appends a datagram; false (dropped) when full.
    auto push(const std::uint8_t* data, std::size_t length, const sockaddr* source, socklen_t source_length) noexcept
        -> bool;
    /// Calls f(data, length, source) for the oldest datagram and removes it; false when empty.
    template <typename F>
    auto pop(F&& f) -> bool;

private:
    static constexpr std::size_t RECORD_HEADER = 8 + sizeof(sockaddr_storage);
    static constexpr std::uint32_t WRAP = 0xFFFFFFFFU;
    [[nodiscard]] static auto record_length(std::size_t payload) noexcept -> std::size_t {
        return (RECORD_HEADER + payload + 7U) & ~std::size_t{7U};
    }

    std::vector<std::uint8_t> m_buffer;
    std::size_t m_mask;
    alignas(64) std::atomic<std::uint64_t> m_head{0}; ///< consumer position
    alignas(64) std::atomic<std::uint64_t> m_tail{0}; ///< producer position
};

class UdpReceiver;
/// The receiver this thread is receiving on (re-entry guard for handlers that poll).
inline thread_local const UdpReceiver* t_receiving = nullptr;

/// What a receiver hands to the subscriptions bound to it.
class DatagramSink {
public:
    DatagramSink() = default;
    DatagramSink(const DatagramSink&) = delete;
    auto operator=(const DatagramSink&) -> DatagramSink& = delete;
    DatagramSink(DatagramSink&&) = delete;
    auto operator=(DatagramSink&&) -> DatagramSink& = delete;
    virtual ~DatagramSink() = default;
    [[nodiscard]] virtual auto sink_stream_id() const noexcept -> std::int32_t = 0;
    /// Queues a datagram for the sink's own poll (called under the receiver lock).
    virtual void enqueue(const std::uint8_t* data, std::size_t length, const sockaddr* source,
                         socklen_t source_length) noexcept = 0;
};

/// One bound UDP socket shared by every subscription of a context on that endpoint (Aeron's
/// receive channel endpoint): whichever subscription polls drains the socket, keeps the datagrams
/// of its own stream and queues the others' for them.
class UdpReceiver {
public:
    static constexpr int RECEIVE_BATCH = 16;

    /// Binds `address`; `buffer_length` bounds a datagram (larger ones are truncated and dropped).
    [[nodiscard]] static auto create(const Endpoint& endpoint, const SocketAddress& address, const ChannelUri& uri,
                                     std::size_t buffer_length) -> Expected<std::shared_ptr<UdpReceiver>>;

    UdpReceiver(SocketFd socket, std::size_t buffer_length, Endpoint resolved);

    void add_sink(DatagramSink* sink);
    void remove_sink(DatagramSink* sink);

    /// Receives up to `max_datagrams` datagrams unless another thread is receiving (or this
    /// thread already is, from inside a handler). Each datagram is queued for every other sink
    /// of its stream, and handed to `own(data, length, truncated, source)` when it is for
    /// `self`'s stream, malformed, or for a stream nobody here takes. Returns the number of
    /// datagrams received, or -1 when the receiver was busy.
    template <typename Own>
    auto receive(DatagramSink* self, int max_datagrams, Own&& own) -> int;

    [[nodiscard]] auto resolved_endpoint() const -> const Endpoint& { return m_resolved; }
    [[nodiscard]] auto buffer_length() const noexcept -> std::size_t { return m_buffer_length; }

private:
    SocketFd m_socket;
    std::size_t m_buffer_length;
    Endpoint m_resolved;
    std::mutex m_mutex;
    std::vector<DatagramSink*> m_sinks;
    std::vector<std::uint8_t> m_buffers;
    std::array<mmsghdr, RECEIVE_BATCH> m_headers{};
    std::array<iovec, RECEIVE_BATCH> m_iovecs{};
    std::array<sockaddr_storage, RECEIVE_BATCH> m_sources{};
};

/// Receivers of one context by bound address, so subscriptions on one endpoint share a socket.
class UdpReceiverRegistry {
public:
    /// The receiver bound to the endpoint, creating it if needed. Port 0 always binds a new one.
    [[nodiscard]] auto acquire(const ChannelUri& uri, std::size_t buffer_length)
        -> Expected<std::shared_ptr<UdpReceiver>>;

private:
    std::mutex m_mutex;
    std::map<std::string, std::weak_ptr<UdpReceiver>> m_receivers;
};

// ---------------------------------------------------------------------------------------------

template <typename F>
auto DatagramQueue::pop(F&& f) -> bool {
    // Relaxed: the consumer is the only writer of head.
    std::uint64_t head = m_head.load(std::memory_order_relaxed);
    // SYNC POINT(udp_queue): acquire pairs with the producer's release of tail; the record's bytes
    // are visible.
    const std::uint64_t tail = m_tail.load(std::memory_order_acquire);
    while (head != tail) {
        std::uint8_t* record = m_buffer.data() + (head & m_mask);
        std::uint32_t length = 0;
        std::memcpy(&length, record, 4);
        if (length == WRAP) {
            head += m_buffer.size() - (head & m_mask);
            continue;
        }
        std::uint32_t source_length = 0;
        std::memcpy(&source_length, record + 4, 4);
        f(record + RECORD_HEADER, static_cast<std::size_t>(length), reinterpret_cast<const sockaddr*>(record + 8));
        // SYNC POINT(udp_queue): release pairs with the producer's acquire of head; the space is free.
        m_head.store(head + record_length(length), std::memory_order_release);
        return true;
    }
    if (head != m_head.load(std::memory_order_relaxed)) {
        m_head.store(head, std::memory_order_release); // SYNC POINT(udp_queue): skipped a wrap marker
    }
    return false;
}

template <typename Own>
auto UdpReceiver::receive(DatagramSink* self, int max_datagrams, Own&& own) -> int {
    // A handler polling another subscription of this receiver must not receive again underneath
    // the batch being delivered.
    if (t_receiving == this) {
        return -1;
    }
    std::unique_lock<std::mutex> lock(m_mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
        return -1;
    }
    struct Busy {
        explicit Busy(const UdpReceiver* r) noexcept { t_receiving = r; }
        Busy(const Busy&) = delete;
        auto operator=(const Busy&) -> Busy& = delete;
        ~Busy() { t_receiving = nullptr; }
    } busy(this);
    const int batch = std::min(max_datagrams, RECEIVE_BATCH);
    for (int i = 0; i < batch; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        msghdr& m = m_headers[idx].msg_hdr;
        m = msghdr{};
        m.msg_iov = &m_iovecs[idx];
        m.msg_iovlen = 1;
        m.msg_name = &m_sources[idx];
        m.msg_namelen = sizeof(sockaddr_storage);
    }
    const int received =
        ::recvmmsg(m_socket.get(), m_headers.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    for (int i = 0; i < received; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        const auto* data = static_cast<const std::uint8_t*>(m_iovecs[idx].iov_base);
        const std::size_t length = m_headers[idx].msg_len;
        const bool truncated = (m_headers[idx].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        const auto* source = reinterpret_cast<const sockaddr*>(&m_sources[idx]);
        const socklen_t source_length = m_headers[idx].msg_hdr.msg_namelen;
        const std::optional<std::int32_t> peeked = truncated ? std::nullopt : peek_stream_id(data, length);
        const bool valid = peeked.has_value();
        const std::int32_t stream = peeked.value_or(0);
        bool taken = false;
        for (DatagramSink* sink : m_sinks) {
            if (valid && sink->sink_stream_id() == stream) {
                taken = true;
                if (sink != self) {
                    sink->enqueue(data, length, source, source_length);
                }
            }
        }
        // Malformed datagrams and streams nobody here takes are the polling subscription's to count.
        const bool for_self = !valid || !taken || stream == self->sink_stream_id();
        if (for_self) {
            own(data, length, truncated, source);
        }
    }
    return received < 0 ? 0 : received;
}

} // namespace tp::transport::udp
