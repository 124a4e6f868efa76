// SPDX-License-Identifier: Apache-2.0
#include "shm/shm_reader.hpp"

#include "concurrent/atomic_ops.hpp"
#include "shm/shared_copy.hpp"
#include "shm/superblock.hpp"

#include <utility>

namespace tp::shm {

namespace {

using S = SlotDescriptor;
constexpr std::size_t SNAPSHOT_WORDS = S::READ_SNAPSHOT_BYTES / 8;

// D-12 checks on a private snapshot of the slot, in D-12's order; fills `out` on success.
auto validate_snapshot(const std::byte* img, const RegionSetView& view, std::uint32_t index, FrameView& out) noexcept
    -> ReadResult {
    const SlotHeaderFields h = decode_slot_header(img);
    // W §8.3 step 5 / D-12: headerBytes must hold exactly the 192-byte embedded TensorHeader.
    if (h.header_bytes_length != S::EMBEDDED_HEADER_LENGTH) {
        return ReadResult::BadHeaderLength;
    }
    if (decode_embedded_header(img) != EmbeddedHeaderFields{}) {
        return ReadResult::BadEmbeddedHeader; // D-12: ≠ {184, 52, 900, 1}
    }
    const TensorHeaderFields t = decode_tensor_header(img + S::TENSOR_OFFSET);
    const ReadResult tr = validate_tensor_header(t, out.resolved_strides);
    if (tr != ReadResult::Ok) {
        return tr;
    }
    if (h.payload_offset != 0) {
        return ReadResult::PayloadOffsetNonZero; // W §8.2: v1.2 payload_offset MUST be 0
    }
    if (h.payload_slot != index) {
        return ReadResult::PayloadSlotMismatch; // W §15.5: payload_slot = header_index
    }
    const PoolView* pool = view.find_pool(h.pool_id);
    if (pool == nullptr) {
        return ReadResult::UnknownPool; // D-12: pool not announced
    }
    if (h.values_len_bytes > pool->stride_bytes) {
        return ReadResult::ValuesLenExceedsStride; // W §10.2.1
    }
    out.pool_id = h.pool_id;
    out.header_index = index;
    out.values_len_bytes = h.values_len_bytes;
    out.timestamp_ns = h.timestamp_ns;
    out.meta_version = h.meta_version;
    out.dtype = static_cast<Dtype>(t.dtype);
    out.major_order = static_cast<MajorOrder>(t.major_order);
    out.ndims = t.ndims;
    out.progress_unit = static_cast<ProgressUnit>(t.progress_unit);
    out.progress_stride_bytes = t.progress_stride_bytes;
    // D-12: entries at index ≥ ndims are ignored; expose them as 0.
    for (std::size_t i = 0; i < S::MAX_DIMS; ++i) {
        out.dims[i] = i < t.ndims ? t.dims[i] : 0;
        out.strides[i] = i < t.ndims ? t.strides[i] : 0;
    }
    out.payload = std::span<const std::byte>(pool->payload(index), h.values_len_bytes);
    return ReadResult::Ok;
}

} // namespace

auto FrameView::still_valid() const noexcept -> bool {
    if (m_seq_word == nullptr) {
        return false;
    }
    // SYNC POINT(slot-recheck): the acquire fence orders the caller's payload reads before the
    // reload; pairs with the writer's slot-claim release fence (a payload byte of a newer frame
    // seen by the caller implies the reload sees that frame's in-progress word).
    concurrent::fence_acquire();
    // relaxed: ordered after the payload reads by the fence above.
    return concurrent::load_relaxed(m_seq_word) == m_accepted_word;
}

auto read_frame(const RegionSetView& view, std::uint64_t epoch, std::uint64_t seq, FrameView& out) noexcept
    -> ReadResult {
    // W §10.2.1, D-25: descriptors for another epoch never touch the mapping.
    if (epoch != view.epoch) {
        return ReadResult::EpochMismatch;
    }
    const std::uint32_t index = view.header_index(seq);
    const std::byte* slot = view.slot(index);
    const auto* word = reinterpret_cast<const std::uint64_t*>(slot + S::SEQ_COMMIT_OFFSET);

    // SYNC POINT(slot-read-begin): acquire-load of seq_commit; pairs with the writer's
    // slot-commit release store, so a committed word makes that frame's header and payload visible.
    const std::uint64_t first = concurrent::load_acquire(word);
    if ((first & 1U) == 0) {
        return ReadResult::NotCommitted; // W §8.3 step 2
    }
    const std::uint64_t slot_seq = first >> 1;
    if (slot_seq != seq) {
        // W §10.2.1 stale-reuse guard / W §15.3 lower sequence.
        return slot_seq > seq ? ReadResult::Overwritten : ReadResult::StaleSlot;
    }

    std::uint64_t snapshot[SNAPSHOT_WORDS];
    load_words_relaxed(snapshot, slot, SNAPSHOT_WORDS);
    const ReadResult r = validate_snapshot(reinterpret_cast<const std::byte*>(snapshot), view, index, out);

    // SYNC POINT(slot-read-end): the acquire fence orders the snapshot loads before the reload;
    // pairs with the writer's slot-claim release fence.
    concurrent::fence_acquire();
    // relaxed: ordered after the snapshot by the fence above.
    const std::uint64_t second = concurrent::load_relaxed(word);
    if (second != first) {
        return ReadResult::Torn; // W §15.3: changed between the two loads → drops_late
    }
    if (r != ReadResult::Ok) {
        return r; // stable but invalid: the header itself is bad
    }
    if (snapshot[0] != second) {
        return ReadResult::Torn; // D-11: the header's own seqCommit must equal the reload
    }
    out.epoch = epoch;
    out.seq = seq;
    out.m_seq_word = word;
    out.m_accepted_word = second;
    return ReadResult::Ok;
}

auto copy_payload(const FrameView& frame, std::span<std::byte> dst) noexcept -> ReadResult {
    if (dst.size() < frame.payload.size()) {
        return ReadResult::BufferTooSmall;
    }
    copy_from_shared(dst.data(), frame.payload.data(), frame.payload.size());
    return frame.still_valid() ? ReadResult::Ok : ReadResult::Torn;
}

ShmReader::ShmReader(OpenedRegionSet set, std::uint64_t mapped_at_ns)
    : m_set(std::move(set)), m_last_commit(m_set.spec.header_nslots, 0), m_mapped_at_ns(mapped_at_ns) {}

auto ShmReader::map(const RegionSetSpec& spec, const PathPolicy& policy, std::uint64_t now_ns) -> Expected<ShmReader> {
    TP_TRY(set, open_region_set(spec, policy, Access::ReadOnly));
    return ShmReader(std::move(set), now_ns);
}

auto ShmReader::read(std::uint64_t epoch, std::uint64_t seq, FrameView& out) noexcept -> ReadResult {
    const ReadResult r = read_frame(m_set.view, epoch, seq, out);
    if (r != ReadResult::Ok) {
        return r;
    }
    std::uint64_t& last = m_last_commit[out.header_index];
    if (out.commit_word() < last) {
        return ReadResult::StaleSlot; // W §15.3: seq_commit decreased for the same slot
    }
    last = out.commit_word();
    return r;
}

auto ShmReader::read_copy(std::uint64_t epoch, std::uint64_t seq, FrameView& out, std::span<std::byte> dst) noexcept
    -> ReadResult {
    const ReadResult r = read(epoch, seq, out);
    if (r != ReadResult::Ok) {
        return r;
    }
    return copy_payload(out, dst);
}

auto ShmReader::is_stale(std::uint64_t now_ns, std::uint64_t announce_period_ns) const noexcept -> bool {
    // D-24: no verdict until 3 periods after mapping.
    if (now_ns < m_mapped_at_ns || now_ns - m_mapped_at_ns <= 3 * announce_period_ns) {
        return false;
    }
    if (is_activity_stale(load_activity_timestamp(m_set.header.data()), now_ns, announce_period_ns)) {
        return true;
    }
    for (const MappedRegion& pool : m_set.pools) {
        if (is_activity_stale(load_activity_timestamp(pool.data()), now_ns, announce_period_ns)) {
            return true;
        }
    }
    return false;
}

} // namespace tp::shm
