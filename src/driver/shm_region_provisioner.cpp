// SPDX-License-Identifier: Apache-2.0
#include "driver/shm_region_provisioner.hpp"

#include "shm/superblock.hpp"
#include "shm/superblock_descriptor.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace tp::driver {

namespace {

constexpr long HUGETLBFS_MAGIC = 0x958458f6;

auto is_hugetlbfs(const std::string& dir) -> bool {
    struct statfs st {};
    return ::statfs(dir.c_str(), &st) == 0 && static_cast<long>(st.f_type) == HUGETLBFS_MAGIC;
}

auto layout_config(const DriverConfig& c, bool huge) -> shm::LayoutConfig {
    shm::LayoutConfig lc;
    lc.base_dir = c.shm.base_dir;
    lc.namespace_name = c.shm.ns;
    lc.file_mode = c.shm.permissions_mode;
    lc.prefault = c.policies.prefault_shm;
    lc.mlock = c.policies.mlock_shm;
    lc.require_hugepages = huge;
    return lc;
}

// Reads a header ring's superblock without mapping it (GC only looks at pid and activity).
auto peek_superblock(const std::string& path) -> std::optional<shm::SuperblockFields> {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    alignas(8) std::byte buf[shm::SuperblockDescriptor::SIZE]{};
    const auto n = ::pread(fd, buf, sizeof(buf), 0);
    ::close(fd);
    if (n != static_cast<ssize_t>(sizeof(buf))) {
        return std::nullopt;
    }
    auto fields = shm::read_superblock(buf);
    if (fields.magic != shm::SuperblockDescriptor::MAGIC) {
        return std::nullopt;
    }
    return fields;
}

} // namespace

auto process_alive(std::uint64_t pid) -> bool {
    if (pid == 0 || pid > static_cast<std::uint64_t>(INT32_MAX)) {
        return false;
    }
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

ShmRegionProvisioner::ShmRegionProvisioner(const DriverConfig& config, const common::Clock& clock,
                                           shm::ShmLayout layout, std::optional<shm::ShmLayout> huge_layout,
                                           bool hugetlbfs)
    : m_config(config), m_clock(clock), m_layout(std::move(layout)), m_huge_layout(std::move(huge_layout)),
      m_hugetlbfs(hugetlbfs) {}

auto ShmRegionProvisioner::create(const DriverConfig& config, const common::Clock& clock)
    -> Expected<std::unique_ptr<ShmRegionProvisioner>> {
    std::error_code ec;
    std::filesystem::create_directories(config.shm.base_dir, ec); // an absent base dir is created
    TP_TRY(layout, shm::ShmLayout::create(layout_config(config, false)));
    const bool huge = is_hugetlbfs(layout.config().base_dir);
    std::optional<shm::ShmLayout> huge_layout;
    if (huge) {
        TP_TRY(hl, shm::ShmLayout::create(layout_config(config, true)));
        huge_layout.emplace(std::move(hl));
    }
    return std::unique_ptr<ShmRegionProvisioner>(
        new ShmRegionProvisioner(config, clock, std::move(layout), std::move(huge_layout), huge));
}

auto ShmRegionProvisioner::provision(std::uint32_t stream_id, std::uint64_t epoch, const ProfileConfig& profile,
                                     bool hugepages) -> Expected<StreamLayout> {
    const shm::ShmLayout& layout = (hugepages && m_huge_layout) ? *m_huge_layout : m_layout;
    shm::RegionSetParams params;
    params.stream_id = stream_id;
    params.epoch = epoch;
    params.header_nslots = profile.header_nslots;
    for (const auto& p : profile.payload_pools) {
        params.pools.push_back(shm::PoolParams{p.pool_id, p.stride_bytes});
    }
    TP_TRY(created, layout.create_regions(params, m_clock.monotonic_ns()));
    StreamLayout out;
    out.stream_id = stream_id;
    out.epoch = epoch;
    out.header_nslots = created.spec.header_nslots;
    out.header_region_uri = created.spec.header_region_uri;
    for (const auto& p : created.spec.pools) {
        out.pools.push_back(PoolLayout{p.pool_id, p.nslots, p.stride_bytes, p.region_uri});
    }
    m_current.insert_or_assign(stream_id, std::move(created)); // unmaps the previous epoch's regions
    return out;
}

auto ShmRegionProvisioner::largest_existing_epoch(std::uint32_t stream_id) const -> std::uint64_t {
    auto epochs = m_layout.list_epochs(stream_id);
    if (!epochs || epochs->empty()) {
        return 0;
    }
    return epochs->back();
}

void ShmRegionProvisioner::collect_epochs(std::uint32_t stream_id, std::uint64_t current_epoch) {
    auto listed = m_layout.list_epochs(stream_id);
    if (!listed) {
        return;
    }
    std::vector<std::uint64_t> older;
    for (auto e : *listed) {
        if (e != current_epoch && (current_epoch == 0 || e < current_epoch)) {
            older.push_back(e);
        }
    }
    // D-42: keep the current epoch plus the newest keep - 1 older ones (with no current epoch,
    // at start-up, the newest keep).
    const std::size_t keep_older =
        current_epoch == 0 ? m_config.policies.epoch_gc_keep : m_config.policies.epoch_gc_keep - 1;
    if (older.size() <= keep_older) {
        return;
    }
    std::sort(older.begin(), older.end());
    older.resize(older.size() - keep_older); // the oldest ones remain candidates
    const std::uint64_t now = m_clock.monotonic_ns();
    const std::uint64_t min_age = m_config.epoch_gc_min_age_ns();
    const auto self = static_cast<std::uint64_t>(::getpid());
    for (auto e : older) {
        auto sb = peek_superblock(m_layout.header_ring_path(stream_id, e));
        if (!sb) {
            continue; // not attributable to anyone: leave it alone
        }
        const bool old_enough = now > sb->activity_timestamp_ns && now - sb->activity_timestamp_ns > min_age;
        // Dirs written by another live process are never touched.
        const bool owner_gone = sb->pid == self || !process_alive(sb->pid);
        if (!old_enough || !owner_gone) {
            continue;
        }
        if (m_layout.remove_epoch(stream_id, e)) {
            ++m_gc_removed;
        }
    }
}

void ShmRegionProvisioner::remove_stream(std::uint32_t stream_id) {
    m_current.erase(stream_id);
    if (auto listed = m_layout.list_epochs(stream_id)) {
        for (auto e : *listed) {
            (void)m_layout.remove_epoch(stream_id, e);
        }
    }
    std::error_code ec;
    std::filesystem::remove(m_layout.stream_dir(stream_id), ec); // only if empty
}

} // namespace tp::driver
