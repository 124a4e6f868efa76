// SPDX-License-Identifier: Apache-2.0
#include "shm/shm_layout.hpp"

#include "shm/path_policy.hpp"
#include "shm/region_uri.hpp"
#include "shm/superblock.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace tp::shm {

namespace {

constexpr mode_t DIR_MODE = 0770; // D-19

auto is_name_char(char c) noexcept -> bool {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

// mkdir with the exact mode (umask would clear group bits); an existing entry must be a real
// directory, never a symlink.
auto ensure_dir(const std::string& path, bool& created) -> Expected<void> {
    created = false;
    if (::mkdir(path.c_str(), DIR_MODE) == 0) {
        created = true;
        if (::chmod(path.c_str(), DIR_MODE) != 0) {
            return make_errno_error(ErrorCode::IoError, "chmod 0770 of '" + path + "' failed");
        }
        return {};
    }
    if (errno != EEXIST) {
        return make_errno_error(errno == EACCES ? ErrorCode::PermissionDenied : ErrorCode::IoError,
                                "cannot create directory '" + path + "'");
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return make_errno_error(ErrorCode::IoError, "cannot stat '" + path + "'");
    }
    if (!S_ISDIR(st.st_mode)) {
        return make_error(ErrorCode::PermissionDenied,
                          "'" + path + "' exists and is not a directory (symlinks are refused)");
    }
    return {};
}

// Epoch directory names: decimal, no sign, no leading zeros, fits u64, not 0 (D-22).
auto parse_epoch_name(const char* name, std::uint64_t& out) noexcept -> bool {
    const std::string_view s(name);
    if (s.empty() || s.size() > 20 || s.front() == '0') {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    out = v;
    return true;
}

auto is_region_file_name(std::string_view s) noexcept -> bool {
    if (s == "header.ring") {
        return true;
    }
    constexpr std::string_view ext = ".pool";
    if (s.size() <= ext.size() || s.substr(s.size() - ext.size()) != ext) {
        return false;
    }
    const std::string_view digits = s.substr(0, s.size() - ext.size());
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr long TMPFS_MAGIC_NUMBER = 0x01021994;
constexpr long HUGETLBFS_MAGIC_NUMBER = 0x958458f6;

// MemAvailable of /proc/meminfo in bytes; nullopt when unreadable.
auto mem_available_bytes() -> std::optional<std::uint64_t> {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib >> unit) {
        if (key == "MemAvailable:") {
            return kib * 1024U;
        }
    }
    return std::nullopt;
}

// Prefaulted (or locked) regions on tmpfs or hugetlbfs take memory at once: refuse a set larger
// than the memory available instead of letting the prefault push the host into the OOM killer.
auto check_memory_for(const std::string& dir, const LayoutConfig& cfg, std::uint64_t total) -> Expected<void> {
    if (!cfg.prefault && !cfg.mlock) {
        return {};
    }
    struct statfs st {};
    if (::statfs(dir.c_str(), &st) != 0) {
        return {};
    }
    const auto type = static_cast<long>(st.f_type);
    if (type != TMPFS_MAGIC_NUMBER && type != HUGETLBFS_MAGIC_NUMBER) {
        return {};
    }
    const auto available = mem_available_bytes();
    if (available && total > *available) {
        return make_error(ErrorCode::InvalidArgument,
                          "the stream's regions need " + std::to_string(total >> 20U) +
                              " MiB of prefaulted memory in '" + dir + "' but only " +
                              std::to_string(*available >> 20U) +
                              " MiB is available: lower header_nslots or the pool strides of its profile");
    }
    return {};
}

// Creates one region file and writes its superblock (W §15.14: create, size, superblock, fsync).
auto create_region_file(const std::string& path, const LayoutConfig& cfg, const SuperblockFields& sb,
                        std::uint64_t size, std::vector<std::string>& created) -> Expected<MappedRegion> {
    const auto mode = static_cast<mode_t>(cfg.file_mode);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd.valid()) {
        return make_errno_error(errno == EEXIST ? ErrorCode::State : ErrorCode::IoError,
                                "cannot create region file '" + path + "'");
    }
    created.push_back(path);
    if (::fchmod(fd.get(), mode) != 0) { // the umask must not change the configured mode
        return make_errno_error(ErrorCode::IoError, "fchmod of '" + path + "' failed");
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        return make_errno_error(ErrorCode::IoError, "cannot size '" + path + "' to " + std::to_string(size) + " bytes");
    }
    // Prefault: fallocate allocates every page of a tmpfs/hugetlbfs file in one call (far cheaper
    // than one page fault per page); where it is unsupported, touch the pages after mapping.
    const bool allocated = cfg.prefault && ::fallocate(fd.get(), 0, 0, static_cast<off_t>(size)) == 0;
    if (cfg.prefault && !allocated && errno == ENOSPC) {
        // Touching the pages instead would end in SIGBUS on a full tmpfs.
        return make_errno_error(ErrorCode::IoError, "no space for region '" + path + "' (" + std::to_string(size) +
                                                        " bytes): free space in its filesystem or shrink the profile");
    }
    TP_TRY(region, MappedRegion::map(fd.get(), static_cast<std::size_t>(size), Access::ReadWrite, path));
    write_superblock(region.data(), sb);
    if (cfg.prefault && !allocated) {
        region.prefault();
    }
    if (cfg.mlock) {
        TP_TRY_VOID(region.lock());
    }
    TP_TRY_VOID(region.sync(SuperblockDescriptor::SIZE));
    if (::fsync(fd.get()) != 0) {
        return make_errno_error(ErrorCode::IoError, "fsync of '" + path + "' failed");
    }
    return region;
}

} // namespace

auto sanitize_user_name(std::string_view name) -> std::string {
    if (name.empty()) {
        return "unknown";
    }
    std::string out(name);
    for (char& c : out) {
        if (!is_name_char(c)) {
            c = '_';
        }
    }
    return out;
}

auto resolve_user_name() -> std::string {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr &&
        result->pw_name != nullptr && result->pw_name[0] != '\0') {
        return sanitize_user_name(result->pw_name);
    }
    const char* env = std::getenv("USER");
    if (env != nullptr && env[0] != '\0') {
        return sanitize_user_name(env);
    }
    return "unknown";
}

