// SPDX-License-Identifier: Apache-2.0
// `tensorpool tap`: subscribes to streams and prints every message as one JSON line, decoded with
// the generated JSON reflection, in any of the schemas this build speaks (900-905, 910). A message
// the dispatcher would drop prints as a line with "error" (the drop reason) and its bytes in hex.
#include "subcommands.hpp"

#if defined(HAVE_TP_TRANSPORT) && defined(HAVE_TP_CODEC_JSON)

#include "common/clock.hpp"
#include "common_options.hpp"
#include "concurrent/idle_strategy.hpp"
#include "stop_signal.hpp"

#include "codec/dispatch.hpp"
#include "codec/message_json.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace tp::apps {
namespace {

using codec::Json;

struct TapOptions {
    ClientOptions client;
    std::string channel;               ///< overrides every stream's channel when set
    std::vector<std::int32_t> streams; ///< empty: control, announce, descriptor, QoS, metadata
    std::uint64_t count{0};            ///< 0: no limit
    double duration_s{0.0};            ///< 0: no limit
    bool raw_hex{false};
};

/// The streams to tap: the given ones on --channel (default: the control channel), else the
/// well-known streams of SPEC_DECISIONS §1 on their own channels.
auto tap_endpoints(const TapOptions& o) -> std::vector<StreamEndpoint> {
    std::vector<StreamEndpoint> eps;
    if (!o.streams.empty()) {
        const std::string channel = o.channel.empty() ? o.client.control_channel : o.channel;
        for (const std::int32_t s : o.streams) {
            eps.push_back({channel, s, "custom"});
        }
    } else {
        eps = {o.client.control(), o.client.announce(), o.client.descriptor(), o.client.qos(), o.client.metadata()};
        if (!o.channel.empty()) {
            for (auto& e : eps) {
                e.channel = o.channel;
            }
        }
    }
    return distinct(std::move(eps));
}

class Tap {
public:
    Tap(const TapOptions& opts, std::vector<StreamEndpoint> endpoints,
        std::vector<std::unique_ptr<transport::Subscription>> subs)
        : m_opts(opts), m_endpoints(std::move(endpoints)), m_subs(std::move(subs)) {}

    auto run() -> int {
        const std::uint64_t start = common::monotonic_ns();
        const std::uint64_t deadline = m_opts.duration_s > 0.0
                                           ? start + static_cast<std::uint64_t>(std::llround(m_opts.duration_s * 1e9))
                                           : std::numeric_limits<std::uint64_t>::max();
        concurrent::BackoffIdleStrategy idle(10, 5, std::chrono::microseconds(1), std::chrono::milliseconds(1));
        while (!stop_requested() && !m_write_failed && !limit_reached() && common::monotonic_ns() < deadline) {
            int work = 0;
            for (std::size_t i = 0; i < m_subs.size() && !m_write_failed && !limit_reached(); ++i) {
                const int limit = fragment_limit();
                work += m_subs[i]->poll([this, i](std::span<const std::uint8_t> msg,
                                                  const transport::MessageHeader& h) { on_message(i, msg, h); },
                                        limit);
            }
            idle.idle(work);
        }
        // A tap that cannot keep up (a slow reader of its output) is skipped forward by the
        // transport rather than holding publishers back; say so instead of hiding it.
        std::uint64_t rejoins = 0;
        std::uint64_t gaps = 0;
        for (const auto& sub : m_subs) {
            const transport::SubscriptionCounters c = sub->counters();
            rejoins += c.rejoins;
            gaps += c.gaps;
        }
        std::string skipped;
        if (rejoins + gaps != 0) {
            skipped = ", skipped forward " + std::to_string(rejoins) + " times, " + std::to_string(gaps) + " gaps";
        }
        std::fprintf(stderr, "tensorpool tap: %llu messages, %llu malformed%s\n",
                     static_cast<unsigned long long>(m_printed), static_cast<unsigned long long>(m_malformed),
                     skipped.c_str());
        if (m_write_failed) {
            // A closed pipe (`| head`) is the reader's choice; any other write failure is an error.
            return m_write_errno == EPIPE ? EXIT_OK : EXIT_IO;
        }
        return EXIT_OK;
    }

private:
    [[nodiscard]] auto limit_reached() const -> bool { return m_opts.count != 0 && m_printed >= m_opts.count; }

    [[nodiscard]] auto fragment_limit() const -> int {
        constexpr std::uint64_t BATCH = 64;
        const std::uint64_t left = m_opts.count == 0 ? BATCH : std::min(BATCH, m_opts.count - m_printed);
        return static_cast<int>(left);
    }

