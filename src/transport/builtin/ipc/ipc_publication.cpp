// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_publication.hpp"

#include "transport/builtin/ipc/ipc_atomics.hpp"
#include "transport/builtin/ipc/ipc_slots.hpp"
#include "transport/liveness_clock.hpp"

#include "concurrent/atomic_ops.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include <sys/random.h>
#include <unistd.h>

namespace tp::transport::ipc {

using concurrent::compare_exchange_acq_rel;
using concurrent::fetch_add_acq_rel;
using concurrent::load_acquire;
using concurrent::load_relaxed;
using concurrent::store_relaxed;
using concurrent::store_release;

namespace {

auto stamp_word(std::uint8_t* frame) noexcept -> std::uint64_t* {
    return field<std::uint64_t>(frame, FRAME_STAMP_OFFSET);
}

auto random_session_id() -> std::int32_t {
    std::int32_t v = 0;
    if (::getrandom(&v, sizeof(v), 0) != static_cast<ssize_t>(sizeof(v))) {
        std::random_device rd;
        v = static_cast<std::int32_t>(rd());
    }
    return v;
}

auto session_in_use(const IpcLog& log, std::int32_t session_id, std::int64_t now, std::int64_t timeout) -> bool {
    for (std::uint32_t i = 0; i < PUB_SLOT_COUNT; ++i) {
        std::uint8_t* slot = log.pub_slot(i);
        // SYNC POINT(ipc_pub_join): acquire pairs with the publisher's release of ACTIVE.
        const auto owner = load_acquire(field<std::uint64_t>(slot, PUB_OWNER_OFFSET));
        // Relaxed: the session id and heartbeat are published by the acquire of the owner word.
        if (slot_state(owner) == SLOT_ACTIVE &&
            load_relaxed(field<std::int32_t>(slot, PUB_SESSION_ID_OFFSET)) == session_id &&
            is_fresh(load_relaxed(field<std::int64_t>(slot, PUB_HEARTBEAT_OFFSET)), now, timeout)) {
            return true;
        }
    }
    return false;
}

} // namespace

auto IpcPublication::create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                            std::int32_t stream_id) -> Expected<std::unique_ptr<Publication>> {
    const TransportConfig& cfg = core->config();
    IpcLogOptions options;
    options.directory = cfg.directory;
    options.stream_id = stream_id;
    options.term_length = uri.term_length().value_or(cfg.default_term_length);
    options.required_term_length = uri.term_length();
    options.file_mode = cfg.file_mode;
    TP_TRY(log, IpcLog::open(options));
    TP_TRY(slot_index, log.claim_pub_slot());

    const std::int64_t now = coarse_now_ns();
    const std::int64_t pub_timeout = cfg.publisher_liveness_timeout.count();
    std::int32_t session_id = 0;
    if (uri.session_id()) {
        session_id = *uri.session_id();
        if (session_in_use(log, session_id, now, pub_timeout)) {
            log.release_pub_slot(slot_index);
            return make_error(ErrorCode::InvalidArgument, "session-id " + std::to_string(session_id) +
                                                              " is in use by a live publication of stream " +
                                                              std::to_string(stream_id));
        }
    } else {
        do {
            session_id = random_session_id();
        } while (session_id == 0 || session_in_use(log, session_id, now, pub_timeout));
    }

    std::uint8_t* slot = log.pub_slot(slot_index);
    // The slot lock makes this process the only writer of the slot; the fields are published by
    // the release of the owner word below.
    // Relaxed: the slot lock makes this process the slot's only writer.
    const std::uint64_t generation = slot_generation(load_relaxed(field<std::uint64_t>(slot, PUB_OWNER_OFFSET))) + 1;
    store_relaxed(field<std::int32_t>(slot, PUB_SESSION_ID_OFFSET), session_id);
    store_relaxed(field<std::int32_t>(slot, PUB_PID_OFFSET), static_cast<std::int32_t>(::getpid()));
    store_relaxed(field<std::int64_t>(slot, PUB_HEARTBEAT_OFFSET), now);
    // Relaxed: the join position is informative (image join position), nothing is read through it.
    store_relaxed(field<std::int64_t>(slot, PUB_JOIN_POSITION_OFFSET), load_relaxed(log.tail()));
    store_relaxed(field<std::int64_t>(slot, PUB_END_POSITION_OFFSET), std::int64_t{0});
    store_relaxed(field<std::int64_t>(slot, PUB_JOIN_TIME_OFFSET), precise_now_ns());
    // SYNC POINT(ipc_pub_join): release publishes the slot fields to subscribers' acquire of the owner.
    store_release(field<std::uint64_t>(slot, PUB_OWNER_OFFSET), make_owner(generation, SLOT_ACTIVE));
    // SYNC POINT(ipc_pub_changes): release pairs with subscribers' acquire of pub_changes before a rescan.
    fetch_add_acq_rel(log.pub_changes(), std::uint64_t{1});

    auto pub =
        std::make_unique<IpcPublication>(core, std::move(log), slot_index, std::move(channel), stream_id, session_id);
    core->add_client(pub.get());
    return std::unique_ptr<Publication>(std::move(pub));
}

