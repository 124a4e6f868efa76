// SPDX-License-Identifier: Apache-2.0
#include "shm/region_uri.hpp"

#include <string>
#include <string_view>

namespace tp::shm {

namespace {

constexpr std::string_view PREFIX = "shm:file?";
constexpr std::string_view KEY_PATH = "path";
constexpr std::string_view KEY_HUGEPAGES = "require_hugepages";

auto fail(std::string msg) -> Unexpected {
    return make_error(ErrorCode::ParseError, "region URI: " + std::move(msg));
}

// W §15.22 ABNF: abs-path = 1*( VCHAR except "?" and "|" and SP ).
auto path_char_ok(char c) -> bool {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7E && c != '?' && c != '|';
}

} // namespace

auto RegionUri::parse(std::string_view text) -> Expected<RegionUri> {
    if (text.size() > MAX_LENGTH) {
        return fail("longer than " + std::to_string(MAX_LENGTH) + " bytes (D-20)");
    }
    if (text.substr(0, PREFIX.size()) != PREFIX) {
        const auto colon = text.find(':');
        const std::string scheme =
            colon == std::string_view::npos ? std::string(text) : std::string(text.substr(0, colon));
        if (text.substr(0, 4) == "shm:") {
            return fail("unsupported SHM backend in '" + std::string(text.substr(0, text.find('?'))) +
                        "'; only 'shm:file?' is defined (W §15.22)");
        }
        return fail("unknown scheme '" + scheme + "'; only 'shm:file?path=...' is supported (W §15.22)");
    }
    const std::string_view params = text.substr(PREFIX.size());
    if (params.find('&') != std::string_view::npos) {
        return fail("'&' is not a parameter separator (parameters are separated by '|', W §15.22)");
    }

    RegionUri uri;
    bool have_path = false;
    bool have_hugepages = false;
    std::size_t pos = 0;
    while (true) {
        const std::size_t bar = params.find('|', pos);
        const std::string_view param =
            params.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos);
        if (param.empty()) {
            return fail("empty parameter (nothing between separators)");
        }
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos) {
            return fail("parameter '" + std::string(param) + "' has no '='");
        }
        const std::string_view key = param.substr(0, eq);
        const std::string_view value = param.substr(eq + 1);
        if (key.empty()) {
            return fail("parameter '" + std::string(param) + "' has an empty key");
        }
        if (key == KEY_PATH) {
            if (have_path) {
                return fail("duplicate key 'path'");
            }
            have_path = true;
            if (value.empty()) {
                return fail("empty value for 'path'");
            }
            if (value.front() != '/') {
                return fail("path '" + std::string(value) + "' is not absolute");
            }
            for (char c : value) {
                if (!path_char_ok(c)) {
                    return fail("path contains a character outside the allowed set (printable ASCII except "
                                "space, '?' and '|')");
                }
            }
            uri.path = std::string(value);
        } else if (key == KEY_HUGEPAGES) {
            if (have_hugepages) {
                return fail("duplicate key 'require_hugepages'");
            }
            have_hugepages = true;
            if (value == "true") {
                uri.require_hugepages = true;
            } else if (value == "false") {
                uri.require_hugepages = false;
            } else if (value.empty()) {
                return fail("empty value for 'require_hugepages'");
            } else {
                return fail("require_hugepages must be 'true' or 'false', not '" + std::string(value) + "'");
            }
        } else {
            return fail("unknown parameter '" + std::string(key) +
                        "'; only 'path' and 'require_hugepages' are defined (W §15.22)");
        }
        if (bar == std::string_view::npos) {
            break;
        }
        pos = bar + 1;
    }
    if (!have_path) {
        return fail("missing required key 'path'");
    }
    return uri;
}

auto RegionUri::to_string() const -> std::string {
    std::string out;
    out.reserve(PREFIX.size() + 5 + path.size() + 23);
    out.append(PREFIX).append("path=").append(path);
    if (require_hugepages) {
        // D-20: Julia's form; the flag appears only when true.
        out.append("|require_hugepages=true");
    }
    return out;
}

} // namespace tp::shm
