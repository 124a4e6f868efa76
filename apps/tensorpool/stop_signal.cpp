// SPDX-License-Identifier: Apache-2.0
#include "stop_signal.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace tp::apps {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};

extern "C" void on_stop_signal(int /*sig*/) {
    // A second signal: the user insists; leave without the final report.
    if (g_signals.fetch_add(1) >= 1) {
        std::_Exit(130);
    }
    // SYNC POINT(stop-flag): release pairs with the acquire in stop_requested().
    g_stop.store(true, std::memory_order_release);
}

} // namespace

void install_stop_handlers() {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGPIPE, SIG_IGN);
}

auto stop_requested() noexcept -> bool {
    // SYNC POINT(stop-flag): acquire pairs with the release in the signal handler.
    return g_stop.load(std::memory_order_acquire);
}

} // namespace tp::apps
