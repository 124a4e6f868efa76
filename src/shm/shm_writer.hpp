// SPDX-License-Identifier: Apache-2.0
#pragma once

// Producer write path (W §8.3, §9, §15.4, §15.5, §15.18; D-10, D-15, D-17).
//
//   auto writer = ShmWriter::attach(spec, policy);                 // cold, Expected
//   SlotClaim claim = writer->try_claim(seq, len);                 // hot, no allocation
//   if (!claim) { count(claim.status()); return; }                 // e.g. NoPoolFits: drop (W §9)
//   fill(claim.payload());
//   const std::int32_t dims[] = {480, 640, 3};
//   claim.set_dtype(Dtype::Uint8).set_shape(dims).set_timestamp_ns(capture_ns);
//   if (writer->commit(std::move(claim)) == CommitResult::Ok) { publish FrameDescriptor(seq); }
//
// try_claim stores the in-progress word (S << 1) relaxed and issues a release fence (D-10); the
// caller then writes the payload; commit writes the whole 256-byte slot (every field, zeroed
// padding, D-15) and release-stores (S << 1) | 1. A claim destroyed without commit leaves the slot
// in-progress (even), so readers drop it (W §8.3). One claim may be outstanding at a time.

#include "shm/read_result.hpp"
#include "shm/region_set.hpp"
#include "shm/slot_codec.hpp"
#include "shm/tensor_types.hpp"

#include <tensorpool/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tp::shm {

/// Outcome of ShmWriter::try_claim.
enum class ClaimResult : std::uint8_t {
    Ok,
    NoPoolFits,       ///< W §9: values_len larger than every stride; drop the frame, never block
    ClaimOutstanding, ///< the previous claim was neither committed nor destroyed
    SeqNotMonotonic,  ///< seq ≤ the last committed seq (D-25: producers never regress)
    SeqOutOfRange,    ///< seq ≥ 2^63 cannot be encoded in seq_commit
};

/// Outcome of ShmWriter::commit.
enum class CommitResult : std::uint8_t {
    Ok,
    NoClaim,             ///< the claim is empty (failed, moved-from, committed) or from another writer
    InvalidTensorHeader, ///< readers would drop it (SlotClaim::validate says why); slot left uncommitted
};

/// Short name of a claim result.
[[nodiscard]] auto to_string(ClaimResult r) noexcept -> std::string_view;
/// Short name of a commit result.
[[nodiscard]] auto to_string(CommitResult r) noexcept -> std::string_view;

class ShmWriter;

/// A claimed slot: the payload span in the selected pool and the tensor header to be written at
/// commit. Move-only; not thread-safe. Destroying it uncommitted abandons the slot. Must not
/// outlive its writer.
class SlotClaim {
public:
    SlotClaim() = default;
    SlotClaim(const SlotClaim&) = delete;
    auto operator=(const SlotClaim&) -> SlotClaim& = delete;
    SlotClaim(SlotClaim&& other) noexcept;
    auto operator=(SlotClaim&& other) noexcept -> SlotClaim&;
    ~SlotClaim() { abandon(); }

    /// True if the claim holds a slot.
    [[nodiscard]] auto is_valid() const noexcept -> bool { return m_writer != nullptr; }
    explicit operator bool() const noexcept { return is_valid(); }
    /// Why try_claim failed (Ok for a valid claim).
    [[nodiscard]] auto status() const noexcept -> ClaimResult { return m_status; }

    /// The frame's logical sequence.
    [[nodiscard]] auto seq() const noexcept -> std::uint64_t { return m_seq; }
    /// header_index = payload_slot = seq & (nslots − 1) (W §15.5).
    [[nodiscard]] auto header_index() const noexcept -> std::uint32_t { return m_index; }
    /// The selected pool (D-17).
    [[nodiscard]] auto pool_id() const noexcept -> std::uint16_t { return m_pool_id; }
    /// The payload: exactly the claimed length, inside the pool slot.
    [[nodiscard]] auto payload() const noexcept -> std::span<std::byte> { return {m_payload, m_values_len}; }
    /// The selected pool's stride (the most the slot could hold).
    [[nodiscard]] auto capacity() const noexcept -> std::uint32_t { return m_stride; }

