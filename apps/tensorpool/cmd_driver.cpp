// SPDX-License-Identifier: Apache-2.0
// `tensorpool driver`: runs the SHM driver until SIGINT/SIGTERM (graceful drain) or an accepted
// ShmDriverShutdownRequest.
#include "subcommands.hpp"

#include "tensorpool/driver.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace tp::apps {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int /*sig*/) {
    // Second signal: leave at once without draining.
    if (g_signals.fetch_add(1) >= 1) {
        std::_Exit(130);
    }
    g_stop.store(true, std::memory_order_release);
}

auto run_driver(const std::string& config_path, bool check_only) -> int {
    auto drv = config_path.empty() ? Driver::create_from_toml(R"(
[profiles.default]
header_nslots = 1024
payload_pools = [ { pool_id = 1, stride_bytes = 65536 }, { pool_id = 2, stride_bytes = 1048576 },
                  { pool_id = 3, stride_bytes = 16777216 } ]
[streams.default]
stream_id = 10000
profile = "default"
)")
                                   : Driver::create_from_file(config_path);
    if (!drv) {
        const auto& e = drv.error();
        std::fprintf(stderr, "tensorpool driver: %s\n", e.to_string().c_str());
        if (e.code == ErrorCode::InvalidConfig || e.code == ErrorCode::ParseError) {
            std::fprintf(stderr, "fix the configuration (keys and defaults: docs/CONFIG.md)\n");
            return EXIT_USAGE;
        }
        return e.code == ErrorCode::NotFound ? EXIT_USAGE : EXIT_IO;
    }
    for (const auto& w : drv->warnings()) {
        std::fprintf(stderr, "tensorpool driver: warning: %s\n", w.c_str());
    }
    std::fputs(drv->describe().c_str(), stdout);
    if (check_only) {
        std::puts("configuration ok");
        return EXIT_OK;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("driver running (pid %d); SIGINT/SIGTERM drains and stops\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    drv->run(g_stop);
    const auto s = drv->stats();
    std::printf("driver stopped: attaches %llu, expiries %llu, revocations %llu, epochs %llu, malformed %llu\n",
                static_cast<unsigned long long>(s.attaches_ok), static_cast<unsigned long long>(s.expiries),
                static_cast<unsigned long long>(s.revocations), static_cast<unsigned long long>(s.epoch_bumps),
                static_cast<unsigned long long>(s.malformed_messages));
    return EXIT_OK;
}

const SubcommandRegistration REG{
    "driver", "Run the SHM driver (leases, epochs, announces)", [](CLI::App& app) {
        auto config = std::make_shared<std::string>();
        auto check = std::make_shared<bool>(false);
        app.add_option("-c,--config", *config,
                       "TOML configuration file (docs/CONFIG.md); without it: one stream 10000 with pools of 64 KiB, "
                       "1 MiB and 16 MiB")
            ->check(CLI::ExistingFile);
        app.add_flag("--check", *check, "validate the configuration, print the streams and exit");
        return SubcommandRunner{[config, check] { return run_driver(*config, *check); }};
    }};

} // namespace
} // namespace tp::apps
