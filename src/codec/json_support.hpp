// SPDX-License-Identifier: Apache-2.0
// Helpers behind the generated JSON reflection (<ns>_json.cpp). JSON conventions (golden README):
// integers up to 32 bits are numbers, u64/i64 decimal strings, enums by name (unknown raw values as
// numbers), optional-at-null as null, fixed arrays as lists, varAscii as strings, other var data as
// lowercase hex. Reading accepts numbers or decimal strings for every integer. Nothing here throws:
// every lookup checks the JSON type first.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace tp::codec {

/// JSON document type of the codec layer: keeps members in schema order.
using Json = nlohmann::ordered_json;

namespace json_detail {

/// A primitive as JSON: a number up to 32 bits (and floating point), a decimal string for 64-bit integers.
template <typename T>
[[nodiscard]] auto value_json(T v) -> Json {
    if constexpr (std::is_floating_point_v<T>) {
        return Json(v);
    } else if constexpr (std::is_same_v<T, char>) {
        return Json(static_cast<int>(v));
    } else if constexpr (sizeof(T) == 8) {
        return Json(std::to_string(v));
    } else if constexpr (std::is_signed_v<T>) {
        return Json(static_cast<std::int64_t>(v));
    } else {
        return Json(static_cast<std::uint64_t>(v));
    }
}

/// An enum as JSON: its schema name when known, else the raw value as a number.
template <typename E, typename R>
[[nodiscard]] auto enum_json(E v, R raw) -> Json {
    if (is_known(v)) {
        return Json(std::string(to_string(v)));
    }
    return value_json(raw);
}

/// Var-data text as a JSON string; bytes outside printable ASCII and whitespace become U+FFFD so
/// that dumping never fails on invalid UTF-8.
[[nodiscard]] auto text_json(std::string_view text) -> Json;

/// Bytes as a lowercase hex string.
[[nodiscard]] auto hex_json(std::span<const std::uint8_t> bytes) -> Json;

/// Parses an integer from a JSON number or a decimal string, range-checked for T.
template <typename T>
[[nodiscard]] auto parse_int(const Json& v, T& out) -> bool {
    static_assert(std::is_integral_v<T>);
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    Wide w{};
    if (v.is_number_unsigned()) {
        const auto u = v.get_ref<const Json::number_unsigned_t&>();
        if constexpr (std::is_signed_v<T>) {
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return false;
            }
        }
        w = static_cast<Wide>(u);
    } else if (v.is_number_integer()) {
        const auto s = v.get_ref<const Json::number_integer_t&>();
        if constexpr (!std::is_signed_v<T>) {
            if (s < 0) {
                return false;
            }
        }
        w = static_cast<Wide>(s);
    } else if (v.is_string()) {
        const auto& str = v.get_ref<const std::string&>();
        const char* first = str.data();
        const char* last = str.data() + str.size();
        const auto [ptr, ec] = std::from_chars(first, last, w);
        if (ec != std::errc{} || ptr != last || str.empty()) {
            return false;
        }
    } else {
        return false;
    }
    if (w < static_cast<Wide>(std::numeric_limits<T>::min()) || w > static_cast<Wide>(std::numeric_limits<T>::max())) {
        return false;
    }
    out = static_cast<T>(w);
    return true;
}

/// Parses a float or double from a JSON number.
template <typename T>
[[nodiscard]] auto parse_float(const Json& v, T& out) -> bool {
    if (!v.is_number()) {
        return false;
    }
    out = static_cast<T>(v.get<double>()); // is_number() checked: no throw
    return true;
}

/// Parses a primitive (integer, char or floating point).
template <typename T>
[[nodiscard]] auto parse_value(const Json& v, T& out) -> bool {
    if constexpr (std::is_floating_point_v<T>) {
        return parse_float(v, out);
    } else if constexpr (std::is_same_v<T, char>) {
        std::int8_t c{};
        if (!parse_int(v, c)) {
            return false;
        }
        out = static_cast<char>(c);
        return true;
    } else {
        return parse_int(v, out);
    }
}

/// Looks up `key` in an object; sets `error` and returns nullptr when absent.
[[nodiscard]] auto member(const Json& obj, std::string_view key, std::string_view owner, std::string& error)
    -> const Json*;

/// Sets `error` to "<owner>.<key>: <what>" and returns false.
auto fail(std::string_view owner, std::string_view key, std::string_view what, std::string& error) -> bool;

/// Fails when `obj` is not an object or holds a key outside `keys`.
[[nodiscard]] auto check_object(const Json& obj, std::span<const std::string_view> keys, std::string_view owner,
                                std::string& error) -> bool;

/// Reads a required primitive field.
template <typename T>
[[nodiscard]] auto get_value(const Json& obj, std::string_view key, std::string_view owner, T& out, std::string& error)
    -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    return parse_value(*v, out) || fail(owner, key, "not a valid value for its type", error);
}

/// Reads an optional primitive field: JSON null gives `null_value`.
template <typename T>
[[nodiscard]] auto get_optional(const Json& obj, std::string_view key, std::string_view owner, T null_value, T& out,
                                std::string& error) -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (v->is_null()) {
        out = null_value;
        return true;
    }
    return parse_value(*v, out) || fail(owner, key, "not a valid value for its type", error);
}

/// Reads an enum field by schema name or raw number; when `optional`, null gives `null_raw`.
template <typename E>
[[nodiscard]] auto get_enum(const Json& obj, std::string_view key, std::string_view owner, bool optional,
                            std::underlying_type_t<E> null_raw, std::underlying_type_t<E>& out, std::string& error)
    -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (optional && v->is_null()) {
        out = null_raw;
        return true;
    }
    if (v->is_string()) {
        E e{};
        if (from_string(v->get_ref<const std::string&>(), e)) {
            out = static_cast<std::underlying_type_t<E>>(e);
            return true;
        }
        return fail(owner, key, "unknown enum name", error);
    }
    return parse_int(*v, out) || fail(owner, key, "not an enum name or raw value", error);
}

/// Reads a fixed array of exactly N primitives.
template <typename T, std::size_t N>
[[nodiscard]] auto get_array(const Json& obj, std::string_view key, std::string_view owner, std::array<T, N>& out,
                             std::string& error) -> bool {
    const Json* v = member(obj, key, owner, error);
    if (v == nullptr) {
        return false;
    }
    if (!v->is_array() || v->size() != N) {
        return fail(owner, key, "expected an array of " + std::to_string(N) + " values", error);
    }
    for (std::size_t i = 0; i < N; ++i) {
        if (!parse_value((*v)[i], out[i])) {
            return fail(owner, key, "element " + std::to_string(i) + " is not valid", error);
        }
    }
    return true;
}

/// Reads a text var-data field (a JSON string; the view points into `obj`).
[[nodiscard]] auto get_text(const Json& obj, std::string_view key, std::string_view owner, std::string_view& out,
                            std::string& error) -> bool;

/// Reads a hex var-data field (even length, hex digits only; the view points into `obj`).
[[nodiscard]] auto get_hex(const Json& obj, std::string_view key, std::string_view owner, std::string_view& out,
                           std::string& error) -> bool;

/// Decodes checked hex into `dst`, at most dst.size() bytes.
void hex_decode(std::string_view hex, std::span<std::uint8_t> dst) noexcept;

/// Reads a group array; `out` points at the array.
[[nodiscard]] auto get_group(const Json& obj, std::string_view key, std::string_view owner, const Json*& out,
                             std::string& error) -> bool;

} // namespace json_detail
} // namespace tp::codec
