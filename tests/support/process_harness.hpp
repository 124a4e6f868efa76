// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small harness for multi-process tests: per-test temporary directories, child processes (a
// function in a forked child, or an executable), deadlines instead of sleeps, captured output.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tp::test {

/// A temporary directory removed (recursively) on destruction.
class TempDir {
public:
    /// Creates `<parent>/<prefix>XXXXXX` (parent defaults to $TMPDIR or /tmp).
    explicit TempDir(const std::string& prefix = "tp-test-", const std::string& parent = "");
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    TempDir(TempDir&& other) noexcept;
    auto operator=(TempDir&&) -> TempDir& = delete;
    ~TempDir();

    [[nodiscard]] auto path() const -> const std::string& { return m_path; }
    /// path() + "/" + name.
    [[nodiscard]] auto file(const std::string& name) const -> std::string { return m_path + "/" + name; }

private:
    std::string m_path;
};

/// Result of waiting for a child.
struct ExitStatus {
    bool exited{false};   ///< terminated normally
    int exit_code{-1};    ///< valid when exited
    bool signaled{false}; ///< killed by a signal
    int signal{0};        ///< valid when signaled
    bool timed_out{false};
    [[nodiscard]] auto ok() const -> bool { return exited && exit_code == 0; }
    [[nodiscard]] auto describe() const -> std::string;
};

/// A child process. Killed with SIGKILL and reaped on destruction if still running.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    auto operator=(const ChildProcess&) -> ChildProcess& = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    auto operator=(ChildProcess&& other) noexcept -> ChildProcess&;
    ~ChildProcess();

    /// Forks and runs fn in the child; the child exits with fn's return value (uncaught
    /// exceptions exit 99). stdout/stderr go to log_path when given.
    [[nodiscard]] static auto fork_function(const std::function<int()>& fn, const std::string& log_path = "")
        -> ChildProcess;
    /// Starts an executable with arguments and extra environment ("KEY=VALUE"); output to log_path.
    [[nodiscard]] static auto spawn(const std::string& exe, const std::vector<std::string>& args,
                                    const std::string& log_path = "", const std::vector<std::string>& extra_env = {})
        -> ChildProcess;

    [[nodiscard]] auto pid() const -> pid_t { return m_pid; }
    [[nodiscard]] auto running() -> bool;
    /// Sends a signal (SIGKILL for kill -9 scenarios).
    void kill(int sig);
    /// Waits up to timeout; on time-out returns timed_out (the child keeps running).
    auto wait(std::chrono::milliseconds timeout) -> ExitStatus;
    /// The captured output so far (empty without a log path).
    [[nodiscard]] auto output() const -> std::string;

private:
    pid_t m_pid{-1};
    std::string m_log_path;
    std::optional<ExitStatus> m_status;
};

/// Polls pred every `poll` until it returns true or the deadline passes. Returns pred's last value.
auto wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::microseconds poll = std::chrono::microseconds(200)) -> bool;

/// Reads a whole file ("" if it cannot be read).
auto read_file(const std::string& path) -> std::string;

/// Directory holding the project's built executables (set at build time).
auto binary_dir() -> std::string;

} // namespace tp::test
