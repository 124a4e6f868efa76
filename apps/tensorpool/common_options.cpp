// SPDX-License-Identifier: Apache-2.0
#include "common_options.hpp"

#include <algorithm>

#ifdef HAVE_TP_TRANSPORT

#include "subcommands.hpp"
#include "tensorpool/channel_uri.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include <sys/stat.h>

namespace tp::apps {

auto ClientOptions::control() const -> StreamEndpoint {
    return {control_channel, control_stream, "control"};
}

auto ClientOptions::announce() const -> StreamEndpoint {
    // SPEC_DECISIONS §1: the announce stream is the control stream unless configured.
    return {announce_channel.empty() ? control_channel : announce_channel,
            announce_stream == 0 ? control_stream : announce_stream, "announce"};
}

auto ClientOptions::descriptor() const -> StreamEndpoint {
    return {descriptor_channel, descriptor_stream, "descriptor"};
}

auto ClientOptions::qos() const -> StreamEndpoint {
    return {qos_channel, qos_stream, "qos"};
}

auto ClientOptions::metadata() const -> StreamEndpoint {
    return {metadata_channel, metadata_stream, "metadata"};
}

auto stream_id_validator() -> CLI::Validator {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            std::int64_t v = 0;
            const char* last = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), last, v);
            if (text.empty() || ec != std::errc{} || ptr != last || v < 1 ||
                v > std::numeric_limits<std::int32_t>::max()) {
                return "stream id '" + text + "' is not an integer in 1..2147483647";
            }
            return {};
        },
        "STREAM_ID");
}

auto channel_validator() -> CLI::Validator {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto uri = transport::ChannelUri::parse(text);
            if (!uri) {
                return "bad channel '" + text + "': " + uri.error().message;
            }
            return {};
        },
        "CHANNEL");
}

auto seconds_validator(bool positive) -> CLI::Validator {
    return CLI::Validator(
        [positive](std::string& text) -> std::string {
            double v = 0.0;
            const char* last = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), last, v);
            const bool ok = !text.empty() && ec == std::errc{} && ptr == last && std::isfinite(v) &&
                            (positive ? v > 0.0 : v >= 0.0);
            if (!ok) {
                return "'" + text + "' is not a number of seconds " + (positive ? "> 0" : ">= 0");
            }
            return {};
        },
        "SECONDS");
}