IpcPublication::IpcPublication(std::shared_ptr<ContextCore> core, IpcLog log, std::uint32_t slot, std::string channel,
                               std::int32_t stream_id, std::int32_t session_id)
    : Publication(std::move(channel), stream_id, session_id), m_core(std::move(core)), m_log(std::move(log)),
      m_slot_index(slot), m_slot(m_log.pub_slot(slot)), m_ring(m_log.ring()), m_tail(m_log.tail()),
      m_sub_changes(m_log.sub_changes()), m_capacity(m_log.term_length()), m_mask(m_capacity - 1),
      m_key(m_log.stamp_key()), m_max_message(max_message_length_for(m_log.term_length())),
      m_sub_timeout_ns(m_core->config().subscriber_liveness_timeout.count()),
      m_heartbeat_interval_ns(
          std::clamp<std::int64_t>(m_core->config().publisher_liveness_timeout.count() / 8, 1'000'000, 100'000'000)) {
    m_last_end = load_relaxed(m_tail); // relaxed: a starting value for the image end position
}

IpcPublication::~IpcPublication() {
    m_core->remove_client(this);
    // Relaxed: published by the release of CLOSED just below.
    store_relaxed(field<std::int64_t>(m_slot, PUB_END_POSITION_OFFSET), m_last_end);
    const std::uint64_t owner = load_relaxed(field<std::uint64_t>(m_slot, PUB_OWNER_OFFSET));
    // SYNC POINT(ipc_pub_join): release of CLOSED publishes end_position to subscribers.
    store_release(field<std::uint64_t>(m_slot, PUB_OWNER_OFFSET), make_owner(slot_generation(owner), SLOT_CLOSED));
    // SYNC POINT(ipc_pub_changes): release pairs with subscribers' acquire before a rescan.
    fetch_add_acq_rel(m_log.pub_changes(), std::uint64_t{1});
    m_log.release_pub_slot(m_slot_index);
}

auto IpcPublication::on_conductor_tick(std::int64_t now_ns) noexcept -> int {
    if (now_ns - m_last_heartbeat_ns < m_heartbeat_interval_ns) {
        return 0;
    }
    m_last_heartbeat_ns = now_ns;
    // Relaxed: a liveness time, read against a timeout; nothing is published through it.
    store_relaxed(field<std::int64_t>(m_slot, PUB_HEARTBEAT_OFFSET), now_ns);
    return 1;
}

