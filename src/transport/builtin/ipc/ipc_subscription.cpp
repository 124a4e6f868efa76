// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_subscription.hpp"

#include "transport/builtin/ipc/ipc_atomics.hpp"
#include "transport/builtin/ipc/ipc_slots.hpp"
#include "transport/builtin/ipc/ipc_unblocker.hpp"
#include "transport/liveness_clock.hpp"

#include "concurrent/atomic_ops.hpp"

#include <algorithm>

#include <unistd.h>

namespace tp::transport::ipc {

using concurrent::fetch_add_acq_rel;
using concurrent::load_acquire;
using concurrent::load_relaxed;
using concurrent::store_relaxed;
using concurrent::store_release;

auto IpcSubscription::create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                             std::int32_t stream_id, ImageHandler on_available, ImageHandler on_unavailable)
    -> Expected<std::unique_ptr<Subscription>> {
    const TransportConfig& cfg = core->config();
    IpcLogOptions options;
    options.directory = cfg.directory;
    options.stream_id = stream_id;
    options.term_length = uri.term_length().value_or(cfg.default_term_length);
    options.file_mode = cfg.file_mode;
    TP_TRY(log, IpcLog::open(options));
    TP_TRY(slot_index, log.claim_sub_slot());

    std::uint8_t* slot = log.sub_slot(slot_index);
    // The slot lock makes this process the only writer of the slot; the fields are published by
    // the release of the owner word below.
    // Relaxed: the slot lock makes this process the slot's only writer.
    const std::uint64_t generation = slot_generation(load_relaxed(field<std::uint64_t>(slot, SUB_OWNER_OFFSET))) + 1;
    // SYNC POINT(ipc_tail_claim): acquire pairs with the publishers' CAS on the tail; the join
    // position is at or above every position a publisher's cached limit was computed from.
    const std::int64_t tail = load_acquire(log.tail());
    store_relaxed(field<std::int64_t>(slot, SUB_POSITION_OFFSET), tail);
    store_relaxed(field<std::int64_t>(slot, SUB_HEARTBEAT_OFFSET), coarse_now_ns());
    store_relaxed(field<std::int64_t>(slot, SUB_JOIN_POSITION_OFFSET), tail);
    store_relaxed(field<std::int32_t>(slot, SUB_PID_OFFSET), static_cast<std::int32_t>(::getpid()));
    store_relaxed(field<std::uint64_t>(slot, SUB_REJOINS_OFFSET), std::uint64_t{0});
    // SYNC POINT(ipc_sub_join): release publishes the slot fields to publishers' acquire of owner.
    store_release(field<std::uint64_t>(slot, SUB_OWNER_OFFSET), make_owner(generation, SLOT_ACTIVE));
    // SYNC POINT(ipc_sub_join): the bit is set after ACTIVE; publishers acquire the mask first.
    fetch_or_acq_rel(log.active_subs(slot_index / 64U), std::uint64_t{1} << (slot_index % 64U));
    // SYNC POINT(ipc_sub_changes): release pairs with publishers' acquire before a rescan.
    fetch_add_acq_rel(log.sub_changes(), std::uint64_t{1});

    return std::unique_ptr<Subscription>(
        std::make_unique<IpcSubscription>(std::move(core), std::move(log), slot_index, std::move(channel), stream_id,
                                          tail, std::move(on_available), std::move(on_unavailable)));
}

IpcSubscription::IpcSubscription(std::shared_ptr<ContextCore> core, IpcLog log, std::uint32_t slot, std::string channel,
                                 std::int32_t stream_id, std::int64_t join_position, ImageHandler on_available,
                                 ImageHandler on_unavailable)
    : Subscription(std::move(channel), stream_id), m_core(std::move(core)), m_log(std::move(log)), m_slot_index(slot),
      m_slot(m_log.sub_slot(slot)), m_ring(m_log.ring()), m_capacity(m_log.term_length()), m_mask(m_capacity - 1),
      m_key(m_log.stamp_key()),
      m_max_frame(static_cast<std::uint32_t>(FRAME_HEADER_LENGTH) + max_message_length_for(m_log.term_length())),
      m_rejoin_threshold_ns(m_core->config().subscriber_liveness_timeout.count() / 4 * 3),
      m_pub_timeout_ns(m_core->config().publisher_liveness_timeout.count()),
      m_unblock_timeout_ns(m_core->config().unblock_timeout.count()),
      m_image_scan_period_ns(std::clamp<std::int64_t>(m_pub_timeout_ns / 8, 1'000'000, 100'000'000)),
      m_on_available(std::move(on_available)), m_on_unavailable(std::move(on_unavailable)), m_position(join_position),
      m_join_position(join_position), m_last_heartbeat_ns(coarse_now_ns()) {}

