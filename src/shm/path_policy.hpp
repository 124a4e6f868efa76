// SPDX-License-Identifier: Apache-2.0
#pragma once

// Path containment and safe opening of announced regions (W §15.21a.5, §15.22; D-21).
//
// The check is split in two steps so each can be tested on its own, including a file swapped
// between them:
//   resolve(): absolute, no "." or ".." components, realpath inside a canonical allowed base dir,
//              a regular file; records the realpath target's device and inode.
//   open():    open(announced path, O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, O_RDONLY or O_RDWR) and
//              fstat: still a regular file, same device+inode as resolved, no "other" permission
//              bits, size ≥ expected, hugetlbfs when required.
// map_region() runs both and maps; any failure leaves nothing open or mapped (fail closed).

#include "shm/mapped_region.hpp"
#include "shm/region_uri.hpp"

#include <tensorpool/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace tp::shm {

/// statfs f_type of hugetlbfs (W §15.22 hugepage verification, D-21 step 5).
inline constexpr std::int64_t HUGETLBFS_MAGIC = 0x958458f6;

/// Outcome of PathPolicy::resolve: the announced path, its canonical form and the identity of the
/// file it named at resolution time.
struct ResolvedRegionPath {
    std::string announced_path;
    std::string canonical_path;
    dev_t dev{};
    ino_t ino{};
};

/// What open() demands of the file.
struct OpenRequirements {
    Access access{Access::ReadOnly};
    std::uint64_t min_size{0};     ///< D-21 step 4
    bool require_hugepages{false}; ///< D-21 step 5
};

/// An opened region file and its size at fstat time.
struct OpenedRegionFile {
    UniqueFd fd;
    std::uint64_t size{0};
    std::string path;
};

/// The set of canonical base directories regions must live in. Immutable after create(); safe to
/// share between threads.
class PathPolicy {
public:
    /// W §15.21a.5 step 3: resolves each allowed base dir with realpath once. Fails if the list is
    /// empty or a directory does not exist or is not a directory.
    [[nodiscard]] static auto create(const std::vector<std::string>& allowed_base_dirs) -> Expected<PathPolicy>;

    /// The canonical allowed directories.
    [[nodiscard]] auto allowed_dirs() const noexcept -> const std::vector<std::string>& { return m_dirs; }

    /// True if the canonical path `canonical` lies strictly inside one of the allowed dirs.
    [[nodiscard]] auto contains(std::string_view canonical) const noexcept -> bool;

    /// Step 1 (W §15.21a.5 items 1-5): see the file comment. Errors: InvalidArgument (relative,
    /// "." or ".." components), NotFound, PermissionDenied (outside the allowed dirs, not a regular
    /// file).
    [[nodiscard]] auto resolve(std::string_view announced_path) const -> Expected<ResolvedRegionPath>;

    /// Step 2 (W §15.21a.5 item 6, D-21 steps 2-5): see the file comment.
    [[nodiscard]] auto open(const ResolvedRegionPath& resolved, const OpenRequirements& req) const
        -> Expected<OpenedRegionFile>;

    /// resolve + open + map the first `map_size` bytes (map_size ≤ min_size is typical: the
    /// region's layout size). Nothing stays open or mapped on failure.
    [[nodiscard]] auto map_region(const RegionUri& uri, std::uint64_t map_size, Access access) const
        -> Expected<MappedRegion>;

private:
    std::vector<std::string> m_dirs;
};

} // namespace tp::shm
