// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/client.hpp"

#include <cstdlib>
#include <sstream>

namespace tp {

namespace {
auto env(const char* name) -> const char* {
    const char* v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? v : nullptr;
}
} // namespace

auto ClientContext::from_environment() -> ClientContext {
    ClientContext c;
    if (const char* v = env("TP_TRANSPORT")) {
        c.transport = v;
    }
    if (const char* v = env("TP_TRANSPORT_DIR")) {
        c.transport_dir = v;
    }
    if (const char* v = env("AERON_DIR")) {
        c.aeron_dir = v;
    }
    if (const char* v = env("TP_CONTROL_CHANNEL")) {
        c.control_channel = v;
        c.announce_channel = v;
    }
    if (const char* v = env("TP_CONTROL_STREAM_ID")) {
        c.control_stream_id = static_cast<std::int32_t>(std::strtol(v, nullptr, 10));
        c.announce_stream_id = c.control_stream_id;
    }
    if (const char* v = env("TP_ANNOUNCE_STREAM_ID")) {
        c.announce_stream_id = static_cast<std::int32_t>(std::strtol(v, nullptr, 10));
    }
    if (const char* v = env("TP_ALLOWED_BASE_DIRS")) {
        c.allowed_base_dirs.clear();
        std::stringstream ss(v);
        std::string dir;
        while (std::getline(ss, dir, ':')) {
            if (!dir.empty()) {
                c.allowed_base_dirs.push_back(dir);
            }
        }
    }
    if (const char* v = env("TP_ANNOUNCE_PERIOD_MS")) {
        const auto ms = std::strtoull(v, nullptr, 10);
        if (ms > 0) {
            c.announce_period_ns = ms * 1'000'000ULL;
            c.keepalive_interval_ns = c.announce_period_ns;
            c.hello_interval_ns = c.announce_period_ns;
            c.qos_interval_ns = c.announce_period_ns;
        }
    }
    return c;
}

} // namespace tp
