// SPDX-License-Identifier: Apache-2.0
#include "perf/timing.hpp"

#include <algorithm>
#include <thread>

#include "concurrent/atomic_ops.hpp"

#include <sched.h>

namespace tp::perf {

auto ticks_per_ns(std::chrono::milliseconds calibration) -> double {
#if defined(__x86_64__)
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = ticks();
    std::this_thread::sleep_for(calibration);
    const std::uint64_t c1 = ticks();
    const auto t1 = std::chrono::steady_clock::now();
    return static_cast<double>(c1 - c0) / static_cast<double>((t1 - t0).count());
#else
    (void)calibration;
    return 1.0;
#endif
}

auto percentiles_of(std::vector<std::uint64_t>& samples, double divisor) -> Percentiles {
    if (samples.empty()) {
        return {};
    }
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) {
        const auto idx = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
        return static_cast<double>(samples[idx]) / divisor;
    };
    return Percentiles{at(0.50), at(0.99), at(0.999), samples.size()};
}

void SpinYield::idle() noexcept {
    if ((++m_idle & 255U) == 0) {
        std::this_thread::yield();
    } else {
        concurrent::cpu_relax();
    }
}

void pin_to_cpu(int cpu) noexcept {
    if (std::thread::hardware_concurrency() < 2) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)::sched_setaffinity(0, sizeof(set), &set);
}

} // namespace tp::perf
