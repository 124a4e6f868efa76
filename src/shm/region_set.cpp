// SPDX-License-Identifier: Apache-2.0
#include "shm/region_set.hpp"

#include "common/bits.hpp"
#include "shm/region_uri.hpp"
#include "shm/superblock.hpp"

#include <string>

namespace tp::shm {

namespace {

auto map_and_check(const std::string& uri_text, const ExpectedSuperblock& expected, const PathPolicy& policy,
                   Access access, const char* what) -> Expected<MappedRegion> {
    auto uri = RegionUri::parse(uri_text);
    if (!uri) {
        return Unexpected{uri.error()};
    }
    const std::uint64_t size = expected_region_size(expected.region_type, expected.nslots, expected.stride_bytes);
    auto region = policy.map_region(*uri, size, access);
    if (!region) {
        Error e = std::move(region).error();
        e.message = std::string(what) + ": " + e.message;
        return e;
    }
    const SuperblockFields sb = read_superblock(region->data());
    auto ok = validate_superblock(sb, expected, region->size());
    if (!ok) {
        Error e = std::move(ok).error();
        e.message = std::string(what) + " '" + uri->path + "': " + e.message;
        return e; // `region` unmaps here
    }
    return region;
}

auto header_expectation(const RegionSetSpec& spec) -> ExpectedSuperblock {
    return ExpectedSuperblock{RegionType::HeaderRing, spec.epoch, spec.stream_id,     0,
                              spec.header_nslots,     0,          spec.layout_version};
}

auto pool_expectation(const RegionSetSpec& spec, const PoolSpec& pool) -> ExpectedSuperblock {
    return ExpectedSuperblock{RegionType::PayloadPool, spec.epoch,        spec.stream_id,     pool.pool_id,
                              spec.header_nslots,      pool.stride_bytes, spec.layout_version};
}

} // namespace

auto validate_region_set_spec(const RegionSetSpec& spec) -> Expected<void> {
    auto bad = [](std::string msg) { return make_error(ErrorCode::InvalidArgument, std::move(msg)); };
    if (spec.epoch == 0) {
        return bad("epoch 0 is never valid (D-22)");
    }
    if (spec.layout_version != 1) {
        return bad("layout_version " + std::to_string(spec.layout_version) + " is not supported (v1.2 uses 1)");
    }
    if (!common::is_power_of_two(spec.header_nslots)) {
        return bad("header_nslots " + std::to_string(spec.header_nslots) + " is not a power of two (D-18)");
    }
    if (spec.header_slot_bytes != SlotDescriptor::SLOT_BYTES) {
        return bad("header_slot_bytes " + std::to_string(spec.header_slot_bytes) + " is not 256 (W §8.1)");
    }
    if (spec.pools.empty()) {
        return bad("no payload pools (D-23)");
    }
    if (spec.pools.size() > MAX_POOLS) {
        return bad(std::to_string(spec.pools.size()) + " payload pools; at most " + std::to_string(MAX_POOLS) +
                   " are supported");
    }
    for (std::size_t i = 0; i < spec.pools.size(); ++i) {
        const PoolSpec& p = spec.pools[i];
        const std::string which = "pool " + std::to_string(p.pool_id);
        if (p.pool_id == 0) {
            return bad("pool_id 0 is reserved for the header ring (D-17)");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (spec.pools[j].pool_id == p.pool_id) {
                return bad("duplicate pool_id " + std::to_string(p.pool_id));
            }
        }
        if (p.nslots != spec.header_nslots) {
            return bad(which + " has nslots " + std::to_string(p.nslots) + " but the header ring has " +
                       std::to_string(spec.header_nslots) + " (W §15.5)");
        }
        if (!is_valid_stride(p.stride_bytes)) {
            return bad(which + " stride_bytes " + std::to_string(p.stride_bytes) +
                       " is not a power-of-two multiple of 64 (D-17)");
        }
        auto uri = RegionUri::parse(p.region_uri);
        if (!uri) {
            return bad(which + ": " + uri.error().message);
        }
    }
    auto uri = RegionUri::parse(spec.header_region_uri);
    if (!uri) {
        return bad("header ring: " + uri.error().message);
    }
    return {};
}

auto open_region_set(const RegionSetSpec& spec, const PathPolicy& policy, Access access) -> Expected<OpenedRegionSet> {
    TP_TRY_VOID(validate_region_set_spec(spec));
    OpenedRegionSet set;
    set.spec = spec;
    TP_TRY(header, map_and_check(spec.header_region_uri, header_expectation(spec), policy, access, "header ring"));
    set.header = std::move(header);
    set.pids.push_back(read_superblock(set.header.data()).pid);
    for (const PoolSpec& p : spec.pools) {
        const std::string what = "pool " + std::to_string(p.pool_id);
        TP_TRY(pool, map_and_check(p.region_uri, pool_expectation(spec, p), policy, access, what.c_str()));
        set.pids.push_back(read_superblock(pool.data()).pid);
        set.pools.push_back(std::move(pool));
    }
    set.view.epoch = spec.epoch;
    set.view.stream_id = spec.stream_id;
    set.view.header_nslots = spec.header_nslots;
    set.view.header_base = set.header.data();
    set.view.pool_count = static_cast<std::uint32_t>(spec.pools.size());
    for (std::size_t i = 0; i < spec.pools.size(); ++i) {
        set.view.pools[i] = PoolView{spec.pools[i].pool_id, spec.pools[i].stride_bytes, set.pools[i].data()};
    }
    return set;
}

auto OpenedRegionSet::check_superblocks() const -> SuperblockCheck {
    auto check = [&](const MappedRegion& region, const ExpectedSuperblock& expected,
                     std::uint64_t pid) -> SuperblockCheck {
        const SuperblockFields sb = read_superblock(region.data());
        if (!validate_superblock(sb, expected, region.size())) {
            return SuperblockCheck::Mismatch;
        }
        return sb.pid == pid ? SuperblockCheck::Ok : SuperblockCheck::PidChanged;
    };
    SuperblockCheck r = check(header, header_expectation(spec), pids[0]);
    for (std::size_t i = 0; i < pools.size() && r == SuperblockCheck::Ok; ++i) {
        r = check(pools[i], pool_expectation(spec, spec.pools[i]), pids[i + 1]);
    }
    return r;
}

} // namespace tp::shm
