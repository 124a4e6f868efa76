// SPDX-License-Identifier: Apache-2.0
#pragma once

// Consumer read path (W §8.3, §10.2.1, §15.3, §15.18, §15.21; D-11 .. D-14).
//
//   auto reader = ShmReader::map(spec, policy, clock.monotonic_ns());   // cold, Expected
//   FrameView frame;
//   if (reader->read(desc_epoch, desc_seq, frame) == ReadResult::Ok) {  // hot, no allocation
//       use(frame.payload, frame.dims, ...);                           // zero-copy
//       if (!frame.still_valid()) { discard what was computed; }       // D-11
//   }
//
// read() follows D-11: acquire-load seq_commit, drop if even or not `seq`; snapshot and validate
// the header (D-12..D-14); acquire fence; reload; accept only if the reload equals the first load
// and the header's own seq_commit. The payload is not copied: FrameView::still_valid() repeats
// the fence + reload after the caller has used it, and copy_payload() copies then re-checks.

#include "shm/read_result.hpp"
#include "shm/region_set.hpp"
#include "shm/slot_codec.hpp"
#include "shm/tensor_types.hpp"

#include <tensorpool/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tp::shm {

/// A validated frame in a mapped slot (zero-copy). The scalar fields are copies taken inside the
/// seqlock read section; `payload` points into the mapped pool and is only trustworthy while
/// still_valid() holds. Plain data; cheap to copy.
struct FrameView {
    std::uint64_t epoch{0};
    std::uint64_t seq{0};
    std::uint16_t pool_id{0};
    std::uint32_t header_index{0}; ///< = payload_slot (W §15.5)
    std::uint32_t values_len_bytes{0};
    std::uint64_t timestamp_ns{0}; ///< SlotHeader.timestamp_ns (capture time, D-15)
    std::uint32_t meta_version{0};
    Dtype dtype{Dtype::Unknown};
    MajorOrder major_order{MajorOrder::Unknown};
    std::uint8_t ndims{0};
    ProgressUnit progress_unit{ProgressUnit::None};
    std::uint32_t progress_stride_bytes{0};
    std::array<std::int32_t, SlotDescriptor::MAX_DIMS> dims{};    ///< entries ≥ ndims are 0
    std::array<std::int32_t, SlotDescriptor::MAX_DIMS> strides{}; ///< as written (0 = inferred)
    ResolvedStrides resolved_strides{};                           ///< D-13 byte strides, 0 inferred
    std::span<const std::byte> payload;                           ///< exactly values_len_bytes (D-12)

    /// D-11: acquire fence, then reload seq_commit; true if it still equals the accepted word.
    /// Call after using the payload; if false, discard whatever was derived from it.
    [[nodiscard]] auto still_valid() const noexcept -> bool;

    /// The accepted seq_commit word ((seq << 1) | 1).
    [[nodiscard]] auto commit_word() const noexcept -> std::uint64_t { return m_accepted_word; }
    /// The slot's seq_commit word in the mapping (for re-checks by wrappers of this view).
    [[nodiscard]] auto commit_word_ptr() const noexcept -> const std::uint64_t* { return m_seq_word; }

private:
    friend auto read_frame(const RegionSetView&, std::uint64_t, std::uint64_t, FrameView&) noexcept -> ReadResult;
    const std::uint64_t* m_seq_word{nullptr};
    std::uint64_t m_accepted_word{0};
};

/// Reads frame `seq` of `epoch` from a mapped region set (see the file comment). On Ok, `out`
/// describes the frame; on any drop, `out` is unspecified. No allocation, no blocking (W §15.21).
/// Thread-safe: any number of readers may call it concurrently with the single writer.
[[nodiscard]] auto read_frame(const RegionSetView& view, std::uint64_t epoch, std::uint64_t seq,
                              FrameView& out) noexcept -> ReadResult;

/// Copies the frame's payload into `dst`, then re-checks seq_commit (D-11 step 3-4). Returns Ok,
/// Torn if the slot changed during the copy (discard `dst`), or BufferTooSmall.
[[nodiscard]] auto copy_payload(const FrameView& frame, std::span<std::byte> dst) noexcept -> ReadResult;

/// A consumer's read-only mapping of one epoch's regions. Move-only. read() is const and
/// thread-safe except for the per-slot regression guard (W §15.3), which assumes one reading
/// thread per ShmReader; use read_frame() on view() from other threads.
class ShmReader {
public:
    /// Opens the regions read-only through `policy` (D-21) and validates them (D-08). `now_ns`
    /// (monotonic) starts the staleness grace period (D-24).
    [[nodiscard]] static auto map(const RegionSetSpec& spec, const PathPolicy& policy, std::uint64_t now_ns)
        -> Expected<ShmReader>;

    /// read_frame() plus W §15.3: a slot whose commit word is lower than one accepted earlier
    /// from the same slot is StaleSlot.
    [[nodiscard]] auto read(std::uint64_t epoch, std::uint64_t seq, FrameView& out) noexcept -> ReadResult;

    /// Reads and copies the payload into `dst` (read, copy, re-check).
    [[nodiscard]] auto read_copy(std::uint64_t epoch, std::uint64_t seq, FrameView& out,
                                 std::span<std::byte> dst) noexcept -> ReadResult;

    /// D-24: re-reads the superblocks (call on each announce for the mapped epoch).
    [[nodiscard]] auto check_superblocks() const -> SuperblockCheck { return m_set.check_superblocks(); }

    /// D-24: stale when the header ring's activity timestamp is older than 3 announce periods,
    /// checked only from 3 periods after mapping.
    [[nodiscard]] auto is_stale(std::uint64_t now_ns, std::uint64_t announce_period_ns) const noexcept -> bool;

    /// The mapped epoch.
    [[nodiscard]] auto epoch() const noexcept -> std::uint64_t { return m_set.view.epoch; }
    /// The mapped layout.
    [[nodiscard]] auto spec() const noexcept -> const RegionSetSpec& { return m_set.spec; }
    /// The allocation-free view the hot path uses.
    [[nodiscard]] auto view() const noexcept -> const RegionSetView& { return m_set.view; }

private:
    explicit ShmReader(OpenedRegionSet set, std::uint64_t mapped_at_ns);

    OpenedRegionSet m_set;
    std::vector<std::uint64_t> m_last_commit; ///< per slot: highest commit word accepted
    std::uint64_t m_mapped_at_ns{0};
};

} // namespace tp::shm