auto IpcPublication::refresh_limit(std::int64_t required_end) noexcept -> std::int64_t {
    // SYNC POINT(ipc_sub_changes): acquire pairs with the release increment by a joining or
    // leaving subscriber; the scan below then sees that subscriber's slot.
    m_seen_sub_changes = load_acquire(m_sub_changes);
    // Relaxed: a fast "nobody there"; a subscriber joining this instant is seen on the next call.
    if (load_relaxed(m_log.active_subs(0)) == 0 && load_relaxed(m_log.active_subs(1)) == 0) {
        m_limit = LIMIT_UNKNOWN;
        m_stats.not_connected.add(1);
        return NOT_CONNECTED;
    }
    const SubscriberScan scan = scan_subscribers(m_log, coarse_now_ns(), m_sub_timeout_ns);
    if (scan.live == 0) {
        m_limit = LIMIT_UNKNOWN;
        m_stats.not_connected.add(1);
        return NOT_CONNECTED;
    }
    // Flow control: nothing is written at or beyond (slowest live position + ring length), so no
    // live subscriber's unread frames are overwritten.
    m_limit = scan.min_position + m_capacity;
    if (required_end > m_limit) {
        m_stats.back_pressured.add(1);
        return BACK_PRESSURED;
    }
    return 0;
}

auto IpcPublication::claim(std::int64_t aligned, std::int64_t& position) noexcept -> std::int64_t {
    // Relaxed: a hint to rescan; a joining subscriber is safe with any older limit because it
    // starts at the tail, at or above every position the limit was computed from.
    if (load_relaxed(m_sub_changes) != m_seen_sub_changes) [[unlikely]] {
        m_limit = LIMIT_UNKNOWN;
    }
    // Relaxed: only a first guess, validated by the compare-and-swap.
    std::int64_t tail = load_relaxed(m_tail);
    while (true) {
        const std::int64_t to_end = m_capacity - (tail & m_mask);
        const std::int64_t padding = aligned > to_end ? to_end : 0;
        if (tail > std::numeric_limits<std::int64_t>::max() - (padding + aligned)) [[unlikely]] {
            return MAX_POSITION_EXCEEDED;
        }
        const std::int64_t end = tail + padding + aligned;
        if (end > m_limit) [[unlikely]] {
            const std::int64_t rc = refresh_limit(end);
            if (rc < 0) {
                return rc;
            }
        }
        // SYNC POINT(ipc_tail_claim): acq_rel CAS. Release: a subscriber joining at this tail
        // (acquire) sees the ring as this publisher knew it. Acquire: this publisher continues
        // from the latest claim.
        if (compare_exchange_acq_rel(m_tail, tail, end)) {
            if (padding > 0) {
                write_padding(tail, padding);
            }
            position = tail + padding;
            return 0;
        }
    }
}

void IpcPublication::write_padding(std::int64_t position, std::int64_t length) noexcept {
    std::uint8_t* frame = m_ring + (position & m_mask);
    *field<std::uint32_t>(frame, FRAME_LENGTH_OFFSET) = static_cast<std::uint32_t>(length);
    // SYNC POINT(ipc_frame_commit): release publishes the length to readers' acquire of the stamp.
    store_release(stamp_word(frame), make_stamp(position, m_key, FRAME_PAD));
}

void IpcPublication::write_header(std::uint8_t* frame, std::size_t frame_length) const noexcept {
    *field<std::uint32_t>(frame, FRAME_LENGTH_OFFSET) = static_cast<std::uint32_t>(frame_length);
    *field<std::uint32_t>(frame, FRAME_FLAGS_OFFSET) = 0;
    *field<std::int32_t>(frame, FRAME_SESSION_ID_OFFSET) = session_id();
    *field<std::int32_t>(frame, FRAME_STREAM_ID_OFFSET) = stream_id();
    *field<std::int64_t>(frame, FRAME_RESERVED_OFFSET) = 0;
}

void IpcPublication::mark_pending(std::uint8_t* frame, std::int64_t position) const noexcept {
    // SYNC POINT(ipc_frame_pending): release publishes the header (length above all) to an
    // unblocker's acquire of the stamp, so an abandoned claim can be padded with its own length.
    store_release(stamp_word(frame), make_stamp(position, m_key, FRAME_PENDING));
}