    /// Element type. Default UINT8.
    auto set_dtype(Dtype dtype) noexcept -> SlotClaim&;
    /// Row- or column-major. Default row-major.
    auto set_major_order(MajorOrder order) noexcept -> SlotClaim&;
    /// ndims = dims.size() (1..8) and the dims; clears strides to 0 (contiguous, inferred) and
    /// zeroes unused entries (D-15). Default: 1-D, dims[0] = payload length when it fits in i32.
    auto set_shape(std::span<const std::int32_t> dims) noexcept -> SlotClaim&;
    /// Explicit byte strides (0 = inferred), one per dimension; call after set_shape.
    auto set_strides(std::span<const std::int32_t> strides) noexcept -> SlotClaim&;
    /// Progress unit and stride (D-14: 0 with NONE). Default NONE, 0.
    auto set_progress(ProgressUnit unit, std::uint32_t stride_bytes) noexcept -> SlotClaim&;
    /// Capture time for SlotHeader.timestamp_ns; if never set, commit uses CLOCK_MONOTONIC (D-15).
    auto set_timestamp_ns(std::uint64_t timestamp_ns) noexcept -> SlotClaim&;
    /// meta_version of this frame; defaults to the writer's current one (D-15).
    auto set_meta_version(std::uint32_t meta_version) noexcept -> SlotClaim&;

    /// The tensor header as it will be written.
    [[nodiscard]] auto tensor_header() const noexcept -> const TensorHeaderFields& { return m_tensor; }
    /// The drop reason a reader would report for this header (Ok if acceptable). commit() refuses
    /// anything but Ok.
    [[nodiscard]] auto validate() const noexcept -> ReadResult;

    /// Gives the slot up uncommitted (also done by the destructor).
    void abandon() noexcept;

private:
    friend class ShmWriter;

    ShmWriter* m_writer{nullptr};
    std::byte* m_slot{nullptr};
    std::byte* m_payload{nullptr};
    std::uint64_t m_seq{0};
    std::uint64_t m_timestamp_ns{0};
    std::uint32_t m_index{0};
    std::uint32_t m_values_len{0};
    std::uint32_t m_stride{0};
    std::uint32_t m_meta_version{0};
    std::uint16_t m_pool_id{0};
    bool m_has_timestamp{false};
    ClaimResult m_status{ClaimResult::Ok};
    TensorHeaderFields m_tensor{};
};

/// The producer's read-write mapping of one epoch's regions, and the slot seqlock writer. Single
/// writer (W §15.14): one thread uses it at a time. Move-only; must not be moved or destroyed while
/// a claim is outstanding.
class ShmWriter {
public:
    /// Opens the regions read-write through `policy` (O_RDWR|O_NOFOLLOW, D-21 checks) and validates
    /// the superblocks against `spec` (D-08).
    [[nodiscard]] static auto attach(const RegionSetSpec& spec, const PathPolicy& policy) -> Expected<ShmWriter>;

    ShmWriter(const ShmWriter&) = delete;
    auto operator=(const ShmWriter&) -> ShmWriter& = delete;
    ShmWriter(ShmWriter&& other) noexcept;
    auto operator=(ShmWriter&& other) noexcept -> ShmWriter&;
    ~ShmWriter();

    /// Claims slot seq & (nslots − 1) in the pool chosen by D-17 for `payload_len` bytes and marks
    /// it in-progress. A failed claim is returned with is_valid() false and status() saying why.
    [[nodiscard]] auto try_claim(std::uint64_t seq, std::uint32_t payload_len) noexcept -> SlotClaim;

    /// Writes the full slot and publishes it (committed word). On InvalidTensorHeader the slot stays
    /// in-progress and the claim is released.
    [[nodiscard]] auto commit(SlotClaim&& claim) noexcept -> CommitResult;

    /// D-17: the smallest stride ≥ len (ties: first announced); zero-length frames use the smallest
    /// pool. nullptr if none fits.
    [[nodiscard]] auto select_pool(std::uint32_t payload_len) const noexcept -> const PoolView*;

    /// D-24: refreshes activity_timestamp_ns in every region (call once per announce period).
    void refresh_activity(std::uint64_t now_ns) noexcept;

    /// D-15: the current metadata version used by later claims (0 before any metadata).
    void set_meta_version(std::uint32_t meta_version) noexcept { m_meta_version = meta_version; }

    /// The highest committed seq, if any frame was committed.
    [[nodiscard]] auto has_committed() const noexcept -> bool { return m_has_committed; }
    [[nodiscard]] auto last_committed_seq() const noexcept -> std::uint64_t { return m_last_committed; }

    /// The mapped epoch.
    [[nodiscard]] auto epoch() const noexcept -> std::uint64_t { return m_set.view.epoch; }
    /// The layout.
    [[nodiscard]] auto spec() const noexcept -> const RegionSetSpec& { return m_set.spec; }
    /// The allocation-free view (also usable with read_frame() in the same process).
    [[nodiscard]] auto view() const noexcept -> const RegionSetView& { return m_set.view; }

private:
    friend class SlotClaim;
    explicit ShmWriter(OpenedRegionSet set) noexcept;

    OpenedRegionSet m_set;
    std::array<std::uint8_t, MAX_POOLS> m_pool_order{}; ///< pool indices by (stride, announce order)
    std::uint64_t m_last_committed{0};
    std::uint32_t m_meta_version{0};
    bool m_has_committed{false};
    bool m_claim_outstanding{false};
};

} // namespace tp::shm
