// SPDX-License-Identifier: Apache-2.0
#include "shm/shm_writer.hpp"

#include "common/assert.hpp"
#include "common/clock.hpp"
#include "concurrent/atomic_ops.hpp"
#include "shm/shared_copy.hpp"
#include "shm/superblock.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace tp::shm {

namespace {

using S = SlotDescriptor;
constexpr std::size_t SLOT_WORDS = S::SLOT_BYTES / 8;
constexpr std::uint64_t MAX_SEQ = (std::uint64_t{1} << 63) - 1;

auto seq_word(std::byte* slot) noexcept -> std::uint64_t* {
    return reinterpret_cast<std::uint64_t*>(slot + S::SEQ_COMMIT_OFFSET);
}

} // namespace

auto to_string(ClaimResult r) noexcept -> std::string_view {
    switch (r) {
    case ClaimResult::Ok:
        return "Ok";
    case ClaimResult::NoPoolFits:
        return "NoPoolFits";
    case ClaimResult::ClaimOutstanding:
        return "ClaimOutstanding";
    case ClaimResult::SeqNotMonotonic:
        return "SeqNotMonotonic";
    case ClaimResult::SeqOutOfRange:
        return "SeqOutOfRange";
    }
    return "Unknown";
}

auto to_string(CommitResult r) noexcept -> std::string_view {
    switch (r) {
    case CommitResult::Ok:
        return "Ok";
    case CommitResult::NoClaim:
        return "NoClaim";
    case CommitResult::InvalidTensorHeader:
        return "InvalidTensorHeader";
    }
    return "Unknown";
}

// ---- SlotClaim ----

SlotClaim::SlotClaim(SlotClaim&& other) noexcept
    : m_writer(std::exchange(other.m_writer, nullptr)), m_slot(other.m_slot), m_payload(other.m_payload),
      m_seq(other.m_seq), m_timestamp_ns(other.m_timestamp_ns), m_index(other.m_index),
      m_values_len(other.m_values_len), m_stride(other.m_stride), m_meta_version(other.m_meta_version),
      m_pool_id(other.m_pool_id), m_has_timestamp(other.m_has_timestamp), m_status(other.m_status),
      m_tensor(other.m_tensor) {}

auto SlotClaim::operator=(SlotClaim&& other) noexcept -> SlotClaim& {
    if (this != &other) {
        abandon();
        m_writer = std::exchange(other.m_writer, nullptr);
        m_slot = other.m_slot;
        m_payload = other.m_payload;
        m_seq = other.m_seq;
        m_timestamp_ns = other.m_timestamp_ns;
        m_index = other.m_index;
        m_values_len = other.m_values_len;
        m_stride = other.m_stride;
        m_meta_version = other.m_meta_version;
        m_pool_id = other.m_pool_id;
        m_has_timestamp = other.m_has_timestamp;
        m_status = other.m_status;
        m_tensor = other.m_tensor;
    }
    return *this;
}

void SlotClaim::abandon() noexcept {
    if (m_writer != nullptr) {
        // The slot keeps its in-progress (even) word: readers drop it (W §8.3, §15.21 S1).
        m_writer->m_claim_outstanding = false;
        m_writer = nullptr;
    }
}

auto SlotClaim::set_dtype(Dtype dtype) noexcept -> SlotClaim& {
    m_tensor.dtype = static_cast<std::int16_t>(dtype);
    return *this;
}

auto SlotClaim::set_major_order(MajorOrder order) noexcept -> SlotClaim& {
    m_tensor.major_order = static_cast<std::int16_t>(order);
    return *this;
}

auto SlotClaim::set_shape(std::span<const std::int32_t> dims) noexcept -> SlotClaim& {
    // More than 255 dims saturates; anything above 8 fails validation at commit (BadNdims).
    m_tensor.ndims = static_cast<std::uint8_t>(std::min<std::size_t>(dims.size(), 255));
    m_tensor.dims.fill(0);
    m_tensor.strides.fill(0);
    std::copy_n(dims.begin(), std::min(dims.size(), S::MAX_DIMS), m_tensor.dims.begin());
    return *this;
}

