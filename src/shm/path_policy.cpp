// SPDX-License-Identifier: Apache-2.0
#include "shm/path_policy.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace tp::shm {

namespace {

auto file_type_name(mode_t mode) -> const char* {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    return "not a regular file";
}

auto canonicalize(const std::string& path) -> Expected<std::string> {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) {
        const int err = errno;
        return make_errno_error(err == ENOENT || err == ENOTDIR ? ErrorCode::NotFound : ErrorCode::IoError,
                                "cannot resolve '" + path + "'", err);
    }
    return std::string(buf);
}

// W §15.21a.5 item 1 plus a fail-closed rule: announced paths are canonical in every known
// producer, so "." and ".." components (traversal) are refused outright.
auto check_components(std::string_view path) -> Expected<void> {
    if (path.empty() || path.front() != '/') {
        return make_error(ErrorCode::InvalidArgument,
                          "region path '" + std::string(path) + "' is not absolute (W §15.21a.5)");
    }
    std::size_t pos = 1;
    while (pos <= path.size()) {
        std::size_t end = path.find('/', pos);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const std::string_view comp = path.substr(pos, end - pos);
        if (comp == "." || comp == "..") {
            return make_error(ErrorCode::InvalidArgument, "region path '" + std::string(path) + "' contains a '" +
                                                              std::string(comp) +
                                                              "' component; announced paths must be canonical");
        }
        pos = end + 1;
    }
    return {};
}

} // namespace

auto PathPolicy::create(const std::vector<std::string>& allowed_base_dirs) -> Expected<PathPolicy> {
    if (allowed_base_dirs.empty()) {
        return make_error(ErrorCode::InvalidConfig, "allowed_base_dirs is empty: no region could ever be mapped");
    }
    PathPolicy policy;
    for (const auto& dir : allowed_base_dirs) {
        if (dir.empty() || dir.front() != '/') {
            return make_error(ErrorCode::InvalidConfig, "allowed base dir '" + dir + "' is not an absolute path");
        }
        TP_TRY(canonical, canonicalize(dir));
        struct stat st {};
        if (::stat(canonical.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            return make_error(ErrorCode::InvalidConfig, "allowed base dir '" + dir + "' is not a directory");
        }
        policy.m_dirs.push_back(std::move(canonical));
    }
    return policy;
}

auto PathPolicy::contains(std::string_view canonical) const noexcept -> bool {
    for (const auto& dir : m_dirs) {
        if (dir == "/") {
            if (canonical.size() > 1 && canonical.front() == '/') {
                return true;
            }
            continue;
        }
        // Strictly inside: "<dir>/<something>"; "/dev/shmx" is not inside "/dev/shm".
        if (canonical.size() > dir.size() + 1 && canonical.substr(0, dir.size()) == dir &&
            canonical[dir.size()] == '/') {
            return true;
        }
    }
    return false;
}

auto PathPolicy::resolve(std::string_view announced_path) const -> Expected<ResolvedRegionPath> {
    TP_TRY_VOID(check_components(announced_path));
    ResolvedRegionPath out;
    out.announced_path = std::string(announced_path);
    TP_TRY(canonical, canonicalize(out.announced_path));
    if (!contains(canonical)) {
        std::string dirs;
        for (const auto& d : m_dirs) {
            dirs += (dirs.empty() ? "" : ", ") + d;
        }
        return make_error(ErrorCode::PermissionDenied, "region path '" + out.announced_path + "' resolves to '" +
                                                           canonical + "', outside the allowed base dirs [" + dirs +
                                                           "] (W §15.21a.5)");
    }
    struct stat st {};
    if (::stat(canonical.c_str(), &st) != 0) {
        return make_errno_error(ErrorCode::IoError, "cannot stat '" + canonical + "'");
    }
    // W §15.21a.5 item 5: regular files only (hugetlbfs files are regular).
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::PermissionDenied,
                          "region path '" + canonical + "' is " + file_type_name(st.st_mode) + ", not a regular file");
    }
    out.canonical_path = std::move(canonical);
    out.dev = st.st_dev;
    out.ino = st.st_ino;
    return out;
}

auto PathPolicy::open(const ResolvedRegionPath& resolved, const OpenRequirements& req) const
    -> Expected<OpenedRegionFile> {
    // W §15.21a.5 item 6: no-follow open of the announced name (a symlink there fails with ELOOP),
    // then re-validate the opened handle. O_NONBLOCK keeps a FIFO swapped in from blocking open().
    const int mode_flags = req.access == Access::ReadOnly ? O_RDONLY : O_RDWR;
    UniqueFd fd(::open(resolved.announced_path.c_str(), mode_flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        const int err = errno;
        if (err == ELOOP) {
            return make_error(ErrorCode::PermissionDenied,
                              "region path '" + resolved.announced_path + "' is a symbolic link (refused, D-21)");
        }
        return make_errno_error(err == ENOENT                   ? ErrorCode::NotFound
                                : err == EACCES || err == EPERM ? ErrorCode::PermissionDenied
                                                                : ErrorCode::IoError,
                                "cannot open '" + resolved.announced_path + "'", err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return make_errno_error(ErrorCode::IoError, "fstat of '" + resolved.announced_path + "' failed");
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::PermissionDenied, "opened '" + resolved.announced_path + "' is " +
                                                           file_type_name(st.st_mode) + ", not a regular file");
    }
    // D-21 step 2: the opened file is the one realpath named (no swap between the steps).
    if (st.st_dev != resolved.dev || st.st_ino != resolved.ino) {
        return make_error(ErrorCode::PermissionDenied, "'" + resolved.announced_path +
                                                           "' changed between resolution and open (device/inode "
                                                           "differ); refusing to map it (W §15.21a.5)");
    }
    // D-21 step 3: any "other" permission bit means anyone may tamper with or read the region.
    if ((st.st_mode & 0007) != 0) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return make_error(ErrorCode::PermissionDenied, "'" + resolved.announced_path + "' has mode " + buf +
                                                           " with 'other' permission bits; refused (D-21)");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < req.min_size) {
        return make_error(ErrorCode::Rejected, "'" + resolved.announced_path + "' is " + std::to_string(size) +
                                                   " bytes, smaller than the expected " + std::to_string(req.min_size));
    }
    if (req.require_hugepages) {
        struct statfs fs {};
        if (::fstatfs(fd.get(), &fs) != 0) {
            return make_errno_error(ErrorCode::IoError, "fstatfs of '" + resolved.announced_path + "' failed");
        }
        if (static_cast<std::int64_t>(fs.f_type) != HUGETLBFS_MAGIC) {
            return make_error(ErrorCode::PermissionDenied,
                              "'" + resolved.announced_path +
                                  "' is not on hugetlbfs but its URI says require_hugepages=true (W §15.22)");
        }
    }
    return OpenedRegionFile{std::move(fd), size, resolved.canonical_path};
}

auto PathPolicy::map_region(const RegionUri& uri, std::uint64_t map_size, Access access) const
    -> Expected<MappedRegion> {
    TP_TRY(resolved, resolve(uri.path));
    TP_TRY(file, open(resolved, OpenRequirements{access, map_size, uri.require_hugepages}));
    return MappedRegion::map(file.fd.get(), static_cast<std::size_t>(map_size), access, file.path);
}

} // namespace tp::shm
