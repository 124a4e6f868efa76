// SPDX-License-Identifier: Apache-2.0
#include "aeron_test_driver.hpp"

#include "process_harness.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace tp::test {

namespace {

/// One aeronmd child in a temporary directory; SIGTERM (clean shutdown) at destruction, and it
/// receives SIGTERM too if this process dies first (PR_SET_PDEATHSIG).
class MediaDriverProcess {
public:
    explicit MediaDriverProcess(const std::string& exe) {
        m_dir = std::make_unique<TempDir>("tp-aeronmd-", "/dev/shm");
        m_aeron_dir = m_dir->file("aeron");
        std::vector<std::string> env_s;
        for (char** e = environ; *e != nullptr; ++e) {
            env_s.emplace_back(*e);
        }
        // Short timeouts so the tests for dead peers finish quickly; one driver thread so the
        // driver shares a small machine politely.
        for (const char* setting :
             {"AERON_THREADING_MODE=SHARED", "AERON_SHARED_IDLE_STRATEGY=backoff", "AERON_CLIENT_LIVENESS_TIMEOUT=2s",
              "AERON_IMAGE_LIVENESS_TIMEOUT=2s", "AERON_PUBLICATION_UNBLOCK_TIMEOUT=3s",
              "AERON_PUBLICATION_LINGER_TIMEOUT=500ms", "AERON_UNTETHERED_WINDOW_LIMIT_TIMEOUT=1s",
              "AERON_UNTETHERED_RESTING_TIMEOUT=1s", "AERON_TIMER_INTERVAL=100ms", "AERON_DIR_DELETE_ON_START=true",
              "AERON_DIR_DELETE_ON_SHUTDOWN=true", "AERON_TERM_BUFFER_SPARSE_FILE=true"}) {
            env_s.emplace_back(setting);
        }
        env_s.push_back("AERON_DIR=" + m_aeron_dir);
        std::vector<char*> envp;
        for (auto& e : env_s) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        std::string exe_copy = exe;
        std::vector<char*> argv{exe_copy.data(), nullptr};
        const std::string log = m_dir->file("aeronmd.log");
        const pid_t parent = ::getpid();
        m_pid = ::fork();
        if (m_pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) {
                ::_exit(1);
            }
            if (FILE* f = std::freopen(log.c_str(), "w", stdout); f != nullptr) {
                ::dup2(::fileno(stdout), STDERR_FILENO);
            }
            ::execve(exe_copy.c_str(), argv.data(), envp.data());
            ::_exit(127);
        }
        m_owner = parent;
    }

    MediaDriverProcess(const MediaDriverProcess&) = delete;
    auto operator=(const MediaDriverProcess&) -> MediaDriverProcess& = delete;
    MediaDriverProcess(MediaDriverProcess&&) = delete;
    auto operator=(MediaDriverProcess&&) -> MediaDriverProcess& = delete;

    ~MediaDriverProcess() {
        if (m_pid <= 0 || ::getpid() != m_owner) {
            return; // a forked test child: the driver belongs to the parent
        }
        ::kill(m_pid, SIGTERM);
        for (int i = 0; i < 500; ++i) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }

    /// Waits for the driver's CnC file (the client then connects by itself).
    auto wait_ready(std::string* why) -> bool {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            if (m_pid <= 0 || ::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                *why = "aeronmd exited at start: " + read_file(m_dir->file("aeronmd.log"));
                return false;
            }
            if (std::filesystem::exists(m_aeron_dir + "/cnc.dat")) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        *why = "aeronmd did not create " + m_aeron_dir + "/cnc.dat";
        return false;
    }

    [[nodiscard]] auto aeron_dir() const -> const std::string& { return m_aeron_dir; }

private:
    std::unique_ptr<TempDir> m_dir;
    std::string m_aeron_dir;
    pid_t m_pid{-1};
    pid_t m_owner{-1};
};

} // namespace

auto test_transport_is_aeron() -> bool {
    const char* v = std::getenv("TP_TEST_TRANSPORT");
    return v != nullptr && std::string(v) == "aeron";
}

auto test_transport_kind() -> std::string {
    return test_transport_is_aeron() ? "aeron" : "builtin";
}

auto aeronmd_executable() -> std::string {
    if (const char* v = std::getenv("TP_AERONMD"); v != nullptr && *v != '\0') {
        return v;
    }
#ifdef TP_AERONMD_EXECUTABLE
    return TP_AERONMD_EXECUTABLE;
#else
    return {};
#endif
}

auto shared_aeron_directory(std::string* why) -> std::string {
    static std::mutex mutex;
    static std::unique_ptr<MediaDriverProcess> driver;
    static std::string failure;
    const std::lock_guard lock(mutex);
    if (!driver && failure.empty()) {
        const std::string exe = aeronmd_executable();
        if (exe.empty()) {
            failure = "no aeronmd (configure with AERON_ROOT, or set TP_AERONMD)";
        } else {
            auto d = std::make_unique<MediaDriverProcess>(exe);
            if (d->wait_ready(&failure)) {
                driver = std::move(d);
            }
        }
    }
    if (!driver) {
        if (why != nullptr) {
            *why = failure;
        }
        return {};
    }
    return driver->aeron_dir();
}

} // namespace tp::test
