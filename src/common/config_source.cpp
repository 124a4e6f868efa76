// SPDX-License-Identifier: Apache-2.0
#include "common/config_source.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>

namespace tp::common {

namespace {

auto config_error(const std::string& key, const std::string& problem) -> Unexpected {
    return make_error(ErrorCode::InvalidConfig, "config key '" + key + "': " + problem);
}

auto parse_u64_text(const std::string& s, std::uint64_t& out) -> bool {
    std::string t = s;
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (t.empty()) {
        return false;
    }
    const char* b = t.data();
    const char* e = t.data() + t.size();
    auto [p, ec] = std::from_chars(b, e, out);
    return ec == std::errc{} && p == e;
}

auto node_kind(const toml::node& n) -> std::string {
    switch (n.type()) {
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a float";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::table:
        return "a table";
    default:
        return "a date/time";
    }
}

void collect_keys(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& [k, v] : t) {
        std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (const auto* sub = v.as_table()) {
            collect_keys(*sub, key, out);
        } else if (const auto* arr = v.as_array(); arr != nullptr && !arr->empty() && arr->is_array_of_tables()) {
            for (std::size_t i = 0; i < arr->size(); ++i) {
                collect_keys(*arr->get(i)->as_table(), key + "[]", out);
            }
        } else {
            out.push_back(key);
        }
    }
}

// Does dotted `key` match `pattern`, where a pattern segment "*" matches any one segment?
auto key_matches(const std::string& key, const std::string& pattern) -> bool {
    auto split = [](const std::string& s) {
        std::vector<std::string> parts;
        std::stringstream ss(s);
        std::string p;
        while (std::getline(ss, p, '.')) {
            parts.push_back(p);
        }
        return parts;
    };
    auto kp = split(key);
    auto pp = split(pattern);
    if (kp.size() != pp.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kp.size(); ++i) {
        if (pp[i] != "*" && pp[i] != kp[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

auto parse_id_range(const std::string& key, const std::string& text) -> Expected<IdRange> {
    auto sep = text.find_first_of("-,");
    if (sep == std::string::npos) {
        return config_error(key, "range '" + text + "' must be \"first-last\", \"first,last\" or [first, last]");
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (!parse_u64_text(text.substr(0, sep), a) || !parse_u64_text(text.substr(sep + 1), b)) {
        return config_error(key, "range '" + text + "' has a bound that is not a non-negative integer");
    }
    if (a > UINT32_MAX || b > UINT32_MAX) {
        return config_error(key, "range '" + text + "' exceeds the 32-bit stream id space");
    }
    if (a > b) {
        return config_error(key, "range '" + text + "' has first > last");
    }
    return IdRange{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b)};
}

auto process_env() -> EnvLookup {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

auto env_name(const std::string& key) -> std::string {
    std::string out = key;
    for (auto& c : out) {
        c = (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

ConfigSource::ConfigSource(std::unique_ptr<toml::table> root, std::string origin, EnvLookup env)
    : m_root(std::move(root)), m_origin(std::move(origin)), m_env(std::move(env)) {}
ConfigSource::ConfigSource(ConfigSource&&) noexcept = default;
auto ConfigSource::operator=(ConfigSource&&) noexcept -> ConfigSource& = default;
ConfigSource::~ConfigSource() = default;

auto ConfigSource::from_file(const std::string& path, EnvLookup env) -> Expected<ConfigSource> {
    try {
        auto tbl = toml::parse_file(path);
        return ConfigSource(std::make_unique<toml::table>(std::move(tbl)), path, std::move(env));
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
        if (e.description().find("File could not be opened") != std::string_view::npos) {
            return make_error(ErrorCode::NotFound, "cannot read config file '" + path + "'");
        }
        return make_error(ErrorCode::ParseError, "invalid TOML: " + os.str());
    }
}

auto ConfigSource::from_string(const std::string& text, const std::string& origin, EnvLookup env)
    -> Expected<ConfigSource> {
    try {
        auto tbl = toml::parse(text, origin);
        return ConfigSource(std::make_unique<toml::table>(std::move(tbl)), origin, std::move(env));
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
        return make_error(ErrorCode::ParseError, "invalid TOML: " + os.str());
    }
}

auto ConfigSource::empty(EnvLookup env) -> ConfigSource {
    return ConfigSource(std::make_unique<toml::table>(), "<defaults>", std::move(env));
}

auto ConfigSource::env_value(const std::string& key) const -> std::optional<std::string> {
    if (!m_env || key.find('[') != std::string::npos) {
        return std::nullopt;
    }
    return m_env(env_name(key));
}

auto ConfigSource::has(const std::string& key) const -> bool {
    if (env_value(key)) {
        return true;
    }
    return static_cast<bool>(m_root->at_path(key));
}

auto ConfigSource::get_string(const std::string& key, const std::string& def) const -> Expected<std::string> {
    if (auto e = env_value(key)) {
        return *e;
    }
    auto node = m_root->at_path(key);
    if (!node) {
        return def;
    }
    if (auto s = node.value<std::string>(); s && node.is_string()) {
        return *s;
    }
    return config_error(key, "must be a string, found " + node_kind(*node.node()));
}

auto ConfigSource::get_uint(const std::string& key, std::uint64_t def, std::uint64_t min, std::uint64_t max) const
    -> Expected<std::uint64_t> {
    std::uint64_t v = def;
    if (auto e = env_value(key)) {
        if (!parse_u64_text(*e, v)) {
            return config_error(key, "environment " + env_name(key) + "='" + *e + "' is not a non-negative integer");
        }
    } else if (auto node = m_root->at_path(key)) {
        if (!node.is_integer()) {
            return config_error(key, "must be an integer, found " + node_kind(*node.node()));
        }
        auto i = *node.value<std::int64_t>();
        if (i < 0) {
            return config_error(key, "must be non-negative, found " + std::to_string(i));
        }
        v = static_cast<std::uint64_t>(i);
    } else {
        return def;
    }
    if (v < min || v > max) {
        return config_error(key, std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                                     std::to_string(max) + "]");
    }
    return v;
}

auto ConfigSource::get_bool(const std::string& key, bool def) const -> Expected<bool> {
    if (auto e = env_value(key)) {
        if (*e == "true") {
            return true;
        }
        if (*e == "false") {
            return false;
        }
        return config_error(key, "environment " + env_name(key) + "='" + *e + "' must be true or false");
    }
    auto node = m_root->at_path(key);
    if (!node) {
        return def;
    }
    if (!node.is_boolean()) {
        return config_error(key, "must be true or false, found " + node_kind(*node.node()));
    }
    return *node.value<bool>();
}

auto ConfigSource::get_string_array(const std::string& key, const std::vector<std::string>& def) const
    -> Expected<std::vector<std::string>> {
    if (auto e = env_value(key)) {
        std::vector<std::string> out;
        std::stringstream ss(*e);
        std::string item;
        while (std::getline(ss, item, ',')) {
            if (!item.empty()) {
                out.push_back(item);
            }
        }
        return out;
    }
    auto node = m_root->at_path(key);
    if (!node) {
        return def;
    }
    const auto* arr = node.as_array();
    if (arr == nullptr) {
        return config_error(key, "must be an array of strings, found " + node_kind(*node.node()));
    }
    std::vector<std::string> out;
    for (const auto& el : *arr) {
        auto s = el.value<std::string>();
        if (!s || !el.is_string()) {
            return config_error(key, "every element must be a string");
        }
        out.push_back(*s);
    }
    return out;
}

auto ConfigSource::get_range(const std::string& key) const -> Expected<std::optional<IdRange>> {
    std::string text;
    if (auto e = env_value(key)) {
        text = *e;
    } else if (auto node = m_root->at_path(key)) {
        if (node.is_string()) {
            text = *node.value<std::string>();
        } else if (const auto* arr = node.as_array()) {
            if (arr->empty()) {
                return std::optional<IdRange>{};
            }
            if (arr->size() != 2 || !arr->get(0)->is_integer() || !arr->get(1)->is_integer()) {
                return config_error(key, "array range must be [first, last] with two integers");
            }
            auto a = *arr->get(0)->value<std::int64_t>();
            auto b = *arr->get(1)->value<std::int64_t>();
            if (a < 0 || b < 0) {
                return config_error(key, "range bounds must be non-negative");
            }
            text = std::to_string(a) + "-" + std::to_string(b);
        } else {
            return config_error(key, "must be a range string \"a-b\" or an array [a, b]");
        }
    } else {
        return std::optional<IdRange>{};
    }
    if (text.empty()) {
        return std::optional<IdRange>{};
    }
    auto r = parse_id_range(key, text);
    if (!r) {
        return Unexpected{r.error()};
    }
    return std::optional<IdRange>{*r};
}

auto ConfigSource::table_names(const std::string& key) const -> std::vector<std::string> {
    std::vector<std::string> out;
    const toml::table* t = key.empty() ? m_root.get() : m_root->at_path(key).as_table();
    if (t == nullptr) {
        return out;
    }
    for (const auto& [k, v] : *t) {
        if (v.is_table()) {
            out.emplace_back(k.str());
        }
    }
    return out;
}

auto ConfigSource::array_size(const std::string& key) const -> std::size_t {
    const auto* arr = m_root->at_path(key).as_array();
    return arr == nullptr ? 0 : arr->size();
}

auto ConfigSource::element_key(const std::string& key, std::size_t i) -> std::string {
    return key + "[" + std::to_string(i) + "]";
}

auto ConfigSource::unknown_keys(const std::set<std::string>& known_patterns) const -> std::vector<std::string> {
    std::vector<std::string> keys;
    collect_keys(*m_root, "", keys);
    std::vector<std::string> unknown;
    for (const auto& k : keys) {
        bool known = std::any_of(known_patterns.begin(), known_patterns.end(),
                                 [&](const std::string& p) { return key_matches(k, p); });
        if (!known) {
            unknown.push_back(k);
        }
    }
    return unknown;
}

} // namespace tp::common
