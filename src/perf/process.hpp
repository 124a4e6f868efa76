// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helper processes for measurements: an anonymous shared mapping visible to forked children, and
// forked children that die with their parent and are killed and reaped when their handle goes.

#include <chrono>
#include <cstddef>
#include <functional>
#include <new>
#include <utility>

#include <sys/types.h>

namespace tp::perf {

/// Maps `bytes` of anonymous MAP_SHARED memory (zeroed); nullptr on failure.
[[nodiscard]] auto map_shared_bytes(std::size_t bytes) noexcept -> void*;
/// Unmaps what map_shared_bytes returned.
void unmap_shared_bytes(void* p, std::size_t bytes) noexcept;

/// A T constructed in anonymous shared memory: children forked after creation share it.
/// T must be usable across processes (trivially copyable data and lock-free atomics). Move-only.
template <typename T>
class SharedMapping {
public:
    /// Maps and default-constructs a T; check valid().
    SharedMapping() {
        void* mem = map_shared_bytes(sizeof(T));
        m_value = mem != nullptr ? new (mem) T() : nullptr;
    }
    SharedMapping(const SharedMapping&) = delete;
    auto operator=(const SharedMapping&) -> SharedMapping& = delete;
    SharedMapping(SharedMapping&& o) noexcept : m_value(std::exchange(o.m_value, nullptr)) {}
    auto operator=(SharedMapping&&) -> SharedMapping& = delete;
    ~SharedMapping() {
        if (m_value != nullptr) {
            m_value->~T();
            unmap_shared_bytes(m_value, sizeof(T));
        }
    }
    [[nodiscard]] auto valid() const noexcept -> bool { return m_value != nullptr; }
    [[nodiscard]] auto get() const noexcept -> T* { return m_value; }
    auto operator->() const noexcept -> T* { return m_value; }
    auto operator*() const noexcept -> T& { return *m_value; }

private:
    T* m_value{nullptr};
};

/// A forked child running a function. The child restores default SIGINT/SIGTERM handling, is
/// killed (SIGKILL) when the parent dies, and exits with the function's result without running
/// the parent's atexit handlers. The handle kills (SIGKILL) and reaps a child still running when
/// it is destroyed. Move-only.
class Child {
public:
    Child() = default;
    /// Forks; the child pins itself to `cpu` first when cpu >= 0. Check valid().
    [[nodiscard]] static auto fork(const std::function<int()>& fn, int cpu = -1) -> Child;
    Child(const Child&) = delete;
    auto operator=(const Child&) -> Child& = delete;
    Child(Child&& o) noexcept : m_pid(std::exchange(o.m_pid, -1)), m_status(o.m_status) {}
    auto operator=(Child&& o) noexcept -> Child&;
    ~Child();

    [[nodiscard]] auto valid() const noexcept -> bool { return m_pid > 0; }
    [[nodiscard]] auto pid() const noexcept -> pid_t { return m_pid; }
    /// True while the child has not exited (reaps it when it has).
    [[nodiscard]] auto running() noexcept -> bool;
    /// Waits up to `timeout` for the child to exit; true if it exited with status 0. On time-out
    /// the child is killed (SIGKILL), reaped and false returned.
    auto wait(std::chrono::milliseconds timeout) noexcept -> bool;
    /// Kills (SIGKILL) and reaps the child if it is still running.
    void kill() noexcept;

private:
    explicit Child(pid_t pid) noexcept : m_pid(pid) {}
    pid_t m_pid{-1};
    int m_status{-1}; ///< wait status once reaped, -1 before
};

} // namespace tp::perf