auto is_valid_namespace(std::string_view ns) noexcept -> bool {
    if (ns.empty() || ns == "." || ns == "..") {
        return false;
    }
    return std::all_of(ns.begin(), ns.end(), is_name_char);
}

auto ShmLayout::create(LayoutConfig config) -> Expected<ShmLayout> {
    if (config.base_dir.empty() || config.base_dir.front() != '/') {
        return make_error(ErrorCode::InvalidConfig, "shm.base_dir '" + config.base_dir + "' is not an absolute path");
    }
    char canonical[PATH_MAX];
    if (::realpath(config.base_dir.c_str(), canonical) == nullptr) {
        return make_errno_error(ErrorCode::InvalidConfig, "shm.base_dir '" + config.base_dir + "' cannot be resolved");
    }
    struct stat st {};
    if (::stat(canonical, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(ErrorCode::InvalidConfig, "shm.base_dir '" + config.base_dir + "' is not a directory");
    }
    config.base_dir = canonical;
    if (!is_valid_namespace(config.namespace_name)) {
        return make_error(ErrorCode::InvalidConfig, "shm.namespace '" + config.namespace_name +
                                                        "' must match [A-Za-z0-9._-]+ and not be '.' or '..'");
    }
    if ((config.file_mode & 0007U) != 0) {
        return make_error(ErrorCode::InvalidConfig,
                          "shm.permissions_mode has 'other' permission bits; consumers refuse such files (D-42, D-21)");
    }
    if ((config.file_mode & ~0770U) != 0) {
        return make_error(ErrorCode::InvalidConfig, "shm.permissions_mode may only hold user and group rwx bits");
    }
    if (config.require_hugepages) {
        struct statfs fs {};
        if (::statfs(canonical, &fs) != 0 || static_cast<std::int64_t>(fs.f_type) != HUGETLBFS_MAGIC) {
            return make_error(ErrorCode::Rejected,
                              "require_hugepages is set but shm.base_dir '" + config.base_dir + "' is not hugetlbfs");
        }
    }
    config.user = config.user.empty() ? resolve_user_name() : sanitize_user_name(config.user);
    return ShmLayout(std::move(config));
}

auto ShmLayout::user_dir() const -> std::string {
    return (m_config.base_dir == "/" ? std::string() : m_config.base_dir) + "/tensorpool-" + m_config.user;
}

auto ShmLayout::namespace_dir() const -> std::string {
    return user_dir() + "/" + m_config.namespace_name;
}

auto ShmLayout::stream_dir(std::uint32_t stream_id) const -> std::string {
    return namespace_dir() + "/" + std::to_string(stream_id);
}

auto ShmLayout::epoch_dir(std::uint32_t stream_id, std::uint64_t epoch) const -> std::string {
    return stream_dir(stream_id) + "/" + std::to_string(epoch);
}

auto ShmLayout::header_ring_path(std::uint32_t stream_id, std::uint64_t epoch) const -> std::string {
    return epoch_dir(stream_id, epoch) + "/header.ring";
}

auto ShmLayout::pool_path(std::uint32_t stream_id, std::uint64_t epoch, std::uint16_t pool_id) const -> std::string {
    return epoch_dir(stream_id, epoch) + "/" + std::to_string(pool_id) + ".pool";
}

auto ShmLayout::create_regions(const RegionSetParams& params, std::uint64_t now_ns) const
    -> Expected<CreatedRegionSet> {
    CreatedRegionSet out;
    RegionSetSpec& spec = out.spec;
    spec.stream_id = params.stream_id;
    spec.epoch = params.epoch;
    spec.header_nslots = params.header_nslots;
    spec.header_region_uri =
        RegionUri{header_ring_path(params.stream_id, params.epoch), m_config.require_hugepages}.to_string();
    for (const PoolParams& p : params.pools) {
        spec.pools.push_back(PoolSpec{
            p.pool_id, params.header_nslots, p.stride_bytes,
            RegionUri{pool_path(params.stream_id, params.epoch, p.pool_id), m_config.require_hugepages}.to_string()});
    }
    TP_TRY_VOID(validate_region_set_spec(spec));

    bool created_epoch_dir = false;
    for (const std::string& dir : {user_dir(), namespace_dir(), stream_dir(params.stream_id)}) {
        bool created = false;
        TP_TRY_VOID(ensure_dir(dir, created));
    }
    std::uint64_t total = expected_region_size(RegionType::HeaderRing, params.header_nslots, 0);
    for (const PoolParams& p : params.pools) {
        total += expected_region_size(RegionType::PayloadPool, params.header_nslots, p.stride_bytes);
    }
    TP_TRY_VOID(check_memory_for(stream_dir(params.stream_id), m_config, total));
    out.epoch_dir = epoch_dir(params.stream_id, params.epoch);
    TP_TRY_VOID(ensure_dir(out.epoch_dir, created_epoch_dir));

    std::vector<std::string> created_files;
    auto cleanup = [&] {
        for (const auto& f : created_files) {
            ::unlink(f.c_str());
        }
        if (created_epoch_dir) {
            ::rmdir(out.epoch_dir.c_str());
        }
    };

    SuperblockFields sb;
    sb.epoch = params.epoch;
    sb.stream_id = params.stream_id;
    sb.nslots = params.header_nslots;
    sb.pid = params.pid != 0 ? params.pid : static_cast<std::uint64_t>(::getpid());
    sb.start_timestamp_ns = now_ns;
    sb.activity_timestamp_ns = now_ns;

    // D-08: header ring slot_bytes 256, stride_bytes 0, pool_id 0.
    sb.region_type = static_cast<std::int16_t>(RegionType::HeaderRing);
    sb.pool_id = 0;
    sb.slot_bytes = static_cast<std::uint32_t>(SlotDescriptor::SLOT_BYTES);
    sb.stride_bytes = 0;
    auto header =
        create_region_file(header_ring_path(params.stream_id, params.epoch), m_config, sb,
                           expected_region_size(RegionType::HeaderRing, params.header_nslots, 0), created_files);
    if (!header) {
        cleanup();
        return std::move(header).error();
    }
    out.header = std::move(*header);

    // D-08: pool slot_bytes = stride_bytes = stride, nslots = header_nslots.
    for (const PoolParams& p : params.pools) {
        sb.region_type = static_cast<std::int16_t>(RegionType::PayloadPool);
        sb.pool_id = p.pool_id;
        sb.slot_bytes = p.stride_bytes;
        sb.stride_bytes = p.stride_bytes;
        auto pool = create_region_file(
            pool_path(params.stream_id, params.epoch, p.pool_id), m_config, sb,
            expected_region_size(RegionType::PayloadPool, params.header_nslots, p.stride_bytes), created_files);
        if (!pool) {
            out.header.reset();
            out.pools.clear();
            cleanup();
            return std::move(pool).error();
        }
        out.pools.push_back(std::move(*pool));
    }
    return out;
}

auto ShmLayout::remove_epoch(std::uint32_t stream_id, std::uint64_t epoch) const -> Expected<void> {
    const std::string dir = epoch_dir(stream_id, epoch);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        return make_errno_error(errno == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                                "cannot open epoch directory '" + dir + "'");
    }
    DIR* d = ::fdopendir(dfd);
    if (d == nullptr) {
        ::close(dfd);
        return make_errno_error(ErrorCode::IoError, "cannot read epoch directory '" + dir + "'");
    }
    std::vector<std::string> names;
    std::string unexpected;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name(e->d_name);
        if (name == "." || name == "..") {
            continue;
        }
        struct stat st {};
        const bool is_file = ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        if (!is_file || !is_region_file_name(name)) {
            unexpected = std::string(name);
            break;
        }
        names.emplace_back(name);
    }
    if (!unexpected.empty()) {
        ::closedir(d);
        return make_error(ErrorCode::State, "epoch directory '" + dir + "' holds '" + unexpected +
                                                "', which is not a region file; nothing removed");
    }
    for (const auto& name : names) {
        if (::unlinkat(dfd, name.c_str(), 0) != 0 && errno != ENOENT) {
            const int err = errno;
            ::closedir(d);
            return make_errno_error(ErrorCode::IoError, "cannot remove '" + dir + "/" + name + "'", err);
        }
    }
    ::closedir(d);
    if (::rmdir(dir.c_str()) != 0) {
        return make_errno_error(ErrorCode::IoError, "cannot remove epoch directory '" + dir + "'");
    }
    return {};
}

auto ShmLayout::list_epochs(std::uint32_t stream_id) const -> Expected<std::vector<std::uint64_t>> {
    std::vector<std::uint64_t> epochs;
    const std::string dir = stream_dir(stream_id);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT) {
            return epochs;
        }
        return make_errno_error(ErrorCode::IoError, "cannot open stream directory '" + dir + "'");
    }
    DIR* d = ::fdopendir(dfd);
    if (d == nullptr) {
        ::close(dfd);
        return make_errno_error(ErrorCode::IoError, "cannot read stream directory '" + dir + "'");
    }
    while (const dirent* e = ::readdir(d)) {
        std::uint64_t epoch = 0;
        if (!parse_epoch_name(e->d_name, epoch)) {
            continue;
        }
        struct stat st {};
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            epochs.push_back(epoch);
        }
    }
    ::closedir(d);
    std::sort(epochs.begin(), epochs.end());
    return epochs;
}

} // namespace tp::shm
