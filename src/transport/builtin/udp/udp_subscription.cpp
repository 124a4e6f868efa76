// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/udp/udp_subscription.hpp"

#include "transport/liveness_clock.hpp"

#include <algorithm>
#include <cerrno>

#include <netinet/in.h>
#include <unistd.h>

namespace tp::transport::udp {

auto UdpSubscription::create(std::shared_ptr<ContextCore> core, UdpReceiverRegistry& registry, const ChannelUri& uri,
                             std::string channel, std::int32_t stream_id, ImageHandler on_available,
                             ImageHandler on_unavailable) -> Expected<std::unique_ptr<Subscription>> {
    if (uri.get("control") || uri.get("control-mode")) {
        return make_error(ErrorCode::Unsupported, "channel '" + channel +
                                                      "': control / control-mode (multi-destination) need the Aeron "
                                                      "backend; the built-in UDP transport is unicast");
    }
    // Without an mtu the receive buffers take the largest datagram a publisher may send.
    TP_TRY(receiver, registry.acquire(uri, uri.mtu().value_or(MAX_MTU)));
    std::string resolved_channel = uri.with_param("endpoint", receiver->resolved_endpoint().to_string()).to_string();
    return std::unique_ptr<Subscription>(std::make_unique<UdpSubscription>(
        std::move(core), std::move(receiver), std::move(resolved_channel), std::move(channel), stream_id,
        std::move(on_available), std::move(on_unavailable)));
}

UdpSubscription::UdpSubscription(std::shared_ptr<ContextCore> core, std::shared_ptr<UdpReceiver> receiver,
                                 std::string resolved_channel, std::string channel, std::int32_t stream_id,
                                 ImageHandler on_available, ImageHandler on_unavailable)
    : Subscription(std::move(channel), stream_id), m_core(std::move(core)), m_receiver(std::move(receiver)),
      m_resolved_channel(std::move(resolved_channel)),
      m_pub_timeout_ns(m_core->config().publisher_liveness_timeout.count()), m_on_available(std::move(on_available)),
      m_on_unavailable(std::move(on_unavailable)), m_queue(QUEUE_BYTES) {
    m_receiver->add_sink(this);
}

UdpSubscription::~UdpSubscription() {
    m_receiver->remove_sink(this);
}

auto UdpSubscription::poll(FragmentHandler handler, int fragment_limit) -> int {
    const std::int64_t now = coarse_now_ns();
    if (now != m_last_tick_ns) [[unlikely]] {
        m_last_tick_ns = now;
        expire_sessions(now);
    }
    int delivered = 0;
    const auto on_own = [&](const std::uint8_t* data, std::size_t length, bool truncated, const sockaddr* source) {
        delivered += on_datagram(data, length, truncated, source, now, handler);
    };
    // Older datagrams first: those another subscription of the endpoint received for this one.
    while (delivered < fragment_limit &&
           m_queue.pop([&](const std::uint8_t* data, std::size_t length, const sockaddr* source) {
               on_own(data, length, false, source);
           })) {
    }
    while (delivered < fragment_limit) {
        const int want = std::min(fragment_limit - delivered, UdpReceiver::RECEIVE_BATCH);
        if (m_receiver->receive(this, want, on_own) < want) {
            break; // socket drained, or another thread is receiving (and queues ours)
        }
    }
    return delivered;
}

auto UdpSubscription::on_datagram(const std::uint8_t* data, std::size_t length, bool truncated, const sockaddr* source,
                                  std::int64_t now_ns, FragmentHandler& handler) -> int {
    DatagramHeader header;
    if (truncated || !decode_header(data, length, header) || header.stream_id != stream_id()) {
        // Too long, not ours, or for a stream no subscription of this endpoint takes.
        m_malformed.add(1);
        return 0;
    }
    const std::size_t payload = length - DATAGRAM_HEADER_LENGTH;
    // A data datagram's position is after the message; the image joins at its start.
    const std::int64_t join_position =
        header.type == DATAGRAM_DATA ? header.position - position_delta(payload) : header.position;
    Session* session = find_or_add_session(header, join_position, source, now_ns);
    if (session == nullptr) {
        m_malformed.add(1); // no room for another sender
        return 0;
    }
    session->last_seen_ns = now_ns;
    if (header.type == DATAGRAM_HEARTBEAT) {
        // A heartbeat carries the next sequence: anything below it that never came is lost.
        if (header.sequence > session->next_sequence) {
            m_gaps.add(header.sequence - session->next_sequence);
            session->next_sequence = header.sequence;
        }
        return 0;
    }
    if (header.sequence < session->next_sequence) {
        m_out_of_order.add(1); // later messages of this session were delivered already
        return 0;
    }
    if (header.sequence > session->next_sequence) {
        m_gaps.add(header.sequence - session->next_sequence);
    }
    session->next_sequence = header.sequence + 1;
    const MessageHeader message_header{header.session_id, header.stream_id, header.position};
    handler(std::span<const std::uint8_t>(data + DATAGRAM_HEADER_LENGTH, payload), message_header);
    m_messages.add(1);
    m_bytes.add(payload);
    return 1;
}

auto UdpSubscription::find_or_add_session(const DatagramHeader& header, std::int64_t join_position,
                                          const sockaddr* source, std::int64_t now_ns) -> Session* {
    Session* free_slot = nullptr;
    for (Session& s : m_sessions) {
        if (s.active && s.session_id == header.session_id) {
            return &s;
        }
        if (!s.active && free_slot == nullptr) {
            free_slot = &s;
        }
    }
    if (free_slot == nullptr) {
        return nullptr;
    }
    free_slot->active = true;
    free_slot->session_id = header.session_id;
    free_slot->next_sequence = header.sequence;
    free_slot->last_seen_ns = now_ns;
    free_slot->join_position = join_position;
    format_address(source, free_slot->source.data(), free_slot->source.size());
    announce(*free_slot, true);
    return free_slot;
}

void UdpSubscription::announce(const Session& session, bool available) {
    // Relaxed: a count for display; sessions belong to the polling thread.
    m_image_count.store(m_image_count.load(std::memory_order_relaxed) + (available ? 1 : -1),
                        std::memory_order_relaxed);
    const ImageHandler& handler = available ? m_on_available : m_on_unavailable;
    if (handler) {
        const ImageInfo info{session.session_id, stream_id(), session.join_position,
                             static_cast<std::uint64_t>(precise_now_ns()), std::string_view(session.source.data())};
        handler(info);
    }
}

void UdpSubscription::expire_sessions(std::int64_t now_ns) {
    for (Session& s : m_sessions) {
        if (s.active && now_ns - s.last_seen_ns > m_pub_timeout_ns) {
            s.active = false;
            announce(s, false);
        }
    }
}

auto UdpSubscription::counters() const noexcept -> SubscriptionCounters {
    SubscriptionCounters c;
    c.messages = m_messages.get();
    c.bytes = m_bytes.get();
    c.gaps = m_gaps.get();
    c.out_of_order = m_out_of_order.get();
    c.malformed = m_malformed.get();
    return c;
}

} // namespace tp::transport::udp
