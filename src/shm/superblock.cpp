// SPDX-License-Identifier: Apache-2.0
#include "shm/superblock.hpp"

#include "common/assert.hpp"
#include "common/bits.hpp"
#include "concurrent/atomic_ops.hpp"
#include "shm/slot_descriptor.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace tp::shm {

namespace {

using common::load_unaligned;
using common::store_unaligned;
using D = SuperblockDescriptor;

auto activity_word(const std::byte* superblock) noexcept -> std::uint64_t* {
    TP_ASSERT(reinterpret_cast<std::uintptr_t>(superblock) % 8 == 0, "superblock must be 8-byte aligned");
    return reinterpret_cast<std::uint64_t*>(const_cast<std::byte*>(superblock) + D::ACTIVITY_TIMESTAMP_OFFSET);
}

auto mismatch(const char* field, std::uint64_t actual, std::uint64_t expected) -> Unexpected {
    return make_error(ErrorCode::Rejected, std::string("superblock ") + field + " is " + std::to_string(actual) +
                                               ", expected " + std::to_string(expected));
}

} // namespace

auto expected_region_size(RegionType type, std::uint32_t nslots, std::uint32_t stride_bytes) noexcept -> std::uint64_t {
    const std::uint64_t per_slot = type == RegionType::HeaderRing ? SlotDescriptor::SLOT_BYTES : stride_bytes;
    // nslots and per_slot are both < 2^32, so the product fits in 64 bits.
    return D::SIZE + static_cast<std::uint64_t>(nslots) * per_slot;
}

void write_superblock(std::byte* dst, const SuperblockFields& f) noexcept {
    store_unaligned(dst + D::MAGIC_OFFSET, f.magic);
    store_unaligned(dst + D::LAYOUT_VERSION_OFFSET, f.layout_version);
    store_unaligned(dst + D::EPOCH_OFFSET, f.epoch);
    store_unaligned(dst + D::STREAM_ID_OFFSET, f.stream_id);
    store_unaligned(dst + D::REGION_TYPE_OFFSET, f.region_type);
    store_unaligned(dst + D::POOL_ID_OFFSET, f.pool_id);
    store_unaligned(dst + D::NSLOTS_OFFSET, f.nslots);
    store_unaligned(dst + D::SLOT_BYTES_OFFSET, f.slot_bytes);
    store_unaligned(dst + D::STRIDE_BYTES_OFFSET, f.stride_bytes);
    store_unaligned(dst + D::PID_OFFSET, f.pid);
    store_unaligned(dst + D::START_TIMESTAMP_OFFSET, f.start_timestamp_ns);
    store_activity_timestamp(dst, f.activity_timestamp_ns);
}

auto read_superblock(const std::byte* src) noexcept -> SuperblockFields {
    SuperblockFields f;
    f.magic = load_unaligned<std::uint64_t>(src + D::MAGIC_OFFSET);
    f.layout_version = load_unaligned<std::uint32_t>(src + D::LAYOUT_VERSION_OFFSET);
    f.epoch = load_unaligned<std::uint64_t>(src + D::EPOCH_OFFSET);
    f.stream_id = load_unaligned<std::uint32_t>(src + D::STREAM_ID_OFFSET);
    f.region_type = load_unaligned<std::int16_t>(src + D::REGION_TYPE_OFFSET);
    f.pool_id = load_unaligned<std::uint16_t>(src + D::POOL_ID_OFFSET);
    f.nslots = load_unaligned<std::uint32_t>(src + D::NSLOTS_OFFSET);
    f.slot_bytes = load_unaligned<std::uint32_t>(src + D::SLOT_BYTES_OFFSET);
    f.stride_bytes = load_unaligned<std::uint32_t>(src + D::STRIDE_BYTES_OFFSET);
    f.pid = load_unaligned<std::uint64_t>(src + D::PID_OFFSET);
    f.start_timestamp_ns = load_unaligned<std::uint64_t>(src + D::START_TIMESTAMP_OFFSET);
    f.activity_timestamp_ns = load_activity_timestamp(src);
    return f;
}

