// SPDX-License-Identifier: Apache-2.0
#pragma once

// Options shared by every subcommand that joins a running system as a client (tap, stat, produce,
// consume, demo): the transport, the channels and the stream ids of SPEC_DECISIONS §1, and the
// TransportContext built from them.

#include "tensorpool/error.hpp"
#include "tensorpool/transport.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tp::apps {

/// Default channel of every shared stream (SPEC_DECISIONS §1, D-01: the identical string everywhere).
inline constexpr const char* DEFAULT_CHANNEL = "aeron:ipc?term-length=4m";
/// Default control stream id (SPEC_DECISIONS §1); the announce stream defaults to it.
inline constexpr std::int32_t DEFAULT_CONTROL_STREAM = 1000;
/// Default shared descriptor stream id (SPEC_DECISIONS §1).
inline constexpr std::int32_t DEFAULT_DESCRIPTOR_STREAM = 1100;
/// Default QoS stream id (SPEC_DECISIONS §1).
inline constexpr std::int32_t DEFAULT_QOS_STREAM = 1200;
/// Default metadata stream id (SPEC_DECISIONS §1).
inline constexpr std::int32_t DEFAULT_METADATA_STREAM = 1300;

/// One transport stream: (channel, stream id).
struct StreamEndpoint {
    std::string channel;       ///< Aeron channel URI
    std::int32_t stream_id{0}; ///< transport stream id
    std::string role;          ///< "control", "announce", "descriptor", "qos", "metadata", "custom", or
                               ///< several joined with '+' when they share the endpoint

    /// Same channel string and stream id (the role does not matter).
    [[nodiscard]] auto operator==(const StreamEndpoint& o) const -> bool {
        return channel == o.channel && stream_id == o.stream_id;
    }
};

/// The values of the common client options after parsing. Defaults follow the driver's
/// (docs/CONFIG.md): announce = control unless set; the other streams on DEFAULT_CHANNEL.
struct ClientOptions {
    std::string transport{"builtin"};                          ///< "builtin" or "aeron"
    std::string transport_dir;                                 ///< empty: the transport's default directory
    std::string aeron_dir;                                     ///< Aeron media driver directory (transport "aeron")
    std::string control_channel{DEFAULT_CHANNEL};              ///< control channel
    std::int32_t control_stream{DEFAULT_CONTROL_STREAM};       ///< control stream id
    std::string announce_channel;                              ///< empty: control_channel
    std::int32_t announce_stream{0};                           ///< 0: control_stream
    std::string descriptor_channel{DEFAULT_CHANNEL};           ///< shared descriptor channel
    std::int32_t descriptor_stream{DEFAULT_DESCRIPTOR_STREAM}; ///< shared descriptor stream id
    std::string qos_channel{DEFAULT_CHANNEL};                  ///< QoS channel
    std::int32_t qos_stream{DEFAULT_QOS_STREAM};               ///< QoS stream id
    std::string metadata_channel{DEFAULT_CHANNEL};             ///< metadata channel
    std::int32_t metadata_stream{DEFAULT_METADATA_STREAM};     ///< metadata stream id

    /// The control stream (driver requests and responses, ConsumerHello/Config, ...).
    [[nodiscard]] auto control() const -> StreamEndpoint;
    /// The announce stream (ShmPoolAnnounce); the control stream unless configured.
    [[nodiscard]] auto announce() const -> StreamEndpoint;
    /// The shared descriptor stream (FrameDescriptor).
    [[nodiscard]] auto descriptor() const -> StreamEndpoint;
    /// The QoS stream (QosProducer, QosConsumer).
    [[nodiscard]] auto qos() const -> StreamEndpoint;
    /// The metadata stream (DataSourceAnnounce, DataSourceMeta).
    [[nodiscard]] auto metadata() const -> StreamEndpoint;
};

/// A CLI11 validator accepting a transport stream id: 1..2^31-1.
[[nodiscard]] auto stream_id_validator() -> CLI::Validator;
/// A CLI11 validator accepting a well-formed Aeron channel URI (ChannelUri::parse).
[[nodiscard]] auto channel_validator() -> CLI::Validator;

/// A CLI11 validator accepting a number of seconds: >= 0, or > 0 when `positive`.
[[nodiscard]] auto seconds_validator(bool positive) -> CLI::Validator;

/// Registers the common client options on `app`, writing into `opts` (which must outlive parsing):
/// --transport, --transport-dir (env TP_TRANSPORT_DIR), --aeron-dir (env AERON_DIR),
/// --control-channel (env TP_CONTROL_CHANNEL), --control-stream (env TP_CONTROL_STREAM_ID),
/// --announce-channel, --announce-stream, --descriptor-channel, --descriptor-stream,
/// --qos-channel, --qos-stream, --metadata-channel, --metadata-stream. Options go into the group
/// "Transport and streams" so that --help keeps a subcommand's own options first.
void add_client_options(CLI::App& app, ClientOptions& opts);

/// Creates the TransportContext the options describe. Warns on stderr (prefixed with `command`)
/// when a built-in transport directory does not exist yet: nothing can be publishing into it.
[[nodiscard]] auto create_transport(const ClientOptions& opts, std::string_view command)
    -> Expected<transport::TransportContext>;

/// Adds one subscription per distinct endpoint. Errors name the endpoint.
[[nodiscard]] auto subscribe_all(transport::TransportContext& ctx, const std::vector<StreamEndpoint>& endpoints)
    -> Expected<std::vector<std::unique_ptr<transport::Subscription>>>;

/// The exit code for a transport or subscription failure: bad channels and arguments are usage
/// errors (2), the rest I/O failures (3).
[[nodiscard]] auto exit_code_for(const Error& e) -> int;

/// Removes repeated endpoints, keeping the first occurrence; the roles of repeats join its role
/// ("control+announce").
[[nodiscard]] auto distinct(std::vector<StreamEndpoint> endpoints) -> std::vector<StreamEndpoint>;

} // namespace tp::apps

#include "tensorpool/client.hpp"

namespace tp::apps {

/// The public client context for the parsed options (producer / consumer roles). Region files are
/// accepted from `allowed_base_dirs` (default /dev/shm, env TP_ALLOWED_BASE_DIRS).
[[nodiscard]] auto to_client_context(const ClientOptions& opts) -> ClientContext;

/// Registers --allowed-dir (repeatable; env TP_ALLOWED_BASE_DIRS, ':'-separated) and
/// --announce-period-ms (env TP_ANNOUNCE_PERIOD_MS) for subcommands that map regions.
void add_mapping_options(CLI::App& app, std::vector<std::string>& allowed_dirs, std::uint32_t& announce_period_ms);

/// Applies the driver's announce period; keepalives, hellos and QoS follow it (as
/// ClientContext::from_environment does), so a driver with short periods keeps the lease alive.
void set_announce_period(ClientContext& ctx, std::uint32_t announce_period_ms);

} // namespace tp::apps
