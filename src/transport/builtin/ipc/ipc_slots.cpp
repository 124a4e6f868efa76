// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_slots.hpp"

#include "concurrent/atomic_ops.hpp"

#include <algorithm>
#include <bit>

namespace tp::transport::ipc {

using concurrent::load_acquire;
using concurrent::load_relaxed;

auto scan_subscribers(const IpcLog& log, std::int64_t now_ns, std::int64_t timeout_ns) noexcept -> SubscriberScan {
    SubscriberScan scan;
    for (std::uint32_t word = 0; word < 2; ++word) {
        // SYNC POINT(ipc_sub_join): acquire pairs with the fetch_or a joining subscriber makes
        // after releasing its ACTIVE owner word, so the slot's fields are visible.
        std::uint64_t bits = load_acquire(log.active_subs(word));
        while (bits != 0) {
            const auto bit = static_cast<std::uint32_t>(std::countr_zero(bits));
            bits &= bits - 1;
            std::uint8_t* slot = log.sub_slot(word * 64U + bit);
            // SYNC POINT(ipc_sub_join): acquire pairs with the subscriber's release of ACTIVE.
            const std::uint64_t owner = load_acquire(field<std::uint64_t>(slot, SUB_OWNER_OFFSET));
            if (slot_state(owner) != SLOT_ACTIVE) {
                continue;
            }
            // Relaxed: the heartbeat is a time, compared against a timeout; nothing is read
            // through it.
            const std::int64_t heartbeat = load_relaxed(field<std::int64_t>(slot, SUB_HEARTBEAT_OFFSET));
            if (!is_fresh(heartbeat, now_ns, timeout_ns)) {
                continue;
            }
            // SYNC POINT(ipc_sub_position): acquire pairs with the subscriber's release store of
            // its position after it finished reading the frames below it; the publisher writes
            // over those frames only after this load.
            const std::int64_t position = load_acquire(field<std::int64_t>(slot, SUB_POSITION_OFFSET));
            scan.min_position = scan.live == 0 ? position : std::min(scan.min_position, position);
            ++scan.live;
        }
    }
    return scan;
}

auto count_live_publishers(const IpcLog& log, std::int64_t now_ns, std::int64_t timeout_ns) noexcept -> int {
    int live = 0;
    for (std::uint32_t i = 0; i < PUB_SLOT_COUNT; ++i) {
        std::uint8_t* slot = log.pub_slot(i);
        // SYNC POINT(ipc_pub_join): acquire pairs with the publisher's release of ACTIVE.
        const std::uint64_t owner = load_acquire(field<std::uint64_t>(slot, PUB_OWNER_OFFSET));
        if (slot_state(owner) != SLOT_ACTIVE) {
            continue;
        }
        // Relaxed: a liveness time only.
        if (is_fresh(load_relaxed(field<std::int64_t>(slot, PUB_HEARTBEAT_OFFSET)), now_ns, timeout_ns)) {
            ++live;
        }
    }
    return live;
}

} // namespace tp::transport::ipc
