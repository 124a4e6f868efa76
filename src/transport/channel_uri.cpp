// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/channel_uri.hpp"

#include "common/bits.hpp"

#include <charconv>
#include <limits>

namespace tp::transport {
namespace {

constexpr std::string_view SCHEME = "aeron:";
constexpr std::string_view SPY_PREFIX = "aeron-spy:";

auto quoted(std::string_view s) -> std::string {
    std::string out = "'";
    out += s;
    out += "'";
    return out;
}

auto uri_error(std::string_view uri, const std::string& what) -> Unexpected {
    return make_error(ErrorCode::ParseError, "channel " + quoted(uri) + ": " + what);
}

auto is_key_char(char c) -> bool {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

auto is_value_char(char c) -> bool {
    // Printable ASCII except the separators; values such as "[::1]:40123" or "1,2" pass.
    return c > ' ' && c < 127 && c != '|' && c != '?';
}

auto parse_int32(std::string_view text) -> std::optional<std::int32_t> {
    std::int32_t v = 0;
    const auto* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc{} || p != end) {
        return std::nullopt;
    }
    return v;
}

} // namespace

auto Endpoint::to_string() const -> std::string {
    std::string out = ipv6_literal ? "[" + host + "]" : host;
    out += ":";
    out += std::to_string(port);
    return out;
}

auto parse_size(std::string_view text) -> Expected<std::uint64_t> {
    if (text.empty()) {
        return make_error(ErrorCode::ParseError, "empty size");
    }
    std::uint64_t multiplier = 1;
    std::string_view digits = text;
    switch (text.back()) {
    case 'k':
    case 'K':
        multiplier = 1024ULL;
        break;
    case 'm':
    case 'M':
        multiplier = 1024ULL * 1024ULL;
        break;
    case 'g':
    case 'G':
        multiplier = 1024ULL * 1024ULL * 1024ULL;
        break;
    default:
        break;
    }
    if (multiplier != 1) {
        digits.remove_suffix(1);
    }
    if (digits.empty()) {
        return make_error(ErrorCode::ParseError, "size " + quoted(text) + " has no digits");
    }
    std::uint64_t v = 0;
    const auto* end = digits.data() + digits.size();
    auto [p, ec] = std::from_chars(digits.data(), end, v);
    if (ec != std::errc{} || p != end) {
        return make_error(ErrorCode::ParseError,
                          "size " + quoted(text) + " is not a number with an optional k, m or g suffix");
    }
    if (v > std::numeric_limits<std::uint64_t>::max() / multiplier) {
        return make_error(ErrorCode::ParseError, "size " + quoted(text) + " overflows");
    }
    return v * multiplier;
}

auto parse_endpoint(std::string_view text) -> Expected<Endpoint> {
    Endpoint ep;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return make_error(ErrorCode::ParseError, "endpoint " + quoted(text) + ": missing ']' after IPv6 address");
        }
        ep.host = std::string(text.substr(1, close - 1));
        ep.ipv6_literal = true;
        if (close + 1 >= text.size() || text[close + 1] != ':') {
            return make_error(ErrorCode::ParseError, "endpoint " + quoted(text) + ": expected ':port' after ']'");
        }
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return make_error(ErrorCode::ParseError, "endpoint " + quoted(text) + ": expected host:port");
        }
        if (text.find(':') != colon) {
            return make_error(ErrorCode::ParseError,
                              "endpoint " + quoted(text) + ": IPv6 addresses must be written as [address]:port");
        }
        ep.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    if (ep.host.empty()) {
        return make_error(ErrorCode::ParseError, "endpoint " + quoted(text) + ": empty host");
    }
    if (port_text.empty()) {
        return make_error(ErrorCode::ParseError, "endpoint " + quoted(text) + ": empty port");
    }
    std::uint32_t port = 0;
    const auto* end = port_text.data() + port_text.size();
    auto [p, ec] = std::from_chars(port_text.data(), end, port);
    if (ec != std::errc{} || p != end || port > 65535U) {
        return make_error(ErrorCode::ParseError,
                          "endpoint " + quoted(text) + ": port " + quoted(port_text) + " is not a number in 0..65535");
    }
    ep.port = static_cast<std::uint16_t>(port);
    return ep;
}

