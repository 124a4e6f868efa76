// SPDX-License-Identifier: Apache-2.0
#include "codec/json_support.hpp"

#include <algorithm>

namespace tp::codec::json_detail {

namespace {

constexpr std::string_view HEX_DIGITS = "0123456789abcdef";

auto hex_value(char c) noexcept -> int {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

auto text_json(std::string_view text) -> Json {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            out.push_back(c);
        } else {
            out += "\xEF\xBF\xBD"; // U+FFFD: keeps the document valid UTF-8
        }
    }
    return Json(std::move(out));
}

auto hex_json(std::span<const std::uint8_t> bytes) -> Json {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const std::uint8_t b : bytes) {
        out.push_back(HEX_DIGITS[b >> 4]);
        out.push_back(HEX_DIGITS[b & 0x0F]);
    }
    return Json(std::move(out));
}

auto fail(std::string_view owner, std::string_view key, std::string_view what, std::string& error) -> bool {
    error.assign(owner);
    error += '.';
    error += key;
    error += ": ";
    error += what;
    return false;
}

auto member(const Json& obj, std::string_view key, std::string_view owner, std::string& error) -> const Json* {
    const auto it = obj.find(key);
    if (it == obj.end()) {
        fail(owner, key, "missing", error);
        return nullptr;
    }
    return &*it;
}

auto check_object(const Json& obj, std::span<const std::string_view> keys, std::string_view owner, std::string& error)
    -> bool {
    if (!obj.is_object()) {
        error.assign(owner);
        error += ": expected a JSON object";
        return false;
    }
    for (const auto& item : obj.items()) {
        bool known = false;
        for (const std::string_view k : keys) {
            if (item.key() == k) {
                known = true;
                break;
            }
        }
        if (!known) {
            return fail(owner, item.key(), "unknown field", error);
        }
    }
    return true;
}

auto get_text(const Json& obj, std::string_view key, std::string_view owner, std::string_view& out, std::string& error)
    -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (!v->is_string()) {
        return fail(owner, key, "expected a string", error);
    }
    out = v->get_ref<const std::string&>();
    return true;
}

auto get_hex(const Json& obj, std::string_view key, std::string_view owner, std::string_view& out, std::string& error)
    -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (!v->is_string()) {
        return fail(owner, key, "expected a hex string", error);
    }
    const std::string& s = v->get_ref<const std::string&>();
    if (s.size() % 2 != 0) {
        return fail(owner, key, "hex string of odd length", error);
    }
    for (const char c : s) {
        if (hex_value(c) < 0) {
            return fail(owner, key, "not a hex digit", error);
        }
    }
    out = s;
    return true;
}

void hex_decode(std::string_view hex, std::span<std::uint8_t> dst) noexcept {
    const std::size_t n = std::min(hex.size() / 2, dst.size());
    for (std::size_t i = 0; i < n; ++i) {
        dst[i] = static_cast<std::uint8_t>((hex_value(hex[2 * i]) << 4) | hex_value(hex[2 * i + 1]));
    }
}

auto get_group(const Json& obj, std::string_view key, std::string_view owner, const Json*& out, std::string& error)
    -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (!v->is_array()) {
        return fail(owner, key, "expected an array of entries", error);
    }
    out = v;
    return true;
}

} // namespace tp::codec::json_detail
