// SPDX-License-Identifier: Apache-2.0
#pragma once

// Move-only owners of a file descriptor and of a memory mapping.

#include <tensorpool/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tp::shm {

/// How a region is opened and mapped: consumers read-only (D-21 step 6), producers read-write.
enum class Access : std::uint8_t { ReadOnly, ReadWrite };

/// An owned file descriptor, closed on destruction. Move-only.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    auto operator=(const UniqueFd&) -> UniqueFd& = delete;
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    auto operator=(UniqueFd&& other) noexcept -> UniqueFd& {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }
    ~UniqueFd() { reset(); }

    /// The descriptor, or -1.
    [[nodiscard]] auto get() const noexcept -> int { return m_fd; }
    /// True if a descriptor is held.
    [[nodiscard]] auto valid() const noexcept -> bool { return m_fd >= 0; }
    /// Gives up ownership.
    auto release() noexcept -> int {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    /// Closes the held descriptor (if any) and takes `fd`.
    void reset(int fd = -1) noexcept;

private:
    int m_fd{-1};
};

/// A shared file mapping (MAP_SHARED), unmapped on destruction. Move-only; the address is stable
/// across moves, so views into it stay valid while the owner lives. Not thread-safe to move or
/// destroy while others read through it.
class MappedRegion {
public:
    MappedRegion() = default;
    MappedRegion(const MappedRegion&) = delete;
    auto operator=(const MappedRegion&) -> MappedRegion& = delete;
    MappedRegion(MappedRegion&& other) noexcept;
    auto operator=(MappedRegion&& other) noexcept -> MappedRegion&;
    ~MappedRegion();

    /// Maps the first `size` bytes of `fd` (PROT_READ for ReadOnly, PROT_READ|PROT_WRITE for
    /// ReadWrite). `path` is kept for diagnostics. The descriptor may be closed afterwards.
    [[nodiscard]] static auto map(int fd, std::size_t size, Access access, std::string path) -> Expected<MappedRegion>;

    /// Start of the mapping (page-aligned), or nullptr when empty.
    [[nodiscard]] auto data() const noexcept -> std::byte* { return m_data; }
    /// Mapped length in bytes.
    [[nodiscard]] auto size() const noexcept -> std::size_t { return m_size; }
    /// Access the mapping was made with.
    [[nodiscard]] auto access() const noexcept -> Access { return m_access; }
    /// The path the mapping came from.
    [[nodiscard]] auto path() const noexcept -> const std::string& { return m_path; }
    /// True if something is mapped.
    [[nodiscard]] auto valid() const noexcept -> bool { return m_data != nullptr; }

    /// Touches every page so later accesses do not fault (writes for ReadWrite mappings, which
    /// allocates tmpfs pages; reads otherwise). Call before the region is announced.
    void prefault() noexcept;
    /// Locks the mapping in RAM (mlock). Fails with the errno (EPERM, ENOMEM for RLIMIT_MEMLOCK).
    [[nodiscard]] auto lock() -> Expected<void>;
    /// msync(MS_SYNC) of the first `bytes` bytes (W §15.14: the superblock after it is written).
    [[nodiscard]] auto sync(std::size_t bytes) -> Expected<void>;
    /// Unmaps now.
    void reset() noexcept;

private:
    std::byte* m_data{nullptr};
    std::size_t m_size{0};
    Access m_access{Access::ReadOnly};
    std::string m_path;
};

} // namespace tp::shm
