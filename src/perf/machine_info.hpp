// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a benchmark ran on.

#include <string>

namespace tp::perf {

/// The machine a run measured.
struct MachineInfo {
    unsigned cores{0};     ///< online CPUs
    std::string cpu_model; ///< "model name" of /proc/cpuinfo (empty if unknown)
    std::string kernel;    ///< uname: sysname release machine
    std::string hostname;
};

/// Reads the machine info (cold; never fails: unknown fields stay empty).
[[nodiscard]] auto machine_info() -> MachineInfo;

} // namespace tp::perf