IpcSubscription::~IpcSubscription() {
    std::uint64_t* owner = field<std::uint64_t>(m_slot, SUB_OWNER_OFFSET);
    // SYNC POINT(ipc_sub_join): release of FREE; publishers stop counting this slot. The relaxed
    // load reads this process's own earlier store (the slot lock makes it the only writer).
    store_release(owner, make_owner(slot_generation(load_relaxed(owner)), SLOT_FREE));
    fetch_and_acq_rel(m_log.active_subs(m_slot_index / 64U), ~(std::uint64_t{1} << (m_slot_index % 64U)));
    // SYNC POINT(ipc_sub_changes): release; publishers rescan (and may find nobody left).
    fetch_add_acq_rel(m_log.sub_changes(), std::uint64_t{1});
    m_log.release_sub_slot(m_slot_index);
}

void IpcSubscription::publish_position(std::int64_t position) noexcept {
    m_position = position;
    // SYNC POINT(ipc_sub_position): release orders this subscriber's reads of every frame below
    // `position` before publishers (acquire in scan_subscribers) reuse that space.
    store_release(field<std::int64_t>(m_slot, SUB_POSITION_OFFSET), position);
}

auto IpcSubscription::poll(FragmentHandler handler, int fragment_limit) -> int {
    const std::int64_t now = coarse_now_ns();
    if (now != m_last_tick_ns) [[unlikely]] {
        on_tick(now);
    } else if (load_relaxed(m_log.pub_changes()) != m_seen_pub_changes) [[unlikely]] {
        // Relaxed: a hint; scan_images acquires it. Checked every poll so a new publisher's
        // image is usually announced before its first message.
        scan_images(now);
    }
    std::int64_t position = m_position;
    int count = 0;
    std::uint64_t bytes = 0;
    bool corrupt = false;
    while (count < fragment_limit) {
        std::uint8_t* frame = m_ring + (position & m_mask);
        // SYNC POINT(ipc_frame_commit): acquire pairs with the publisher's release of the stamp;
        // the header and payload written before it are visible.
        const std::uint64_t state =
            stamp_state(load_acquire(field<std::uint64_t>(frame, FRAME_STAMP_OFFSET)), position, m_key);
        if (state == FRAME_SKIP) {
            position += static_cast<std::int64_t>(FRAME_ALIGNMENT);
            continue;
        }
        if (state != FRAME_DATA && state != FRAME_PAD) {
            break; // nothing more committed yet (or a claim in progress)
        }
        const std::uint32_t length = *field<std::uint32_t>(frame, FRAME_LENGTH_OFFSET);
        const auto aligned = static_cast<std::int64_t>(align_frame(length));
        if (length < FRAME_HEADER_LENGTH || aligned > m_capacity - (position & m_mask) ||
            (state == FRAME_DATA && length > m_max_frame)) [[unlikely]] {
            corrupt = true;
            break;
        }
        if (state == FRAME_DATA) {
            const MessageHeader header{*field<std::int32_t>(frame, FRAME_SESSION_ID_OFFSET), stream_id(),
                                       position + aligned};
            const std::size_t payload = length - FRAME_HEADER_LENGTH;
            handler(std::span<const std::uint8_t>(frame + FRAME_HEADER_LENGTH, payload), header);
            ++count;
            bytes += payload;
        }
        position += aligned;
    }
    if (position != m_position) {
        publish_position(position);
    }
    if (count > 0) {
        m_messages.add(static_cast<std::uint64_t>(count));
        m_bytes.add(bytes);
    }
    if (corrupt) [[unlikely]] {
        rejoin();
    }
    return count;
}

void IpcSubscription::on_tick(std::int64_t now_ns) {
    m_last_tick_ns = now_ns;
    // Publishers stop counting a subscriber whose heartbeat is older than the liveness timeout and
    // may then overwrite what it has not read. After a stall of 3/4 of that timeout, restart at
    // the end rather than read frames that may be overwritten.
    // SYNC POINT(ipc_tail_claim): acquire of the tail in the second test. A subscriber lapped
    // although counted live (a heartbeat that went stale unnoticed) finds its frames gone.
    if (now_ns - m_last_heartbeat_ns > m_rejoin_threshold_ns) {
        rejoin();
    } else if (load_acquire(m_log.tail()) - m_position > m_capacity) [[unlikely]] {
        rejoin();
    }
    // Relaxed: a liveness time, compared against a timeout; nothing is published through it.
    store_relaxed(field<std::int64_t>(m_slot, SUB_HEARTBEAT_OFFSET), now_ns);
    m_last_heartbeat_ns = now_ns;
    check_stuck(now_ns);
    // Relaxed: a hint; scan_images acquires it again before scanning.
    if (m_pending_close || load_relaxed(m_log.pub_changes()) != m_seen_pub_changes ||
        now_ns - m_last_image_scan_ns >= m_image_scan_period_ns) {
        scan_images(now_ns);
    }
}

void IpcSubscription::rejoin() {
    // SYNC POINT(ipc_tail_claim): acquire, as at join.
    const std::int64_t tail = load_acquire(m_log.tail());
    if (tail == m_position) {
        return;
    }
    m_rejoins.add(1);
    m_skipped_bytes.add(static_cast<std::uint64_t>(tail > m_position ? tail - m_position : 0));
    auto* slot_rejoins = field<std::uint64_t>(m_slot, SUB_REJOINS_OFFSET);
    store_relaxed(slot_rejoins, load_relaxed(slot_rejoins) + 1); // relaxed: diagnostics only
    publish_position(tail);
    m_join_position = tail;
    m_stuck_position = -1;
    // Every image restarts at the new position: withdraw and announce again, so the application
    // sees the discontinuity.
    for (Image& image : m_images) {
        if (image.active) {
            announce(image, false);
            image.join_position = tail;
            announce(image, true);
        }
    }
}

