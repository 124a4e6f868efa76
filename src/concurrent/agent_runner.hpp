// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <concepts>
#include <thread>
#include <utility>

namespace tp::concurrent {

/// An agent: `int do_work()` returns the amount of work done in one duty cycle.
template <typename A>
concept Agent = requires(A& a) {
    { a.do_work() } -> std::convertible_to<int>;
};

/// Runs an agent's duty cycle on the caller's thread, one cycle per invoke() (Agrona's
/// AgentInvoker): for applications that own their loop.
template <Agent A>
class AgentInvoker {
public:
    explicit AgentInvoker(A& agent) noexcept : m_agent(agent) {}
    auto invoke() -> int { return m_agent.do_work(); }

private:
    A& m_agent;
};

/// Runs an agent on its own thread with an idle strategy until stop() (Agrona's AgentRunner).
/// The agent must outlive the runner. stop() joins.
template <Agent A, typename Idle>
class AgentRunner {
public:
    AgentRunner(A& agent, Idle idle) : m_agent(agent), m_idle(std::move(idle)) {}
    AgentRunner(const AgentRunner&) = delete;
    auto operator=(const AgentRunner&) -> AgentRunner& = delete;
    ~AgentRunner() { stop(); }

    void start() {
        m_running.store(true, std::memory_order_release);
        m_thread = std::thread([this] {
            // SYNC POINT(agent_runner_stop): acquire pairs with the release store in stop().
            while (m_running.load(std::memory_order_acquire)) {
                m_idle.idle(m_agent.do_work());
            }
        });
    }
    void stop() {
        m_running.store(false, std::memory_order_release);
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

private:
    A& m_agent;
    Idle m_idle;
    std::atomic<bool> m_running{false};
    std::thread m_thread;
};

} // namespace tp::concurrent
