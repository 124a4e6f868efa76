// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_unblocker.hpp"

#include "transport/builtin/ipc/ipc_log.hpp"

#include "concurrent/atomic_ops.hpp"

namespace tp::transport::ipc {

using concurrent::compare_exchange_acq_rel;
using concurrent::load_acquire;

auto unblock(const RingView& view, std::int64_t position, std::int64_t tail) noexcept -> bool {
    if (tail - position > view.capacity) {
        return false; // `position` was overwritten by a later lap: nothing here is ours to touch
    }
    const std::int64_t mask = view.capacity - 1;
    std::uint8_t* frame = view.ring + (position & mask);
    auto* stamp = field<std::uint64_t>(frame, FRAME_STAMP_OFFSET);
    // SYNC POINT(ipc_frame_pending): acquire pairs with the publisher's release of PENDING, so the
    // length read below is the publisher's.
    std::uint64_t current = load_acquire(stamp);
    const std::uint64_t state = stamp_state(current, position, view.key);
    if (state == FRAME_DATA || state == FRAME_PAD || state == FRAME_SKIP) {
        return false; // committed or unblocked meanwhile
    }
    if (state == FRAME_PENDING) {
        const std::uint32_t length = *field<std::uint32_t>(frame, FRAME_LENGTH_OFFSET);
        const std::int64_t to_end = view.capacity - (position & mask);
        if (length >= FRAME_HEADER_LENGTH && static_cast<std::int64_t>(align_frame(length)) <= to_end) {
            // SYNC POINT(ipc_frame_commit): CAS to PAD releases to readers; fails harmlessly if the
            // publisher committed first.
            return compare_exchange_acq_rel(stamp, current, make_stamp(position, view.key, FRAME_PAD));
        }
    }
    bool changed = false;
    for (std::int64_t p = position; p < tail; p += static_cast<std::int64_t>(FRAME_ALIGNMENT)) {
        auto* unit = field<std::uint64_t>(view.ring + (p & mask), FRAME_STAMP_OFFSET);
        // SYNC POINT(ipc_frame_pending): acquire, as above; a stamp for p marks the next frame.
        current = load_acquire(unit);
        for (int attempt = 0; attempt < 4; ++attempt) {
            const std::uint64_t unit_state = stamp_state(current, p, view.key);
            if (unit_state == FRAME_SKIP) {
                break; // another unblocker did this unit
            }
            if (unit_state != 0 && !(p == position && unit_state == FRAME_PENDING)) {
                return changed; // the next frame starts here, or the stuck one was committed
            }
            // SYNC POINT(ipc_frame_commit): CAS to SKIP releases to readers; on failure `current`
            // holds the new value and is classified again.
            if (compare_exchange_acq_rel(unit, current, make_stamp(p, view.key, FRAME_SKIP))) {
                changed = true;
                break;
            }
        }
    }
    return changed;
}

} // namespace tp::transport::ipc