auto IpcPublication::offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t {
    if (message.size() > m_max_message) [[unlikely]] {
        return PUBLICATION_ERROR;
    }
    const std::size_t frame_length = FRAME_HEADER_LENGTH + message.size();
    const auto aligned = static_cast<std::int64_t>(align_frame(frame_length));
    std::int64_t position = 0;
    const std::int64_t rc = claim(aligned, position);
    if (rc < 0) {
        return rc;
    }
    std::uint8_t* frame = m_ring + (position & m_mask);
    write_header(frame, frame_length);
    if (message.size() >= PENDING_STAMP_THRESHOLD) {
        mark_pending(frame, position);
    }
    if (!message.empty()) {
        std::memcpy(frame + FRAME_HEADER_LENGTH, message.data(), message.size());
    }
    // SYNC POINT(ipc_frame_commit): release publishes header and payload to readers' acquire of
    // the stamp.
    store_release(stamp_word(frame), make_stamp(position, m_key, FRAME_DATA));
    m_last_end = position + aligned;
    m_stats.messages.add(1);
    m_stats.bytes.add(message.size());
    return m_last_end;
}

auto IpcPublication::try_claim(std::size_t length, BufferClaim& buffer_claim) noexcept -> std::int64_t {
    if (length > m_max_message) [[unlikely]] {
        return PUBLICATION_ERROR;
    }
    const std::size_t frame_length = FRAME_HEADER_LENGTH + length;
    const auto aligned = static_cast<std::int64_t>(align_frame(frame_length));
    std::int64_t position = 0;
    const std::int64_t rc = claim(aligned, position);
    if (rc < 0) {
        return rc;
    }
    std::uint8_t* frame = m_ring + (position & m_mask);
    write_header(frame, frame_length);
    mark_pending(frame, position); // a claim may be held a while: its length must be findable
    buffer_claim.activate(&CLAIM_OPS, this, frame, frame + FRAME_HEADER_LENGTH, length);
    m_last_end = position + aligned;
    return m_last_end;
}

auto IpcPublication::commit_claim(BufferClaim& claim) noexcept -> bool {
    auto* self = static_cast<IpcPublication*>(claim.context());
    std::uint8_t* frame = claim.frame();
    // Relaxed: this thread wrote the PENDING stamp; the CAS below checks nobody replaced it.
    std::uint64_t expected = load_relaxed(stamp_word(frame));
    if ((expected & STAMP_STATE_MASK) != FRAME_PENDING) {
        return false;
    }
    const std::uint64_t committed = (expected & ~STAMP_STATE_MASK) | FRAME_DATA;
    // SYNC POINT(ipc_frame_commit): release (CAS) publishes the payload written in place. A CAS,
    // not a store: a claim held past the unblock timeout may have been padded, and then stays so.
    if (!compare_exchange_acq_rel(stamp_word(frame), expected, committed)) {
        return false;
    }
    self->m_stats.messages.add(1);
    self->m_stats.bytes.add(claim.buffer().size());
    return true;
}

void IpcPublication::abort_claim(BufferClaim& claim) noexcept {
    std::uint8_t* frame = claim.frame();
    // Relaxed: this thread wrote the PENDING stamp; the CAS checks nobody replaced it.
    std::uint64_t expected = load_relaxed(stamp_word(frame));
    if ((expected & STAMP_STATE_MASK) != FRAME_PENDING) {
        return;
    }
    // SYNC POINT(ipc_frame_commit): release (CAS) to PAD; readers skip `length` bytes.
    (void)compare_exchange_acq_rel(stamp_word(frame), expected, (expected & ~STAMP_STATE_MASK) | FRAME_PAD);
}

auto IpcPublication::is_connected() const noexcept -> bool {
    return scan_subscribers(m_log, coarse_now_ns(), m_sub_timeout_ns).live > 0;
}

auto IpcPublication::counters() const noexcept -> PublicationCounters {
    return m_stats.snapshot();
}

} // namespace tp::transport::ipc