auto SlotClaim::set_strides(std::span<const std::int32_t> strides) noexcept -> SlotClaim& {
    m_tensor.strides.fill(0);
    const std::size_t n = std::min<std::size_t>({strides.size(), S::MAX_DIMS, m_tensor.ndims});
    std::copy_n(strides.begin(), n, m_tensor.strides.begin());
    return *this;
}

auto SlotClaim::set_progress(ProgressUnit unit, std::uint32_t stride_bytes) noexcept -> SlotClaim& {
    m_tensor.progress_unit = static_cast<std::uint8_t>(unit);
    m_tensor.progress_stride_bytes = stride_bytes;
    return *this;
}

auto SlotClaim::set_timestamp_ns(std::uint64_t timestamp_ns) noexcept -> SlotClaim& {
    m_timestamp_ns = timestamp_ns;
    m_has_timestamp = true;
    return *this;
}

auto SlotClaim::set_meta_version(std::uint32_t meta_version) noexcept -> SlotClaim& {
    m_meta_version = meta_version;
    return *this;
}

auto SlotClaim::validate() const noexcept -> ReadResult {
    ResolvedStrides resolved;
    return validate_tensor_header(m_tensor, resolved);
}

// ---- ShmWriter ----

ShmWriter::ShmWriter(OpenedRegionSet set) noexcept : m_set(std::move(set)) {
    const std::uint32_t n = m_set.view.pool_count;
    for (std::uint32_t i = 0; i < n; ++i) {
        m_pool_order[i] = static_cast<std::uint8_t>(i);
    }
    // D-17: ascending stride; stable, so equal strides keep announce order (first announced wins).
    std::stable_sort(m_pool_order.begin(), m_pool_order.begin() + n, [&](std::uint8_t a, std::uint8_t b) {
        return m_set.view.pools[a].stride_bytes < m_set.view.pools[b].stride_bytes;
    });
}

ShmWriter::ShmWriter(ShmWriter&& other) noexcept
    : m_set(std::move(other.m_set)), m_pool_order(other.m_pool_order), m_last_committed(other.m_last_committed),
      m_meta_version(other.m_meta_version), m_has_committed(other.m_has_committed),
      m_claim_outstanding(other.m_claim_outstanding) {
    TP_ASSERT(!m_claim_outstanding, "ShmWriter moved while a SlotClaim is outstanding");
}

auto ShmWriter::operator=(ShmWriter&& other) noexcept -> ShmWriter& {
    TP_ASSERT(!m_claim_outstanding && !other.m_claim_outstanding, "ShmWriter moved while a SlotClaim is outstanding");
    if (this != &other) {
        m_set = std::move(other.m_set);
        m_pool_order = other.m_pool_order;
        m_last_committed = other.m_last_committed;
        m_meta_version = other.m_meta_version;
        m_has_committed = other.m_has_committed;
    }
    return *this;
}

ShmWriter::~ShmWriter() {
    TP_ASSERT(!m_claim_outstanding, "ShmWriter destroyed while a SlotClaim is outstanding");
}

auto ShmWriter::attach(const RegionSetSpec& spec, const PathPolicy& policy) -> Expected<ShmWriter> {
    TP_TRY(set, open_region_set(spec, policy, Access::ReadWrite));
    return ShmWriter(std::move(set));
}

auto ShmWriter::select_pool(std::uint32_t payload_len) const noexcept -> const PoolView* {
    for (std::uint32_t k = 0; k < m_set.view.pool_count; ++k) {
        const PoolView& p = m_set.view.pools[m_pool_order[k]];
        if (p.stride_bytes >= payload_len) {
            return &p; // zero-length frames land in the smallest pool (first in this order)
        }
    }
    return nullptr; // W §9: no pool fits → the producer drops the frame
}

