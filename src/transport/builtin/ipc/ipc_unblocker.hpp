// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace tp::transport::ipc {

/// The ring of a log as the unblocker needs it.
struct RingView {
    std::uint8_t* ring{nullptr};
    std::int64_t capacity{0};
    std::uint64_t key{0};
};

/// Makes a frame stuck at `position` skippable so readers move on past a publisher that died
/// (or stalled beyond the unblock timeout) between claiming and committing. `tail` is the tail
/// read after the frame was found stuck.
///
/// - PENDING with a sane length: compare-and-swap the stamp to PAD; readers skip the claim.
/// - Not stamped at all (the publisher died between its tail CAS and its PENDING store), or a
///   PENDING frame with a corrupt length: stamp 32-byte SKIP units, each by compare-and-swap from
///   the value found, up to the next stamped frame or the tail. Every unit's stamp is a function of
///   its position, so concurrent unblockers write identical values.
///
/// Does nothing when `position` is more than a ring length behind `tail` (already overwritten).
/// Returns true when this call changed something. Safe to run concurrently from any number of
/// processes; a frame committed meanwhile is left alone.
auto unblock(const RingView& view, std::int64_t position, std::int64_t tail) noexcept -> bool;

} // namespace tp::transport::ipc