    void on_message(std::size_t index, std::span<const std::uint8_t> bytes, const transport::MessageHeader& h) {
        if (m_write_failed || limit_reached()) {
            return;
        }
        Json line = Json::object();
        line["ts_ns"] = common::monotonic_ns();
        line["channel"] = m_endpoints[index].channel;
        line["stream"] = h.stream_id;
        line["session"] = h.session_id;
        const codec::MessageInfo info = codec::describe_message(bytes);
        line["schema"] = info.schema.empty() ? Json(nullptr) : Json(std::string(info.schema));
        line["schemaId"] = info.has_header ? Json(info.header.schema_id) : Json(nullptr);
        line["template"] = info.name.empty() ? Json(nullptr) : Json(std::string(info.name));
        line["templateId"] = info.has_header ? Json(info.header.template_id) : Json(nullptr);
        line["length"] = bytes.size();

        std::size_t body_length = 0;
        const codec::DispatchOutcome outcome = codec::check_message(bytes, body_length);
        codec::DropReason reason = outcome.reason;
        codec::CodecError detail = outcome.error;
        if (outcome.result != codec::DispatchResult::Dropped && outcome.type != nullptr) {
            Json fields;
            std::size_t decoded = 0;
            const codec::CodecError e =
                codec::body_to_json(*outcome.type, bytes, codec::MESSAGE_HEADER_LENGTH, info.header.block_length,
                                    info.header.version, fields, decoded);
            if (e == codec::CodecError::None) {
                line["fields"] = std::move(fields);
                if (m_opts.raw_hex) {
                    line["hex"] = codec::json_detail::hex_json(bytes);
                }
                write_line(line);
                return;
            }
            reason = codec::DropReason::MalformedBody; // the checks passed but decoding did not
            detail = e;
        }
        // SPEC_DECISIONS §2: what a receiver would drop, with the reason and the evidence.
        ++m_malformed;
        line["error"] = std::string(codec::to_string(reason));
        if (detail != codec::CodecError::None) {
            line["detail"] = std::string(codec::to_string(detail));
        }
        if (info.has_header) {
            line["version"] = info.header.version;
            line["blockLength"] = info.header.block_length;
        }
        line["hex"] = codec::json_detail::hex_json(bytes);
        write_line(line);
    }

    void write_line(const Json& line) {
        std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
        text.push_back('\n');
        // One line per message, flushed at once so that `| jq` sees it now.
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
            m_write_failed = true;
            m_write_errno = errno;
            return;
        }
        ++m_printed;
    }

    const TapOptions& m_opts;
    std::vector<StreamEndpoint> m_endpoints;
    std::vector<std::unique_ptr<transport::Subscription>> m_subs;
    std::uint64_t m_printed{0};
    std::uint64_t m_malformed{0};
    bool m_write_failed{false};
    int m_write_errno{0};
};

auto run_tap(const TapOptions& opts) -> int {
    const std::vector<StreamEndpoint> endpoints = tap_endpoints(opts);
    auto ctx = create_transport(opts.client, "tensorpool tap");
    if (!ctx) {
        std::fprintf(stderr, "tensorpool tap: cannot open the transport: %s\n", ctx.error().to_string().c_str());
        return exit_code_for(ctx.error());
    }
    auto subs = subscribe_all(*ctx, endpoints);
    if (!subs) {
        std::fprintf(stderr, "tensorpool tap: %s\n", subs.error().to_string().c_str());
        return exit_code_for(subs.error());
    }
    install_stop_handlers();
    std::string listening;
    for (const auto& e : endpoints) {
        listening += (listening.empty() ? "" : ", ") + e.channel + " stream " + std::to_string(e.stream_id);
        if (e.role != "custom") {
            listening += " (" + e.role + ")";
        }
    }
    std::fprintf(stderr, "tensorpool tap: listening on %s in %s\n", listening.c_str(), ctx->config().directory.c_str());
    Tap tap(opts, endpoints, std::move(*subs));
    return tap.run();
}

const SubcommandRegistration REG{
    "tap", "Print every message on streams as JSON lines (all schemas; malformed ones with the drop reason)",
    [](CLI::App& app) {
        auto opts = std::make_shared<TapOptions>();
        app.add_option("--channel", opts->channel,
                       "Channel of the tapped streams (default: the control channel for --stream, each stream's own "
                       "channel otherwise)")
            ->check(channel_validator());
        app.add_option("--stream", opts->streams,
                       "Stream id to tap; repeat for several (default: control 1000, announce if different, "
                       "descriptor 1100, QoS 1200, metadata 1300)")
            ->check(stream_id_validator());
        app.add_option("--count", opts->count, "Exit after this many messages (0: no limit)");
        app.add_option("--duration", opts->duration_s, "Exit after this many seconds (0: until SIGINT)")
            ->check(seconds_validator(false));
        app.add_flag("--raw-hex", opts->raw_hex, "Add the message bytes as \"hex\" to every line");
        add_client_options(app, opts->client);
        return SubcommandRunner{[opts] { return run_tap(*opts); }};
    }};

} // namespace
} // namespace tp::apps

#endif // HAVE_TP_TRANSPORT && HAVE_TP_CODEC_JSON
