// SPDX-License-Identifier: Apache-2.0
#pragma once

// A TOML document with environment overrides (SPEC_DECISIONS D-06): the environment name of a
// key is the key upper-cased with '.' turned into '_' (`driver.control_stream_id` ->
// `DRIVER_CONTROL_STREAM_ID`), and the environment wins over the file. Every getter names the key
// and the problem in its error.

#include "tensorpool/error.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace toml {
inline namespace v3 {
class table;
}
} // namespace toml

namespace tp::common {

/// An inclusive id range `[first, last]`.
struct IdRange {
    std::uint32_t first{0};
    std::uint32_t last{0};
    [[nodiscard]] auto contains(std::uint32_t v) const noexcept -> bool { return v >= first && v <= last; }
    [[nodiscard]] auto overlaps(const IdRange& o) const noexcept -> bool { return first <= o.last && o.first <= last; }
    [[nodiscard]] auto size() const noexcept -> std::uint64_t { return std::uint64_t{last} - first + 1; }
    [[nodiscard]] auto to_string() const -> std::string { return std::to_string(first) + "-" + std::to_string(last); }
    friend auto operator==(const IdRange&, const IdRange&) -> bool = default;
};

/// Parses "a-b", "a,b" (inclusive, a <= b). `key` names the setting in the error.
auto parse_id_range(const std::string& key, const std::string& text) -> Expected<IdRange>;

/// Environment lookup: returns the variable's value or nullopt.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
auto process_env() -> EnvLookup;

/// Environment name of a key: upper-case, '.' -> '_'.
auto env_name(const std::string& key) -> std::string;

/// A parsed TOML document plus environment overrides. Cold path only.
class ConfigSource {
public:
    /// Reads and parses a TOML file.
    static auto from_file(const std::string& path, EnvLookup env = process_env()) -> Expected<ConfigSource>;
    /// Parses TOML text; `origin` names it in errors.
    static auto from_string(const std::string& text, const std::string& origin = "<string>",
                            EnvLookup env = process_env()) -> Expected<ConfigSource>;
    /// An empty document (defaults plus environment).
    static auto empty(EnvLookup env = process_env()) -> ConfigSource;

    ConfigSource(ConfigSource&&) noexcept;
    auto operator=(ConfigSource&&) noexcept -> ConfigSource&;
    ~ConfigSource();

    /// Where the document came from ("<string>", a path, "<defaults>").
    [[nodiscard]] auto origin() const -> const std::string& { return m_origin; }

    /// True if the key is set in the file or the environment.
    [[nodiscard]] auto has(const std::string& key) const -> bool;

    auto get_string(const std::string& key, const std::string& def) const -> Expected<std::string>;
    /// Unsigned integer in [min, max].
    auto get_uint(const std::string& key, std::uint64_t def, std::uint64_t min = 0,
                  std::uint64_t max = UINT64_MAX) const -> Expected<std::uint64_t>;
    /// `true` / `false` only (D-06).
    auto get_bool(const std::string& key, bool def) const -> Expected<bool>;
    /// Array of strings (environment: comma-separated).
    auto get_string_array(const std::string& key, const std::vector<std::string>& def) const
        -> Expected<std::vector<std::string>>;
    /// A range as "a-b", "a,b" or [a, b]; nullopt when unset or empty.
    auto get_range(const std::string& key) const -> Expected<std::optional<IdRange>>;
    /// Names of the sub-tables of a table key (e.g. the profiles under "profiles").
    [[nodiscard]] auto table_names(const std::string& key) const -> std::vector<std::string>;
    /// Number of entries of an array-of-tables key (e.g. "profiles.cam.payload_pools").
    [[nodiscard]] auto array_size(const std::string& key) const -> std::size_t;
    /// Key of the i-th entry of an array of tables: "<key>[<i>]"; getters accept such keys.
    [[nodiscard]] static auto element_key(const std::string& key, std::size_t i) -> std::string;

    /// Keys present in the file that are not in `known` (dotted; profile/stream names replaced by
    /// `*` in the known patterns, e.g. "profiles.*.header_nslots").
    [[nodiscard]] auto unknown_keys(const std::set<std::string>& known_patterns) const -> std::vector<std::string>;

private:
    ConfigSource(std::unique_ptr<toml::table> root, std::string origin, EnvLookup env);
    auto env_value(const std::string& key) const -> std::optional<std::string>;

    std::unique_ptr<toml::table> m_root;
    std::string m_origin;
    EnvLookup m_env;
};

} // namespace tp::common
