// SPDX-License-Identifier: Apache-2.0
// `tensorpool stat`: a live view of the system from its announce, control, QoS and metadata
// streams (Wire §10.5 supervisor table): streams, producers, consumers, rates, drops, and
// driver-wide outcomes. Redraws in place on a terminal; prints periodic blocks otherwise; with
// --json collects for a while and prints one snapshot.
#include "subcommands.hpp"

#if defined(HAVE_TP_TRANSPORT) && defined(HAVE_TP_CLIENT) && defined(HAVE_TP_CODEC)

#include "common/clock.hpp"
#include "common_options.hpp"
#include "concurrent/idle_strategy.hpp"
#include "stat_view.hpp"
#include "stop_signal.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace tp::apps {
namespace {

struct StatOptions {
    ClientOptions client;
    bool json{false};
    double interval_s{1.0};
    double duration_s{-1.0}; ///< < 0: not given (3 s with --json, until SIGINT otherwise)
    double stale_after_s{3.0};
    double forget_after_s{30.0};
};

auto to_ns(double seconds) -> std::uint64_t {
    return static_cast<std::uint64_t>(std::llround(seconds * 1e9));
}

auto describe(const std::vector<StreamEndpoint>& eps) -> std::string {
    std::string s;
    for (const auto& e : eps) {
        s += (s.empty() ? "" : ", ") + e.channel + " stream " + std::to_string(e.stream_id) + " (" + e.role + ")";
    }
    return s;
}

auto write_all(const std::string& text) -> bool {
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
}

auto run_stat(const StatOptions& o) -> int {
    // The control stream carries attach / revoke / shutdown outcomes and, by default, the
    // announces (SPEC_DECISIONS §1); QoS and metadata streams carry the rest of the table.
    const std::vector<StreamEndpoint> endpoints =
        distinct({o.client.control(), o.client.announce(), o.client.qos(), o.client.metadata()});
    auto ctx = create_transport(o.client, "tensorpool stat");
    if (!ctx) {
        std::fprintf(stderr, "tensorpool stat: cannot open the transport: %s\n", ctx.error().to_string().c_str());
        return exit_code_for(ctx.error());
    }
    auto subs = subscribe_all(*ctx, endpoints);
    if (!subs) {
        std::fprintf(stderr, "tensorpool stat: %s\n", subs.error().to_string().c_str());
        return exit_code_for(subs.error());
    }
    install_stop_handlers();
    std::fprintf(stderr, "tensorpool stat: listening on %s in %s\n", describe(endpoints).c_str(),
                 ctx->config().directory.c_str());

    const double duration_s = o.duration_s >= 0.0 ? o.duration_s : (o.json ? 3.0 : 0.0);
    const std::uint64_t start = common::monotonic_ns();
    const std::uint64_t deadline =
        duration_s > 0.0 ? start + to_ns(duration_s) : std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t interval_ns = to_ns(o.interval_s);
    const bool terminal = !o.json && ::isatty(STDOUT_FILENO) == 1;
    std::uint64_t next_render = terminal ? start : start + interval_ns; // a terminal shows the frame at once
    StatView view(to_ns(o.stale_after_s));
    concurrent::BackoffIdleStrategy idle(10, 5, std::chrono::microseconds(1), std::chrono::milliseconds(1));

    const std::string transport_dir = ctx->config().directory;
    auto render = [&](std::uint64_t now, bool final_block) -> bool {
        const std::string table = view.render_text(now);
        char head[512];
        if (terminal) {
            std::snprintf(head, sizeof head, "\x1b[H\x1b[2Jtensorpool stat  %s  every %.1f s  (Ctrl-C quits)\n\n",
                          transport_dir.c_str(), o.interval_s);
        } else {
            std::snprintf(head, sizeof head, "--- tensorpool stat +%.1f s%s ---\n",
                          static_cast<double>(now - start) / 1e9, final_block ? " (final)" : "");
        }
        return write_all(std::string(head) + table + (terminal ? "" : "\n"));
    };

    std::uint64_t now = start;
    while (!stop_requested() && now < deadline) {
        int work = 0;
        for (auto& sub : *subs) {
            work += sub->poll([&](std::span<const std::uint8_t> msg,
                                  const transport::MessageHeader&) { view.on_message(msg, common::monotonic_ns()); },
                              64);
        }
        now = common::monotonic_ns();
        if (!o.json && now >= next_render) {
            view.expire(now, to_ns(o.forget_after_s));
            if (!render(now, false)) {
                return errno == EPIPE ? EXIT_OK : EXIT_IO; // EPIPE: the reader went away (`| head`)
            }
            next_render = std::max(next_render + interval_ns, now + interval_ns / 2);
        }
        idle.idle(work);
    }
    now = common::monotonic_ns();
    view.expire(now, to_ns(o.forget_after_s));
    if (o.json) {
        auto doc = view.to_json(now);
        doc["collected_s"] = std::round(static_cast<double>(now - start) / 1e8) / 10.0;
        return write_all(doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n") ? EXIT_OK
                                                                                                           : EXIT_IO;
    }
    if (!terminal) {
        render(now, true);
    }
    return EXIT_OK;
}

const SubcommandRegistration REG{
    "stat", "Live view of streams, producers, consumers, rates, drops and driver outcomes", [](CLI::App& app) {
        auto opts = std::make_shared<StatOptions>();
        app.add_flag("--json", opts->json, "Collect for --duration (default 3 s), print one JSON snapshot, exit");
        app.add_option("--interval", opts->interval_s, "Seconds between redraws")
            ->check(CLI::Range(0.05, 3600.0))
            ->capture_default_str();
        app.add_option("--duration", opts->duration_s,
                       "Seconds to run (default: 3 with --json, until SIGINT otherwise; 0: until SIGINT)")
            ->check(seconds_validator(false));
        app.add_option("--stale-after", opts->stale_after_s,
                       "Flag a stream STALE after this many seconds without "
                       "an announce")
            ->check(seconds_validator(true))
            ->capture_default_str();
        app.add_option("--forget-after", opts->forget_after_s,
                       "Drop streams and consumers not heard from for this many seconds")
            ->check(seconds_validator(true))
            ->capture_default_str();
        add_client_options(app, opts->client);
        return SubcommandRunner{[opts] { return run_stat(*opts); }};
    }};

} // namespace
} // namespace tp::apps

#endif // HAVE_TP_TRANSPORT && HAVE_TP_CLIENT && HAVE_TP_CODEC
