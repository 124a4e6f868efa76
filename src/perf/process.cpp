// SPDX-License-Identifier: Apache-2.0
#include "perf/process.hpp"

#include "perf/timing.hpp"

#include <csignal>
#include <cstdio>
#include <thread>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tp::perf {

auto map_shared_bytes(std::size_t bytes) noexcept -> void* {
    void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return mem == MAP_FAILED ? nullptr : mem;
}

void unmap_shared_bytes(void* p, std::size_t bytes) noexcept {
    if (p != nullptr) {
        ::munmap(p, bytes);
    }
}

auto Child::fork(const std::function<int()>& fn, int cpu) -> Child {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(1); // the parent died before the death signal was armed
        }
        if (cpu >= 0) {
            pin_to_cpu(cpu);
        }
        int rc = 1;
        try {
            rc = fn();
        } catch (...) {
            rc = 99;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        ::_exit(rc);
    }
    return Child(pid);
}

auto Child::operator=(Child&& o) noexcept -> Child& {
    if (this != &o) {
        kill();
        m_pid = std::exchange(o.m_pid, -1);
        m_status = o.m_status;
    }
    return *this;
}

Child::~Child() {
    kill();
}

auto Child::running() noexcept -> bool {
    if (m_pid <= 0 || m_status != -1) {
        return false;
    }
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = status;
        return false;
    }
    return true;
}

auto Child::wait(std::chrono::milliseconds timeout) noexcept -> bool {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill();
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return m_pid > 0 && WIFEXITED(m_status) && WEXITSTATUS(m_status) == 0;
}

void Child::kill() noexcept {
    if (m_pid > 0 && m_status == -1) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_status = status;
    }
}

} // namespace tp::perf
