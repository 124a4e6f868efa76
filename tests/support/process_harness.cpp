// SPDX-License-Identifier: Apache-2.0
#include "process_harness.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tp::test {

TempDir::TempDir(const std::string& prefix, const std::string& parent) {
    std::string base = parent;
    if (base.empty()) {
        const char* t = std::getenv("TMPDIR");
        base = (t != nullptr && *t != '\0') ? t : "/tmp";
    }
    std::string templ = base + "/" + prefix + "XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + templ + ": " + std::strerror(errno));
    }
    m_path = buf.data();
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
}

TempDir::~TempDir() {
    if (!m_path.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
}

auto ExitStatus::describe() const -> std::string {
    if (timed_out) {
        return "timed out";
    }
    if (exited) {
        return "exited with code " + std::to_string(exit_code);
    }
    if (signaled) {
        return std::string("killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    }
    return "unknown";
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(other.m_pid), m_log_path(std::move(other.m_log_path)), m_status(other.m_status) {
    other.m_pid = -1;
}

auto ChildProcess::operator=(ChildProcess&& other) noexcept -> ChildProcess& {
    if (this != &other) {
        if (m_pid > 0 && !m_status) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        m_pid = other.m_pid;
        m_log_path = std::move(other.m_log_path);
        m_status = other.m_status;
        other.m_pid = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (m_pid > 0 && !m_status) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
}

namespace {
void redirect_output(const std::string& log_path) {
    if (log_path.empty()) {
        return;
    }
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
}
} // namespace

auto ChildProcess::fork_function(const std::function<int()>& fn, const std::string& log_path) -> ChildProcess {
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid == 0) {
        redirect_output(log_path);
        int rc = 99;
        try {
            rc = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: uncaught exception: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "child: uncaught exception\n");
        }
        std::fflush(stdout);
        std::fflush(stderr);
        ::_exit(rc);
    }
    ChildProcess child;
    child.m_pid = pid;
    child.m_log_path = log_path;
    return child;
}

auto ChildProcess::spawn(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path,
                         const std::vector<std::string>& extra_env) -> ChildProcess {
    std::vector<std::string> argv_s;
    argv_s.push_back(exe);
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
        env_s.emplace_back(*e);
    }
    env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_s) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid == 0) {
        redirect_output(log_path);
        ::execve(exe.c_str(), argv.data(), envp.data());
        std::fprintf(stderr, "exec %s failed: %s\n", exe.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    ChildProcess child;
    child.m_pid = pid;
    child.m_log_path = log_path;
    return child;
}

auto ChildProcess::running() -> bool {
    if (m_pid <= 0 || m_status) {
        return false;
    }
    auto st = wait(std::chrono::milliseconds(0));
    return st.timed_out;
}

void ChildProcess::kill(int sig) {
    if (m_pid > 0 && !m_status) {
        ::kill(m_pid, sig);
    }
}

auto ChildProcess::wait(std::chrono::milliseconds timeout) -> ExitStatus {
    if (m_status) {
        return *m_status;
    }
    if (m_pid <= 0) {
        ExitStatus st;
        return st;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(100);
    while (true) {
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            ExitStatus st;
            if (WIFEXITED(status)) {
                st.exited = true;
                st.exit_code = WEXITSTATUS(status);
            } else if (WIFSIGNALED(status)) {
                st.signaled = true;
                st.signal = WTERMSIG(status);
            }
            m_status = st;
            return st;
        }
        if (r < 0 && errno != EINTR) {
            ExitStatus st;
            m_status = st;
            return st;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ExitStatus st;
            st.timed_out = true;
            return st;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(10'000));
    }
}

auto ChildProcess::output() const -> std::string {
    return m_log_path.empty() ? std::string{} : read_file(m_log_path);
}

auto wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout, std::chrono::microseconds poll)
    -> bool {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (pred()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(poll);
    }
}

auto read_file(const std::string& path) -> std::string {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

auto binary_dir() -> std::string {
#ifdef TP_BINARY_DIR
    return TP_BINARY_DIR;
#else
    return ".";
#endif
}

} // namespace tp::test