auto ShmWriter::try_claim(std::uint64_t seq, std::uint32_t payload_len) noexcept -> SlotClaim {
    SlotClaim claim;
    if (m_claim_outstanding) {
        claim.m_status = ClaimResult::ClaimOutstanding;
        return claim;
    }
    if (seq > MAX_SEQ) {
        claim.m_status = ClaimResult::SeqOutOfRange;
        return claim;
    }
    // D-25: never regress (a re-used seq would let a reader accept a mix of two frames, ABA).
    if (m_has_committed && seq <= m_last_committed) {
        claim.m_status = ClaimResult::SeqNotMonotonic;
        return claim;
    }
    const PoolView* pool = select_pool(payload_len);
    if (pool == nullptr) {
        claim.m_status = ClaimResult::NoPoolFits;
        return claim;
    }
    const std::uint32_t index = m_set.view.header_index(seq);
    std::byte* slot = m_set.view.slot(index);

    // SYNC POINT(slot-claim): in-progress word stored relaxed, then a release fence, so every
    // payload and header write below is ordered after it (D-10). Pairs with the reader's
    // slot-read-end / slot-recheck acquire fences.
    concurrent::store_relaxed(seq_word(slot), seq << 1); // relaxed: ordered by the fence below
    concurrent::fence_release();

    claim.m_writer = this;
    claim.m_slot = slot;
    claim.m_payload = pool->payload(index); // W §15.5: payload_slot = header_index
    claim.m_seq = seq;
    claim.m_index = index;
    claim.m_values_len = payload_len;
    claim.m_stride = pool->stride_bytes;
    claim.m_pool_id = pool->pool_id;
    claim.m_meta_version = m_meta_version;
    claim.m_tensor.dtype = static_cast<std::int16_t>(Dtype::Uint8);
    claim.m_tensor.major_order = static_cast<std::int16_t>(MajorOrder::Row);
    claim.m_tensor.ndims = 1;
    claim.m_tensor.dims[0] = payload_len <= static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())
                                 ? static_cast<std::int32_t>(payload_len)
                                 : 0;
    m_claim_outstanding = true;
    return claim;
}

auto ShmWriter::commit(SlotClaim&& claim) noexcept -> CommitResult {
    if (claim.m_writer != this) {
        return CommitResult::NoClaim;
    }
    if (claim.validate() != ReadResult::Ok) {
        claim.abandon();
        return CommitResult::InvalidTensorHeader;
    }
    // D-15: every field, every frame; padding and unused dims zeroed. Built privately, then
    // published word by word.
    alignas(8) std::uint64_t staging[SLOT_WORDS];
    auto* img = reinterpret_cast<std::byte*>(staging);
    const std::uint64_t committed = (claim.m_seq << 1) | 1U;
    SlotHeaderFields h;
    h.seq_commit = committed;
    h.values_len_bytes = claim.m_values_len;
    h.payload_slot = claim.m_index;
    h.pool_id = claim.m_pool_id;
    h.payload_offset = 0;
    h.timestamp_ns = claim.m_has_timestamp ? claim.m_timestamp_ns : common::monotonic_ns();
    h.meta_version = claim.m_meta_version;
    encode_slot_header(img, h);
    encode_embedded_header(img, EmbeddedHeaderFields{});
    encode_tensor_header(img + S::TENSOR_OFFSET, claim.m_tensor);

    std::byte* slot = claim.m_slot;
    store_words_relaxed(slot + 8, staging + 1, SLOT_WORDS - 1);
    // SYNC POINT(slot-commit): release-store of the committed word; pairs with the reader's
    // slot-read-begin acquire load. Orders the payload and all header words before it.
    concurrent::store_release(seq_word(slot), committed);

    m_last_committed = claim.m_seq;
    m_has_committed = true;
    m_claim_outstanding = false;
    claim.m_writer = nullptr;
    return CommitResult::Ok;
}

void ShmWriter::refresh_activity(std::uint64_t now_ns) noexcept {
    store_activity_timestamp(m_set.header.data(), now_ns);
    for (MappedRegion& pool : m_set.pools) {
        store_activity_timestamp(pool.data(), now_ns);
    }
}

} // namespace tp::shm
