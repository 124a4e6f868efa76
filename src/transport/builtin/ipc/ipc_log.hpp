// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/ipc/ipc_log_descriptor.hpp"

#include "tensorpool/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tp::transport::ipc {

/// How to open the log of one stream.
struct IpcLogOptions {
    std::string directory;
    std::int32_t stream_id{0};
    /// Term length a new log gets.
    std::uint32_t term_length{0};
    /// Publications with an explicit `term-length`: the existing log must match (D-01).
    std::optional<std::uint32_t> required_term_length;
    /// Permission bits of a new log file.
    std::uint32_t file_mode{0660};
};

/// One process's handle on an IPC log file: an open file description, a shared mapping of the
/// whole file, and the file locks that mark it in use.
///
/// Liveness through open-file-description locks (fcntl F_OFD_SETLK): every handle holds a read
/// lock on byte 0 while open, and a write lock on the first byte of each slot it owns. The kernel
/// drops them when the process dies, however it dies, so a write lock on byte 0 proves nobody uses
/// the file (stale: unlink it), and a free slot lock proves the slot's owner is gone (reuse it).
/// Each handle opens its own description, so two handles in one process exclude each other too.
///
/// Move-only. Not thread-safe; the mapped memory is shared with other processes through the
/// atomics documented in ipc_log_descriptor.hpp.
class IpcLog {
public:
    /// Opens the stream's log, creating it if missing or stale. A new log is written in full under
    /// a temporary name and linked into place, so nobody sees a half-initialised log.
    [[nodiscard]] static auto open(const IpcLogOptions& options) -> Expected<IpcLog>;

    /// Removes the logs and leftover temporary files in `directory` that no live process holds.
    /// Returns how many files were removed.
    static auto remove_stale(const std::string& directory) -> int;

    /// `<directory>/ipc-<stream id>.log`.
    [[nodiscard]] static auto log_path(const std::string& directory, std::int32_t stream_id) -> std::string;

    IpcLog(IpcLog&& other) noexcept;
    auto operator=(IpcLog&& other) noexcept -> IpcLog&;
    IpcLog(const IpcLog&) = delete;
    auto operator=(const IpcLog&) -> IpcLog& = delete;
    /// Unmaps, and unlinks the file if no other handle (in any process) uses it.
    ~IpcLog();

    /// Claims a free subscriber slot (its lock); returns its index. State error when all are taken.
    [[nodiscard]] auto claim_sub_slot() -> Expected<std::uint32_t>;
    /// Claims a free publisher slot.
    [[nodiscard]] auto claim_pub_slot() -> Expected<std::uint32_t>;
    /// Releases a slot lock taken by claim_*_slot.
    void release_sub_slot(std::uint32_t index) noexcept;
    void release_pub_slot(std::uint32_t index) noexcept;
    /// True if some handle (in any process) holds the subscriber slot's lock.
    [[nodiscard]] auto sub_slot_in_use(std::uint32_t index) const noexcept -> bool;

    [[nodiscard]] auto base() const noexcept -> std::uint8_t* { return m_base; }
    [[nodiscard]] auto ring() const noexcept -> std::uint8_t* { return m_base + METADATA_LENGTH; }
    [[nodiscard]] auto term_length() const noexcept -> std::uint32_t { return m_term_length; }
    [[nodiscard]] auto stamp_key() const noexcept -> std::uint64_t { return m_stamp_key; }
    [[nodiscard]] auto path() const noexcept -> const std::string& { return m_path; }
    [[nodiscard]] auto tail() const noexcept -> std::int64_t* {
        return reinterpret_cast<std::int64_t*>(m_base + TAIL_OFFSET);
    }
    [[nodiscard]] auto sub_changes() const noexcept -> std::uint64_t* {
        return reinterpret_cast<std::uint64_t*>(m_base + SUB_CHANGES_OFFSET);
    }
    [[nodiscard]] auto pub_changes() const noexcept -> std::uint64_t* {
        return reinterpret_cast<std::uint64_t*>(m_base + PUB_CHANGES_OFFSET);
    }
    [[nodiscard]] auto active_subs(std::uint32_t word) const noexcept -> std::uint64_t* {
        return reinterpret_cast<std::uint64_t*>(m_base + ACTIVE_SUBS_OFFSET + 8U * word);
    }
    [[nodiscard]] auto sub_slot(std::uint32_t index) const noexcept -> std::uint8_t* {
        return m_base + SUB_SLOTS_BASE + static_cast<std::size_t>(index) * SUB_SLOT_LENGTH;
    }
    [[nodiscard]] auto pub_slot(std::uint32_t index) const noexcept -> std::uint8_t* {
        return m_base + PUB_SLOTS_BASE + static_cast<std::size_t>(index) * PUB_SLOT_LENGTH;
    }

private:
    IpcLog() = default;
    void close() noexcept;

    int m_fd{-1};
    std::uint8_t* m_base{nullptr};
    std::size_t m_length{0};
    std::uint32_t m_term_length{0};
    std::uint64_t m_stamp_key{0};
    std::string m_path;
};

/// A typed view of a word in mapped memory.
template <typename T>
[[nodiscard]] inline auto field(std::uint8_t* base, std::size_t offset) noexcept -> T* {
    return reinterpret_cast<T*>(base + offset);
}

} // namespace tp::transport::ipc