auto validate_superblock(const SuperblockFields& a, const ExpectedSuperblock& e, std::uint64_t file_size)
    -> Expected<void> {
    if (a.magic != D::MAGIC) {
        // D-07: compare the u64; anything else is not a TensorPool region.
        return make_error(
            ErrorCode::Rejected, "superblock magic is 0x" + [&] {
                char buf[17];
                std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(a.magic));
                return std::string(buf);
            }() + ", expected 0x544f504c53484d31 (not a TensorPool SHM region)");
    }
    if (a.layout_version != e.layout_version) {
        return mismatch("layout_version", a.layout_version, e.layout_version);
    }
    if (a.region_type != static_cast<std::int16_t>(e.region_type)) {
        return make_error(ErrorCode::Rejected, "superblock region_type is " + region_type_name(a.region_type) +
                                                   ", expected " +
                                                   region_type_name(static_cast<std::int16_t>(e.region_type)));
    }
    if (a.epoch != e.epoch) {
        return mismatch("epoch", a.epoch, e.epoch);
    }
    if (a.stream_id != e.stream_id) {
        return mismatch("stream_id", a.stream_id, e.stream_id);
    }
    // W §7.1: the header ring's pool_id MUST be 0; a pool's MUST match the announce.
    const std::uint16_t want_pool = e.region_type == RegionType::HeaderRing ? 0 : e.pool_id;
    if (a.pool_id != want_pool) {
        return mismatch("pool_id", a.pool_id, want_pool);
    }
    // D-18: nslots is a power of two.
    if (!common::is_power_of_two(a.nslots)) {
        return make_error(ErrorCode::Rejected,
                          "superblock nslots " + std::to_string(a.nslots) + " is not a power of two (D-18)");
    }
    if (a.nslots != e.nslots) {
        return mismatch("nslots", a.nslots, e.nslots);
    }
    if (e.region_type == RegionType::HeaderRing) {
        // D-08: header slot_bytes 256; the header's stride_bytes is ignored.
        if (a.slot_bytes != SlotDescriptor::SLOT_BYTES) {
            return mismatch("slot_bytes", a.slot_bytes, SlotDescriptor::SLOT_BYTES);
        }
    } else {
        if (a.stride_bytes != e.stride_bytes) {
            return mismatch("stride_bytes", a.stride_bytes, e.stride_bytes);
        }
        // D-08: pool slot_bytes = stride, or 0xFFFFFFFF as the C driver writes.
        if (a.slot_bytes != e.stride_bytes && a.slot_bytes != D::NULL_SLOT_BYTES) {
            return make_error(ErrorCode::Rejected, "superblock slot_bytes is " + std::to_string(a.slot_bytes) +
                                                       ", expected the stride " + std::to_string(e.stride_bytes) +
                                                       " or 4294967295 (D-08)");
        }
    }
    const std::uint64_t need = expected_region_size(e.region_type, e.nslots, e.stride_bytes);
    if (file_size < need) {
        return make_error(ErrorCode::Rejected, "region file is " + std::to_string(file_size) +
                                                   " bytes, smaller than the " + std::to_string(need) +
                                                   " its layout needs (D-64)");
    }
    return {};
}

void store_activity_timestamp(std::byte* superblock, std::uint64_t now_ns) noexcept {
    // relaxed: a liveness hint (D-24); it publishes no other data, and readers only compare it
    // against their clock.
    concurrent::store_relaxed(activity_word(superblock), now_ns);
}

auto load_activity_timestamp(const std::byte* superblock) noexcept -> std::uint64_t {
    // relaxed: see store_activity_timestamp; no data is acquired through it.
    return concurrent::load_relaxed(activity_word(superblock));
}

auto region_type_name(std::int16_t raw) -> std::string {
    switch (raw) {
    case 1:
        return "HEADER_RING";
    case 2:
        return "PAYLOAD_POOL";
    default:
        return "INVALID(" + std::to_string(raw) + ")";
    }
}

} // namespace tp::shm
