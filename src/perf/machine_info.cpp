// SPDX-License-Identifier: Apache-2.0
#include "perf/machine_info.hpp"

#include <fstream>
#include <thread>

#include <sys/utsname.h>

namespace tp::perf {

auto machine_info() -> MachineInfo {
    MachineInfo m;
    m.cores = std::thread::hardware_concurrency();
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
            }
            break;
        }
    }
    utsname u{};
    if (::uname(&u) == 0) {
        m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
        m.hostname = u.nodename;
    }
    return m;
}

} // namespace tp::perf
