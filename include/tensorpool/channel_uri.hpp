// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tp::transport {

/// Smallest and largest term length Aeron accepts (`term-length`, a power of two).
inline constexpr std::uint32_t MIN_TERM_LENGTH = 64U * 1024U;
inline constexpr std::uint32_t MAX_TERM_LENGTH = 1024U * 1024U * 1024U;
/// Smallest and largest MTU (`mtu`, a multiple of 32), as Aeron.
inline constexpr std::uint32_t MIN_MTU = 64U;
inline constexpr std::uint32_t MAX_MTU = 65504U;
/// Aeron's default MTU for UDP channels.
inline constexpr std::uint32_t DEFAULT_MTU = 1408U;

/// Media of an Aeron channel: `aeron:ipc` or `aeron:udp`.
enum class Media { Ipc, Udp };

/// The `endpoint=host:port` of a UDP channel. `host` is a name, a dotted IPv4 address or a
/// bracketed IPv6 address without its brackets.
struct Endpoint {
    std::string host;
    std::uint16_t port{0};
    bool ipv6_literal{false}; ///< host was written in brackets
    /// "host:port" ("[host]:port" for IPv6 literals).
    [[nodiscard]] auto to_string() const -> std::string;
};

/// A parsed Aeron channel URI: `aeron:<media>[?key=value|key=value...]`.
///
/// Parameters are kept in order, including ones this implementation does not interpret, so a
/// channel string round-trips to a real Aeron media driver unchanged. The parameters that drive
/// behaviour here are validated at parse time: `term-length` (power of two, 64k..1g, suffixes
/// k/m/g), `mtu` (multiple of 32, 64..65504), `endpoint` (host:port), `session-id` (int32),
/// `so-sndbuf` / `so-rcvbuf` (sizes). Immutable after parse; safe to share between threads.
class ChannelUri {
public:
    /// Parses and validates a channel string. Errors (ParseError) say what is wrong and where:
    /// bad scheme, missing or unknown media, empty key or value, duplicate key, bad term-length,
    /// bad mtu, bad endpoint or port, udp without endpoint. `aeron-spy:` prefixes are Unsupported.
    [[nodiscard]] static auto parse(std::string_view uri) -> Expected<ChannelUri>;

    /// The media (ipc or udp).
    [[nodiscard]] auto media() const noexcept -> Media { return m_media; }
    /// All parameters in their original order.
    [[nodiscard]] auto params() const noexcept -> const std::vector<std::pair<std::string, std::string>>& {
        return m_params;
    }
    /// A parameter's value, or nullopt when absent.
    [[nodiscard]] auto get(std::string_view key) const noexcept -> std::optional<std::string_view>;
    /// `term-length` in bytes, when given.
    [[nodiscard]] auto term_length() const noexcept -> std::optional<std::uint32_t> { return m_term_length; }
    /// `mtu` in bytes, when given.
    [[nodiscard]] auto mtu() const noexcept -> std::optional<std::uint32_t> { return m_mtu; }
    /// `endpoint`, when given (always present for udp).
    [[nodiscard]] auto endpoint() const noexcept -> const std::optional<Endpoint>& { return m_endpoint; }
    /// `session-id`, when given.
    [[nodiscard]] auto session_id() const noexcept -> std::optional<std::int32_t> { return m_session_id; }
    /// The channel string: `aeron:<media>` plus the parameters joined with `|`.
    [[nodiscard]] auto to_string() const -> std::string;
    /// A copy with `key` set to `value` (replaced in place if present, appended otherwise). The
    /// result is not re-validated; used to report resolved endpoints.
    [[nodiscard]] auto with_param(std::string_view key, std::string value) const -> ChannelUri;

private:
    Media m_media{Media::Ipc};
    std::vector<std::pair<std::string, std::string>> m_params;
    std::optional<std::uint32_t> m_term_length;
    std::optional<std::uint32_t> m_mtu;
    std::optional<Endpoint> m_endpoint;
    std::optional<std::int32_t> m_session_id;
};

/// Parses an Aeron size: decimal digits with an optional binary suffix k, m or g (either case):
/// "65536", "64k", "4m", "1g".
[[nodiscard]] auto parse_size(std::string_view text) -> Expected<std::uint64_t>;

/// Parses `host:port` or `[ipv6]:port`; port 0..65535.
[[nodiscard]] auto parse_endpoint(std::string_view text) -> Expected<Endpoint>;

} // namespace tp::transport