void add_client_options(CLI::App& app, ClientOptions& o) {
    const char* group = "Transport and streams";
    app.add_option("--transport", o.transport, "Transport backend")
        ->check(CLI::IsMember({"builtin", "aeron"}))
        ->envname("TP_TRANSPORT")
        ->capture_default_str()
        ->group(group);
    app.add_option("--transport-dir", o.transport_dir,
                   "Built-in transport directory; every process of a deployment uses the same one (default: "
                   "$TP_TRANSPORT_DIR, else /dev/shm/tensorpool-<user>/transport)")
        ->envname("TP_TRANSPORT_DIR")
        ->group(group);
    app.add_option("--aeron-dir", o.aeron_dir, "Aeron media driver directory (--transport aeron)")
        ->envname("AERON_DIR")
        ->group(group);
    app.add_option("--control-channel", o.control_channel, "Control channel")
        ->envname("TP_CONTROL_CHANNEL")
        ->check(channel_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--control-stream", o.control_stream, "Control stream id")
        ->envname("TP_CONTROL_STREAM_ID")
        ->check(stream_id_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--announce-channel", o.announce_channel, "Announce channel (default: the control channel)")
        ->check(channel_validator())
        ->group(group);
    app.add_option("--announce-stream", o.announce_stream, "Announce stream id (default: the control stream id)")
        ->check(stream_id_validator())
        ->group(group);
    app.add_option("--descriptor-channel", o.descriptor_channel, "Shared descriptor channel")
        ->check(channel_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--descriptor-stream", o.descriptor_stream, "Shared descriptor stream id")
        ->check(stream_id_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--qos-channel", o.qos_channel, "QoS channel")
        ->check(channel_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--qos-stream", o.qos_stream, "QoS stream id")
        ->check(stream_id_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--metadata-channel", o.metadata_channel, "Metadata channel")
        ->check(channel_validator())
        ->capture_default_str()
        ->group(group);
    app.add_option("--metadata-stream", o.metadata_stream, "Metadata stream id")
        ->check(stream_id_validator())
        ->capture_default_str()
        ->group(group);
}

auto create_transport(const ClientOptions& opts, std::string_view command) -> Expected<transport::TransportContext> {
    transport::TransportConfig cfg;
    TP_TRY(kind, transport::parse_transport_kind(opts.transport));
    cfg.kind = kind;
    cfg.directory = opts.transport_dir;
    cfg.aeron_directory = opts.aeron_dir;
    if (cfg.kind == transport::TransportKind::Builtin) {
        const std::string dir = cfg.directory.empty() ? transport::default_transport_directory() : cfg.directory;
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            std::fprintf(stderr,
                         "%.*s: warning: transport directory %s does not exist yet, so nothing publishes there; "
                         "pass the driver's directory with --transport-dir or TP_TRANSPORT_DIR\n",
                         static_cast<int>(command.size()), command.data(), dir.c_str());
        }
    }
    return transport::TransportContext::create(std::move(cfg));
}

auto subscribe_all(transport::TransportContext& ctx, const std::vector<StreamEndpoint>& endpoints)
    -> Expected<std::vector<std::unique_ptr<transport::Subscription>>> {
    std::vector<std::unique_ptr<transport::Subscription>> subs;
    for (const auto& e : endpoints) {
        auto sub = ctx.add_subscription(e.channel, e.stream_id);
        if (!sub) {
            Error err = sub.error();
            err.message =
                "cannot subscribe to " + e.channel + " stream " + std::to_string(e.stream_id) + ": " + err.message;
            return err;
        }
        subs.push_back(std::move(*sub));
    }
    return subs;
}

auto exit_code_for(const Error& e) -> int {
    switch (e.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::InvalidConfig:
    case ErrorCode::ParseError:
    case ErrorCode::Unsupported:
        return EXIT_USAGE;
    default:
        return EXIT_IO;
    }
}

auto distinct(std::vector<StreamEndpoint> endpoints) -> std::vector<StreamEndpoint> {
    std::vector<StreamEndpoint> out;
    for (auto& e : endpoints) {
        bool seen = false;
        for (auto& o : out) {
            if (!seen && o == e) {
                seen = true;
                if (o.role != e.role) {
                    o.role += "+" + e.role;
                }
            }
        }
        if (!seen) {
            out.push_back(std::move(e));
        }
    }
    return out;
}

} // namespace tp::apps

#endif // HAVE_TP_TRANSPORT

namespace tp::apps {

auto to_client_context(const ClientOptions& o) -> ClientContext {
    ClientContext c = ClientContext::from_environment();
    c.transport = o.transport;
    c.transport_dir = o.transport_dir;
    c.aeron_dir = o.aeron_dir;
    const auto ctl = o.control();
    const auto ann = o.announce();
    c.control_channel = ctl.channel;
    c.control_stream_id = ctl.stream_id;
    c.announce_channel = ann.channel;
    c.announce_stream_id = ann.stream_id;
    c.descriptor_channel = o.descriptor().channel;
    c.descriptor_stream_id = o.descriptor().stream_id;
    c.qos_channel = o.qos().channel;
    c.qos_stream_id = o.qos().stream_id;
    c.metadata_channel = o.metadata().channel;
    c.metadata_stream_id = o.metadata().stream_id;
    // An attach sent before the driver subscribed is lost: command-line tools retry after 1 s.
    c.attach_timeout_ns = 1'000'000'000ULL;
    return c;
}

void set_announce_period(ClientContext& ctx, std::uint32_t announce_period_ms) {
    ctx.announce_period_ns = std::uint64_t{announce_period_ms} * 1'000'000ULL;
    ctx.keepalive_interval_ns = std::min(ctx.keepalive_interval_ns, ctx.announce_period_ns);
    ctx.hello_interval_ns = std::min(ctx.hello_interval_ns, ctx.announce_period_ns);
    ctx.qos_interval_ns = std::min(ctx.qos_interval_ns, ctx.announce_period_ns);
}

void add_mapping_options(CLI::App& app, std::vector<std::string>& allowed_dirs, std::uint32_t& announce_period_ms) {
    app.add_option("--allowed-dir", allowed_dirs,
                   "directory region files may live in (repeatable; default /dev/shm; env TP_ALLOWED_BASE_DIRS)")
        ->group("Transport and streams");
    app.add_option("--announce-period-ms", announce_period_ms,
                   "the driver's policies.announce_period_ms (default 1000; env TP_ANNOUNCE_PERIOD_MS)")
        ->envname("TP_ANNOUNCE_PERIOD_MS")
        ->check(CLI::Range(1U, 3600000U))
        ->group("Transport and streams");
}

} // namespace tp::apps
