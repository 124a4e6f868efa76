// SPDX-License-Identifier: Apache-2.0
#include "shm/mapped_region.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

namespace tp::shm {

void UniqueFd::reset(int fd) noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    m_fd = fd;
}

MappedRegion::MappedRegion(MappedRegion&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)), m_access(other.m_access),
      m_path(std::move(other.m_path)) {}

auto MappedRegion::operator=(MappedRegion&& other) noexcept -> MappedRegion& {
    if (this != &other) {
        reset();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_access = other.m_access;
        m_path = std::move(other.m_path);
    }
    return *this;
}

MappedRegion::~MappedRegion() {
    reset();
}

auto MappedRegion::map(int fd, std::size_t size, Access access, std::string path) -> Expected<MappedRegion> {
    if (size == 0) {
        return make_error(ErrorCode::InvalidArgument, "cannot map zero bytes of " + path);
    }
    const int prot = access == Access::ReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
    void* p = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        return make_errno_error(ErrorCode::IoError, "mmap of " + path + " failed");
    }
    MappedRegion r;
    r.m_data = static_cast<std::byte*>(p);
    r.m_size = size;
    r.m_access = access;
    r.m_path = std::move(path);
    return r;
}

void MappedRegion::prefault() noexcept {
    if (m_data == nullptr) {
        return;
    }
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (std::size_t off = 0; off < m_size; off += page) {
        volatile std::byte* p = m_data + off;
        if (m_access == Access::ReadWrite) {
            // Rewriting the current value allocates the page without changing it. Only used before
            // the region is announced, when no other process maps it.
            *p = *p;
        } else {
            static_cast<void>(*p);
        }
    }
}

auto MappedRegion::lock() -> Expected<void> {
    if (::mlock(m_data, m_size) != 0) {
        return make_errno_error(ErrorCode::IoError, "mlock of " + m_path + " (" + std::to_string(m_size) +
                                                        " bytes) failed; check RLIMIT_MEMLOCK");
    }
    return {};
}

auto MappedRegion::sync(std::size_t bytes) -> Expected<void> {
    if (::msync(m_data, bytes < m_size ? bytes : m_size, MS_SYNC) != 0) {
        return make_errno_error(ErrorCode::IoError, "msync of " + m_path + " failed");
    }
    return {};
}

void MappedRegion::reset() noexcept {
    if (m_data != nullptr) {
        ::munmap(m_data, m_size);
    }
    m_data = nullptr;
    m_size = 0;
}

} // namespace tp::shm
