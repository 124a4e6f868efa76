// SPDX-License-Identifier: Apache-2.0
#include "shm/slot_codec.hpp"

#include "common/bits.hpp"
#include "shm/tensor_types.hpp"

#include <cstring>

namespace tp::shm {

namespace {

using common::load_unaligned;
using common::store_unaligned;
using S = SlotDescriptor;
constexpr std::size_t T0 = S::TENSOR_OFFSET; // block-relative = slot-relative − T0

// D-13 stride resolution for one axis order. `order` lists dimension indices from innermost to
// outermost. Returns false when a stride is below what the inner dimensions need (overlap or an
// order contradiction) or the arithmetic overflows.
auto resolve_axis_order(const TensorHeaderFields& t, const std::size_t* order, std::size_t n, std::int64_t elem,
                        ResolvedStrides& out) noexcept -> bool {
    const std::size_t inner = order[0];
    if (t.strides[inner] == 0) {
        out[inner] = elem;
    } else if (t.strides[inner] < elem) {
        return false; // D-13: explicit innermost stride smaller than the element
    } else {
        out[inner] = t.strides[inner];
    }
    for (std::size_t k = 1; k < n; ++k) {
        const std::size_t prev = order[k - 1];
        const std::size_t cur = order[k];
        const std::int64_t extent = t.dims[prev] > 0 ? t.dims[prev] : 1;
        std::int64_t required = 0;
        if (__builtin_mul_overflow(out[prev], extent, &required)) {
            return false;
        }
        out[cur] = t.strides[cur] == 0 ? required : t.strides[cur];
        if (out[cur] < required) {
            return false; // W §8.2: overlapping or contradicting major_order
        }
    }
    return true;
}

} // namespace

auto decode_slot_header(const std::byte* slot) noexcept -> SlotHeaderFields {
    SlotHeaderFields f;
    f.seq_commit = load_unaligned<std::uint64_t>(slot + S::SEQ_COMMIT_OFFSET);
    f.values_len_bytes = load_unaligned<std::uint32_t>(slot + S::VALUES_LEN_OFFSET);
    f.payload_slot = load_unaligned<std::uint32_t>(slot + S::PAYLOAD_SLOT_OFFSET);
    f.pool_id = load_unaligned<std::uint16_t>(slot + S::POOL_ID_OFFSET);
    f.payload_offset = load_unaligned<std::uint32_t>(slot + S::PAYLOAD_OFFSET_OFFSET);
    f.timestamp_ns = load_unaligned<std::uint64_t>(slot + S::TIMESTAMP_OFFSET);
    f.meta_version = load_unaligned<std::uint32_t>(slot + S::META_VERSION_OFFSET);
    f.header_bytes_length = load_unaligned<std::uint32_t>(slot + S::HEADER_BYTES_LENGTH_OFFSET);
    return f;
}

auto decode_embedded_header(const std::byte* slot) noexcept -> EmbeddedHeaderFields {
    EmbeddedHeaderFields f;
    f.block_length = load_unaligned<std::uint16_t>(slot + S::EMBEDDED_BLOCK_LENGTH_OFFSET);
    f.template_id = load_unaligned<std::uint16_t>(slot + S::EMBEDDED_TEMPLATE_ID_OFFSET);
    f.schema_id = load_unaligned<std::uint16_t>(slot + S::EMBEDDED_SCHEMA_ID_OFFSET);
    f.version = load_unaligned<std::uint16_t>(slot + S::EMBEDDED_VERSION_OFFSET);
    return f;
}

auto decode_tensor_header(const std::byte* block) noexcept -> TensorHeaderFields {
    TensorHeaderFields t;
    t.dtype = load_unaligned<std::int16_t>(block + (S::DTYPE_OFFSET - T0));
    t.major_order = load_unaligned<std::int16_t>(block + (S::MAJOR_ORDER_OFFSET - T0));
    t.ndims = load_unaligned<std::uint8_t>(block + (S::NDIMS_OFFSET - T0));
    t.pad_align = load_unaligned<std::uint8_t>(block + (S::PAD_ALIGN_OFFSET - T0));
    t.progress_unit = load_unaligned<std::uint8_t>(block + (S::PROGRESS_UNIT_OFFSET - T0));
    t.progress_stride_bytes = load_unaligned<std::uint32_t>(block + (S::PROGRESS_STRIDE_OFFSET - T0));
    std::memcpy(t.dims.data(), block + (S::DIMS_OFFSET - T0), sizeof t.dims);
    std::memcpy(t.strides.data(), block + (S::STRIDES_OFFSET - T0), sizeof t.strides);
    return t;
}

void encode_slot_header(std::byte* slot, const SlotHeaderFields& f) noexcept {
    store_unaligned(slot + S::SEQ_COMMIT_OFFSET, f.seq_commit);
    store_unaligned(slot + S::VALUES_LEN_OFFSET, f.values_len_bytes);
    store_unaligned(slot + S::PAYLOAD_SLOT_OFFSET, f.payload_slot);
    store_unaligned(slot + S::POOL_ID_OFFSET, f.pool_id);
    store_unaligned(slot + S::PAYLOAD_OFFSET_OFFSET, f.payload_offset);
    store_unaligned(slot + S::TIMESTAMP_OFFSET, f.timestamp_ns);
    store_unaligned(slot + S::META_VERSION_OFFSET, f.meta_version);
    std::memset(slot + S::PAD_OFFSET, 0, S::PAD_LENGTH); // D-15
    store_unaligned(slot + S::HEADER_BYTES_LENGTH_OFFSET, f.header_bytes_length);
}

void encode_embedded_header(std::byte* slot, const EmbeddedHeaderFields& f) noexcept {
    store_unaligned(slot + S::EMBEDDED_BLOCK_LENGTH_OFFSET, f.block_length);
    store_unaligned(slot + S::EMBEDDED_TEMPLATE_ID_OFFSET, f.template_id);
    store_unaligned(slot + S::EMBEDDED_SCHEMA_ID_OFFSET, f.schema_id);
    store_unaligned(slot + S::EMBEDDED_VERSION_OFFSET, f.version);
}

void encode_tensor_header(std::byte* block, const TensorHeaderFields& t) noexcept {
    store_unaligned(block + (S::DTYPE_OFFSET - T0), t.dtype);
    store_unaligned(block + (S::MAJOR_ORDER_OFFSET - T0), t.major_order);
    store_unaligned(block + (S::NDIMS_OFFSET - T0), t.ndims);
    store_unaligned(block + (S::PAD_ALIGN_OFFSET - T0), t.pad_align);
    store_unaligned(block + (S::PROGRESS_UNIT_OFFSET - T0), t.progress_unit);
    store_unaligned(block + (S::PROGRESS_STRIDE_OFFSET - T0), t.progress_stride_bytes);
    std::memcpy(block + (S::DIMS_OFFSET - T0), t.dims.data(), sizeof t.dims);
    std::memcpy(block + (S::STRIDES_OFFSET - T0), t.strides.data(), sizeof t.strides);
    std::memset(block + (S::TENSOR_PAD_OFFSET - T0), 0, S::TENSOR_PAD_LENGTH); // D-15
}

auto validate_tensor_header(const TensorHeaderFields& t, ResolvedStrides& resolved) noexcept -> ReadResult {
    resolved.fill(0);
    // W §8.2: ndims ∈ 1..MAX_DIMS.
    if (t.ndims == 0 || t.ndims > S::MAX_DIMS) {
        return ReadResult::BadNdims;
    }
    // W §15.8: unknown enum values reject the frame.
    if (!is_known_dtype(t.dtype)) {
        return ReadResult::UnknownDtype;
    }
    if (!is_known_major_order(t.major_order)) {
        return ReadResult::UnknownMajorOrder;
    }
    if (!is_known_progress_unit(t.progress_unit)) {
        return ReadResult::UnknownProgressUnit;
    }
    const std::size_t n = t.ndims;
    for (std::size_t i = 0; i < n; ++i) {
        if (t.dims[i] < 0) {
            return ReadResult::NegativeDim; // D-13
        }
        if (t.strides[i] < 0) {
            return ReadResult::BadStrides; // W §8.2: negative strides are not supported in v1.2
        }
    }
    // Axis order from innermost to outermost: row-major n-1..0, column-major 0..n-1.
    std::size_t order[S::MAX_DIMS];
    const bool row_major = t.major_order == static_cast<std::int16_t>(MajorOrder::Row);
    for (std::size_t k = 0; k < n; ++k) {
        order[k] = row_major ? n - 1 - k : k;
    }
    if (!resolve_axis_order(t, order, n, element_size(t.dtype), resolved)) {
        resolved.fill(0);
        return ReadResult::BadStrides;
    }
    // D-14: NONE accepts any value (writers put 0); ROWS = strides[0]; COLUMNS = strides[1].
    const auto unit = static_cast<ProgressUnit>(t.progress_unit);
    if (unit != ProgressUnit::None) {
        const std::size_t axis = unit == ProgressUnit::Rows ? 0 : 1;
        if (axis >= n || t.progress_stride_bytes == 0 ||
            static_cast<std::int64_t>(t.progress_stride_bytes) != resolved[axis]) {
            return ReadResult::BadProgressStride;
        }
    }
    return ReadResult::Ok;
}

} // namespace tp::shm