auto ChannelUri::parse(std::string_view uri) -> Expected<ChannelUri> {
    if (uri.empty()) {
        return make_error(ErrorCode::ParseError,
                          "empty channel URI (expected aeron:ipc or aeron:udp?endpoint=host:port)");
    }
    if (uri.substr(0, SPY_PREFIX.size()) == SPY_PREFIX) {
        return make_error(ErrorCode::Unsupported,
                          "channel " + quoted(uri) + ": aeron-spy subscriptions are not supported");
    }
    if (uri.substr(0, SCHEME.size()) != SCHEME) {
        return uri_error(uri, "bad scheme, a channel starts with 'aeron:'");
    }
    std::string_view rest = uri.substr(SCHEME.size());
    const auto question = rest.find('?');
    const std::string_view media = rest.substr(0, question);
    ChannelUri out;
    if (media.empty()) {
        return uri_error(uri, "missing media after 'aeron:' (expected ipc or udp)");
    }
    if (media == "ipc") {
        out.m_media = Media::Ipc;
    } else if (media == "udp") {
        out.m_media = Media::Udp;
    } else {
        return uri_error(uri, "unknown media " + quoted(media) + " (expected ipc or udp)");
    }

    if (question != std::string_view::npos) {
        std::string_view params = rest.substr(question + 1);
        if (params.empty()) {
            return uri_error(uri, "'?' is not followed by any key=value parameter");
        }
        while (true) {
            const auto bar = params.find('|');
            const std::string_view item = params.substr(0, bar);
            if (item.empty()) {
                return uri_error(uri, "empty parameter (two '|' in a row or a trailing '|')");
            }
            const auto eq = item.find('=');
            if (eq == std::string_view::npos) {
                return uri_error(uri, "parameter " + quoted(item) + " has no '=value'");
            }
            const std::string_view key = item.substr(0, eq);
            const std::string_view value = item.substr(eq + 1);
            if (key.empty()) {
                return uri_error(uri, "empty key in parameter " + quoted(item));
            }
            for (const char c : key) {
                if (!is_key_char(c)) {
                    return uri_error(uri, "key " + quoted(key) +
                                              " has an invalid character (allowed: letters, digits, '-', '_', '.')");
                }
            }
            if (value.empty()) {
                return uri_error(uri, "empty value for key " + quoted(key));
            }
            for (const char c : value) {
                if (!is_value_char(c)) {
                    return uri_error(uri, "value of " + quoted(key) +
                                              " has an invalid character (space, control, '?' or '|')");
                }
            }
            if (out.get(key)) {
                return uri_error(uri, "duplicate key " + quoted(key));
            }
            out.m_params.emplace_back(std::string(key), std::string(value));
            if (bar == std::string_view::npos) {
                break;
            }
            params = params.substr(bar + 1);
        }
    }

    for (const auto& [key, value] : out.m_params) {
        if (key == "term-length") {
            auto size = parse_size(value);
            if (!size) {
                return uri_error(uri, "bad term-length: " + size.error().message);
            }
            if (*size < MIN_TERM_LENGTH || *size > MAX_TERM_LENGTH || !common::is_power_of_two(*size)) {
                return uri_error(uri, "bad term-length " + quoted(value) + ": must be a power of two from 64k to 1g");
            }
            out.m_term_length = static_cast<std::uint32_t>(*size);
        } else if (key == "mtu") {
            auto size = parse_size(value);
            if (!size) {
                return uri_error(uri, "bad mtu: " + size.error().message);
            }
            if (*size < MIN_MTU || *size > MAX_MTU || *size % 32 != 0) {
                return uri_error(uri, "bad mtu " + quoted(value) + ": must be a multiple of 32 from 64 to 65504");
            }
            out.m_mtu = static_cast<std::uint32_t>(*size);
        } else if (key == "endpoint") {
            auto ep = parse_endpoint(value);
            if (!ep) {
                return uri_error(uri, "bad " + ep.error().message);
            }
            out.m_endpoint = std::move(*ep);
        } else if (key == "session-id") {
            auto id = parse_int32(value);
            if (!id) {
                return uri_error(uri, "bad session-id " + quoted(value) + ": must be a 32-bit signed integer");
            }
            out.m_session_id = *id;
        } else if (key == "so-sndbuf" || key == "so-rcvbuf") {
            auto size = parse_size(value);
            if (!size || *size == 0 || *size > (1ULL << 30)) {
                return uri_error(uri, "bad " + key + " " + quoted(value) + ": must be a size from 1 to 1g");
            }
        }
    }
    if (out.m_media == Media::Udp && !out.m_endpoint) {
        return uri_error(uri, "aeron:udp needs endpoint=host:port");
    }
    return out;
}

auto ChannelUri::get(std::string_view key) const noexcept -> std::optional<std::string_view> {
    for (const auto& [k, v] : m_params) {
        if (k == key) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

auto ChannelUri::to_string() const -> std::string {
    std::string out{SCHEME};
    out += m_media == Media::Ipc ? "ipc" : "udp";
    char sep = '?';
    for (const auto& [k, v] : m_params) {
        out += sep;
        out += k;
        out += '=';
        out += v;
        sep = '|';
    }
    return out;
}

auto ChannelUri::with_param(std::string_view key, std::string value) const -> ChannelUri {
    ChannelUri copy = *this;
    for (auto& [k, v] : copy.m_params) {
        if (k == key) {
            v = std::move(value);
            return copy;
        }
    }
    copy.m_params.emplace_back(std::string(key), std::move(value));
    return copy;
}

} // namespace tp::transport