void IpcSubscription::check_stuck(std::int64_t now_ns) {
    if (m_position != m_stuck_position) {
        m_stuck_position = m_position;
        m_stuck_since_ns = 0;
        return;
    }
    std::uint8_t* frame = m_ring + (m_position & m_mask);
    // SYNC POINT(ipc_frame_commit): acquire, as in poll().
    const std::uint64_t state =
        stamp_state(load_acquire(field<std::uint64_t>(frame, FRAME_STAMP_OFFSET)), m_position, m_key);
    bool stuck = state == FRAME_PENDING;
    if (state == 0) {
        // SYNC POINT(ipc_tail_claim): acquire; a tail past us means a claim exists here.
        stuck = load_acquire(m_log.tail()) > m_position;
    }
    if (!stuck) {
        m_stuck_since_ns = 0;
        return;
    }
    if (m_stuck_since_ns == 0) {
        m_stuck_since_ns = now_ns;
        return;
    }
    if (now_ns - m_stuck_since_ns < m_unblock_timeout_ns) {
        return;
    }
    const RingView view{m_ring, m_capacity, m_key};
    // SYNC POINT(ipc_tail_claim): acquire; the unblocker never goes past this tail.
    if (unblock(view, m_position, load_acquire(m_log.tail()))) {
        m_unblocked.add(1);
    }
    m_stuck_since_ns = 0;
}

void IpcSubscription::announce(const Image& image, bool available) {
    const ImageHandler& handler = available ? m_on_available : m_on_unavailable;
    // Relaxed: a count for display; the images themselves belong to the polling thread.
    m_image_count.store(m_image_count.load(std::memory_order_relaxed) + (available ? 1 : -1),
                        std::memory_order_relaxed);
    if (handler) {
        const ImageInfo info{image.session_id, stream_id(), image.join_position,
                             static_cast<std::uint64_t>(precise_now_ns()), "ipc"};
        handler(info);
    }
}

void IpcSubscription::scan_images(std::int64_t now_ns) {
    // SYNC POINT(ipc_pub_changes): acquire pairs with publishers' release increment on add/close.
    m_seen_pub_changes = load_acquire(m_log.pub_changes());
    m_last_image_scan_ns = now_ns;
    m_pending_close = false;
    for (std::uint32_t i = 0; i < PUB_SLOT_COUNT; ++i) {
        std::uint8_t* slot = m_log.pub_slot(i);
        // SYNC POINT(ipc_pub_join): acquire pairs with the publisher's release of ACTIVE / CLOSED.
        const std::uint64_t owner = load_acquire(field<std::uint64_t>(slot, PUB_OWNER_OFFSET));
        const std::uint64_t state = slot_state(owner);
        const std::uint64_t generation = slot_generation(owner);
        // Relaxed: a liveness time only.
        const bool live =
            state == SLOT_ACTIVE &&
            is_fresh(load_relaxed(field<std::int64_t>(slot, PUB_HEARTBEAT_OFFSET)), now_ns, m_pub_timeout_ns);
        Image& image = m_images[i];
        if (image.active) {
            bool withdraw = image.generation != generation || (!live && state != SLOT_CLOSED);
            if (!withdraw && state == SLOT_CLOSED) {
                // A closed publisher's image stays until this subscription has read up to the
                // publisher's last message. Relaxed: published by the acquire of CLOSED above.
                const std::int64_t end = load_relaxed(field<std::int64_t>(slot, PUB_END_POSITION_OFFSET));
                withdraw = m_position >= end;
                m_pending_close = m_pending_close || !withdraw;
            }
            if (withdraw) {
                image.active = false;
                announce(image, false);
            }
        }
        if (!image.active && live) {
            image.active = true;
            image.generation = generation;
            // Relaxed: published by the acquire of ACTIVE above.
            image.session_id = load_relaxed(field<std::int32_t>(slot, PUB_SESSION_ID_OFFSET));
            image.join_position =
                std::max(load_relaxed(field<std::int64_t>(slot, PUB_JOIN_POSITION_OFFSET)), m_join_position);
            announce(image, true);
        }
    }
}

auto IpcSubscription::is_connected() const noexcept -> bool {
    return count_live_publishers(m_log, coarse_now_ns(), m_pub_timeout_ns) > 0;
}

auto IpcSubscription::counters() const noexcept -> SubscriptionCounters {
    SubscriptionCounters c;
    c.messages = m_messages.get();
    c.bytes = m_bytes.get();
    c.rejoins = m_rejoins.get();
    c.skipped_bytes = m_skipped_bytes.get();
    c.unblocked = m_unblocked.get();
    return c;
}

} // namespace tp::transport::ipc
