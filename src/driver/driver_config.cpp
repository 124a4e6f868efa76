// SPDX-License-Identifier: Apache-2.0
#include "driver/driver_config.hpp"

#include "common/bits.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>

namespace tp::driver {

namespace {

using common::ConfigSource;
using common::IdRange;

auto cfg_error(const std::string& key, const std::string& problem) -> Unexpected {
    return make_error(ErrorCode::InvalidConfig, "config key '" + key + "': " + problem);
}

// Reads a u32 key into `out`.
auto read_u32(const ConfigSource& src, const std::string& key, std::uint32_t& out, std::uint64_t min = 0,
              std::uint64_t max = UINT32_MAX) -> Expected<void> {
    TP_TRY(v, src.get_uint(key, out, min, max));
    out = static_cast<std::uint32_t>(v);
    return {};
}

auto parse_mode(const std::string& key, const std::string& text) -> Expected<std::uint32_t> {
    if (text.empty() || text.size() > 4 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        return cfg_error(key, "'" + text + "' must be an octal file mode such as \"660\"");
    }
    return static_cast<std::uint32_t>(std::strtoul(text.c_str(), nullptr, 8));
}

auto valid_namespace(const std::string& ns) -> bool {
    static const std::regex re("^[A-Za-z0-9._-]+$");
    return ns != "." && ns != ".." && std::regex_match(ns, re);
}

auto load_profiles(const ConfigSource& src, DriverConfig& cfg) -> Expected<void> {
    for (const auto& name : src.table_names("profiles")) {
        ProfileConfig p;
        p.name = name;
        const std::string base = "profiles." + name;
        TP_TRY_VOID(read_u32(src, base + ".header_nslots", p.header_nslots));
        TP_TRY_VOID(read_u32(src, base + ".header_slot_bytes", p.header_slot_bytes));
        const std::string pools_key = base + ".payload_pools";
        const std::size_t n = src.array_size(pools_key);
        for (std::size_t i = 0; i < n; ++i) {
            const std::string ek = ConfigSource::element_key(pools_key, i);
            PoolConfig pool;
            TP_TRY(pool_id, src.get_uint(ek + ".pool_id", 0, 0, UINT16_MAX));
            TP_TRY(stride, src.get_uint(ek + ".stride_bytes", 0, 0, UINT32_MAX));
            pool.pool_id = static_cast<std::uint16_t>(pool_id);
            pool.stride_bytes = static_cast<std::uint32_t>(stride);
            p.payload_pools.push_back(pool);
        }
        cfg.profiles.push_back(std::move(p));
    }
    return {};
}

auto load_streams(const ConfigSource& src, DriverConfig& cfg) -> Expected<void> {
    for (const auto& name : src.table_names("streams")) {
        StreamConfig s;
        s.name = name;
        const std::string base = "streams." + name;
        if (!src.has(base + ".stream_id")) {
            return cfg_error(base + ".stream_id", "is required");
        }
        TP_TRY_VOID(read_u32(src, base + ".stream_id", s.stream_id, 1, UINT32_MAX));
        TP_TRY(profile, src.get_string(base + ".profile", ""));
        s.profile = profile;
        cfg.streams.push_back(std::move(s));
    }
    return {};
}

} // namespace

auto driver_known_keys() -> const std::set<std::string>& {
    static const std::set<std::string> keys = {
        "driver.instance_id",
        "driver.aeron_dir",
        "driver.transport",
        "driver.transport_dir",
        "driver.aeron_embedded_driver",
        "driver.control_channel",
        "driver.control_stream_id",
        "driver.announce_channel",
        "driver.announce_stream_id",
        "driver.qos_channel",
        "driver.qos_stream_id",
        "driver.stream_id_range",
        "driver.descriptor_stream_id_range",
        "driver.control_stream_id_range",
        "shm.base_dir",
        "shm.namespace",
        "shm.require_hugepages",
        "shm.page_size_bytes",
        "shm.permissions_mode",
        "shm.allowed_base_dirs",
        "policies.allow_dynamic_streams",
        "policies.default_profile",
        "policies.announce_period_ms",
        "policies.lease_keepalive_interval_ms",
        "policies.lease_expiry_grace_intervals",
        "policies.prefault_shm",
        "policies.mlock_shm",
        "policies.epoch_gc_enabled",
        "policies.epoch_gc_keep",
        "policies.epoch_gc_min_age_ns",
        "policies.epoch_gc_on_startup",
        "policies.shutdown_timeout_ms",
        "policies.shutdown_token",
        "policies.reuse_existing_shm",
        "policies.cleanup_shm_on_exit",
        "policies.node_id_reuse_cooldown_ms",
        "profiles.*.header_nslots",
        "profiles.*.header_slot_bytes",
        "profiles.*.payload_pools[].pool_id",
        "profiles.*.payload_pools[].stride_bytes",
        "streams.*.stream_id",
        "streams.*.profile",
    };
    return keys;
}

auto DriverConfig::load_file(const std::string& path, common::EnvLookup env) -> Expected<DriverConfig> {
    TP_TRY(src, ConfigSource::from_file(path, std::move(env)));
    return load(src);
}

auto DriverConfig::load(const ConfigSource& src) -> Expected<DriverConfig> {
    DriverConfig cfg;
    auto& d = cfg.driver;
    // D-06: AERON_DIR, TP_CONTROL_CHANNEL, TP_CONTROL_STREAM_ID are fallbacks for the DRIVER_* keys.
    TP_TRY(instance_id, src.get_string("driver.instance_id", d.instance_id));
    d.instance_id = instance_id;
    {
        auto fallback = common::process_env()("AERON_DIR");
        TP_TRY(v, src.get_string("driver.aeron_dir", fallback.value_or("")));
        d.aeron_dir = v;
    }
    TP_TRY(transport, src.get_string("driver.transport", d.transport));
    d.transport = transport;
    TP_TRY(transport_dir, src.get_string("driver.transport_dir", d.transport_dir));
    d.transport_dir = transport_dir;
    TP_TRY(embedded, src.get_bool("driver.aeron_embedded_driver", d.aeron_embedded_driver));
    d.aeron_embedded_driver = embedded;
    {
        auto fallback = common::process_env()("TP_CONTROL_CHANNEL");
        TP_TRY(v, src.get_string("driver.control_channel", fallback.value_or(d.control_channel)));
        d.control_channel = v;
    }
    {
        std::uint64_t def = d.control_stream_id;
        if (auto fb = common::process_env()("TP_CONTROL_STREAM_ID")) {
            def = std::strtoull(fb->c_str(), nullptr, 10);
        }
        TP_TRY(v, src.get_uint("driver.control_stream_id", def, 1, INT32_MAX));
        d.control_stream_id = static_cast<std::uint32_t>(v);
    }
    TP_TRY(announce_channel, src.get_string("driver.announce_channel", d.control_channel));
    d.announce_channel = announce_channel;
    TP_TRY(announce_stream_id, src.get_uint("driver.announce_stream_id", d.control_stream_id, 1, INT32_MAX));
    d.announce_stream_id = static_cast<std::uint32_t>(announce_stream_id);
    TP_TRY(qos_channel, src.get_string("driver.qos_channel", d.qos_channel));
    d.qos_channel = qos_channel;
    TP_TRY_VOID(read_u32(src, "driver.qos_stream_id", d.qos_stream_id, 1, INT32_MAX));
    TP_TRY(sr, src.get_range("driver.stream_id_range"));
    d.stream_id_range = sr;
    TP_TRY(dr, src.get_range("driver.descriptor_stream_id_range"));
    d.descriptor_stream_id_range = dr;
    TP_TRY(cr, src.get_range("driver.control_stream_id_range"));
    d.control_stream_id_range = cr;

    auto& s = cfg.shm;
    TP_TRY(base_dir, src.get_string("shm.base_dir", s.base_dir));
    s.base_dir = base_dir;
    TP_TRY(ns, src.get_string("shm.namespace", s.ns));
    s.ns = ns;
    TP_TRY(rh, src.get_bool("shm.require_hugepages", s.require_hugepages));
    s.require_hugepages = rh;
    TP_TRY_VOID(read_u32(src, "shm.page_size_bytes", s.page_size_bytes));
    TP_TRY(mode_text, src.get_string("shm.permissions_mode", "660"));
    TP_TRY(mode, parse_mode("shm.permissions_mode", mode_text));
    s.permissions_mode = mode;
    {
        std::vector<std::string> def;
        char resolved[PATH_MAX];
        def.emplace_back(::realpath(s.base_dir.c_str(), resolved) != nullptr ? std::string(resolved) : s.base_dir);
        TP_TRY(dirs, src.get_string_array("shm.allowed_base_dirs", def));
        s.allowed_base_dirs = dirs;
    }

    auto& p = cfg.policies;
    TP_TRY(ads, src.get_bool("policies.allow_dynamic_streams", p.allow_dynamic_streams));
    p.allow_dynamic_streams = ads;
    TP_TRY(dp, src.get_string("policies.default_profile", ""));
    p.default_profile = dp;
    TP_TRY_VOID(read_u32(src, "policies.announce_period_ms", p.announce_period_ms, 1, 3'600'000));
    TP_TRY_VOID(read_u32(src, "policies.lease_keepalive_interval_ms", p.lease_keepalive_interval_ms, 1, 3'600'000));
    TP_TRY_VOID(read_u32(src, "policies.lease_expiry_grace_intervals", p.lease_expiry_grace_intervals, 1, 1000));
    TP_TRY(pf, src.get_bool("policies.prefault_shm", p.prefault_shm));
    p.prefault_shm = pf;
    TP_TRY(ml, src.get_bool("policies.mlock_shm", p.mlock_shm));
    p.mlock_shm = ml;
    TP_TRY(gce, src.get_bool("policies.epoch_gc_enabled", p.epoch_gc_enabled));
    p.epoch_gc_enabled = gce;
    TP_TRY_VOID(read_u32(src, "policies.epoch_gc_keep", p.epoch_gc_keep, 1, 1'000'000));
    TP_TRY(gcage, src.get_uint("policies.epoch_gc_min_age_ns", p.epoch_gc_min_age_ns));
    p.epoch_gc_min_age_ns = gcage;
    TP_TRY(gcs, src.get_bool("policies.epoch_gc_on_startup", p.epoch_gc_on_startup));
    p.epoch_gc_on_startup = gcs;
    TP_TRY_VOID(read_u32(src, "policies.shutdown_timeout_ms", p.shutdown_timeout_ms, 0, 3'600'000));
    TP_TRY(tok, src.get_string("policies.shutdown_token", p.shutdown_token));
    p.shutdown_token = tok;
    TP_TRY(reuse, src.get_bool("policies.reuse_existing_shm", p.reuse_existing_shm));
    p.reuse_existing_shm = reuse;
    TP_TRY(cleanup, src.get_bool("policies.cleanup_shm_on_exit", p.cleanup_shm_on_exit));
    p.cleanup_shm_on_exit = cleanup;
    TP_TRY_VOID(read_u32(src, "policies.node_id_reuse_cooldown_ms", p.node_id_reuse_cooldown_ms));

    TP_TRY_VOID(load_profiles(src, cfg));
    TP_TRY_VOID(load_streams(src, cfg));
    if (p.default_profile.empty() && !cfg.profiles.empty()) {
        p.default_profile = cfg.profiles.front().name; // profiles are listed in name order
    }
    for (const auto& k : src.unknown_keys(driver_known_keys())) {
        cfg.warnings.push_back("unknown config key '" + k + "' ignored");
    }
    TP_TRY_VOID(cfg.validate());
    return cfg;
}

auto DriverConfig::defaults() -> DriverConfig {
    DriverConfig cfg;
    cfg.driver.announce_channel = cfg.driver.control_channel;
    cfg.driver.announce_stream_id = cfg.driver.control_stream_id;
    char resolved[PATH_MAX];
    cfg.shm.allowed_base_dirs.emplace_back(
        ::realpath(cfg.shm.base_dir.c_str(), resolved) != nullptr ? std::string(resolved) : cfg.shm.base_dir);
    cfg.profiles.push_back(ProfileConfig{"default", 1024, 256, {{1, 65536}, {2, 1048576}}});
    cfg.policies.default_profile = "default";
    cfg.streams.push_back(StreamConfig{"default", 10000, "default"});
    return cfg;
}

auto DriverConfig::validate() const -> Expected<void> {
    if (driver.instance_id.empty()) {
        return cfg_error("driver.instance_id", "must not be empty");
    }
    if (driver.transport != "builtin" && driver.transport != "aeron") {
        return cfg_error("driver.transport", "'" + driver.transport + "' must be \"builtin\" or \"aeron\"");
    }
    for (const auto& [key, ch] : {std::pair{"driver.control_channel", &driver.control_channel},
                                  std::pair{"driver.announce_channel", &driver.announce_channel},
                                  std::pair{"driver.qos_channel", &driver.qos_channel}}) {
        if (ch->rfind("aeron:", 0) != 0) {
            return cfg_error(key, "'" + *ch + "' is not an Aeron channel URI (aeron:ipc or aeron:udp?endpoint=...)");
        }
    }
    if (shm.base_dir.empty() || shm.base_dir.front() != '/') {
        return cfg_error("shm.base_dir", "'" + shm.base_dir + "' must be an absolute path");
    }
    if (!valid_namespace(shm.ns)) {
        return cfg_error("shm.namespace", "'" + shm.ns + "' must match [A-Za-z0-9._-]+ and not be '.' or '..'");
    }
    if ((shm.permissions_mode & 0007U) != 0) {
        // D-19 / D-42: consumers refuse files with any "other" bit (D-21).
        return cfg_error("shm.permissions_mode", "mode must not grant any permission to others (mode & 007 == 0)");
    }
    if ((shm.permissions_mode & 0600U) != 0600U) {
        return cfg_error("shm.permissions_mode", "mode must give the owner read and write (0600)");
    }
    if (!common::is_power_of_two(shm.page_size_bytes)) {
        return cfg_error("shm.page_size_bytes", "must be a power of two");
    }
    for (const auto& dir : shm.allowed_base_dirs) {
        if (dir.empty() || dir.front() != '/') {
            return cfg_error("shm.allowed_base_dirs", "'" + dir + "' must be an absolute path");
        }
    }

    if (profiles.empty()) {
        return cfg_error("profiles", "at least one profile must be defined ([profiles.<name>] with payload_pools)");
    }
    for (const auto& p : profiles) {
        const std::string base = "profiles." + p.name;
        if (!common::is_power_of_two(p.header_nslots)) {
            return cfg_error(base + ".header_nslots",
                             std::to_string(p.header_nslots) + " is not a power of two (D-18)");
        }
        if (p.header_slot_bytes != 256) {
            return cfg_error(base + ".header_slot_bytes", "must be 256, the only legal value");
        }
        if (p.payload_pools.empty()) {
            return cfg_error(base + ".payload_pools", "must contain at least one pool");
        }
        std::set<std::uint16_t> ids;
        for (std::size_t i = 0; i < p.payload_pools.size(); ++i) {
            const auto& pool = p.payload_pools[i];
            const std::string pk = base + ".payload_pools[" + std::to_string(i) + "]";
            if (pool.pool_id == 0) {
                return cfg_error(pk + ".pool_id", "must be >= 1 (pool id 0 is the header ring)");
            }
            if (!ids.insert(pool.pool_id).second) {
                return cfg_error(pk + ".pool_id", "duplicate pool id " + std::to_string(pool.pool_id));
            }
            // D-17: a power-of-two multiple of 64.
            if (pool.stride_bytes < 64 || !common::is_power_of_two(pool.stride_bytes)) {
                return cfg_error(pk + ".stride_bytes", std::to_string(pool.stride_bytes) +
                                                           " must be a power of two >= 64 (a power-of-two multiple "
                                                           "of 64, D-17)");
            }
        }
    }
    if (!policies.default_profile.empty() && find_profile(policies.default_profile) == nullptr) {
        return cfg_error("policies.default_profile", "names unknown profile '" + policies.default_profile + "'");
    }

    std::set<std::uint32_t> static_ids;
    for (const auto& s : streams) {
        const std::string base = "streams." + s.name;
        if (s.profile.empty()) {
            return cfg_error(base + ".profile", "is required");
        }
        if (find_profile(s.profile) == nullptr) {
            return cfg_error(base + ".profile", "names unknown profile '" + s.profile + "'");
        }
        if (!static_ids.insert(s.stream_id).second) {
            return cfg_error(base + ".stream_id", "duplicate stream id " + std::to_string(s.stream_id));
        }
    }
    if (streams.empty() && !policies.allow_dynamic_streams) {
        return cfg_error("streams", "no streams are configured and policies.allow_dynamic_streams is false");
    }
    if (policies.allow_dynamic_streams && !driver.stream_id_range) {
        // Driver §11: fail fast when dynamic streams are on without a range.
        return cfg_error("driver.stream_id_range", "must be set when policies.allow_dynamic_streams is true");
    }

    // D-06: ranges must not overlap each other, the control/announce/QoS ids, or static stream ids.
    std::vector<std::pair<std::string, IdRange>> ranges;
    if (driver.stream_id_range) {
        ranges.emplace_back("driver.stream_id_range", *driver.stream_id_range);
    }
    if (driver.descriptor_stream_id_range) {
        ranges.emplace_back("driver.descriptor_stream_id_range", *driver.descriptor_stream_id_range);
    }
    if (driver.control_stream_id_range) {
        ranges.emplace_back("driver.control_stream_id_range", *driver.control_stream_id_range);
    }
    const std::vector<std::pair<std::string, std::uint32_t>> fixed = {
        {"driver.control_stream_id", driver.control_stream_id},
        {"driver.announce_stream_id", driver.announce_stream_id},
        {"driver.qos_stream_id", driver.qos_stream_id}};
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        for (std::size_t j = i + 1; j < ranges.size(); ++j) {
            if (ranges[i].second.overlaps(ranges[j].second)) {
                return cfg_error(ranges[j].first, ranges[j].second.to_string() + " overlaps " + ranges[i].first + " " +
                                                      ranges[i].second.to_string());
            }
        }
        for (const auto& [fk, id] : fixed) {
            if (ranges[i].second.contains(id)) {
                return cfg_error(ranges[i].first,
                                 ranges[i].second.to_string() + " contains " + fk + " " + std::to_string(id));
            }
        }
        for (const auto& s : streams) {
            if (ranges[i].second.contains(s.stream_id)) {
                return cfg_error(ranges[i].first, ranges[i].second.to_string() + " contains the static stream id " +
                                                      std::to_string(s.stream_id) + " of streams." + s.name);
            }
        }
    }
    return {};
}

auto DriverConfig::find_profile(const std::string& name) const -> const ProfileConfig* {
    auto it = std::find_if(profiles.begin(), profiles.end(), [&](const ProfileConfig& p) { return p.name == name; });
    return it == profiles.end() ? nullptr : &*it;
}

auto DriverConfig::find_stream(std::uint32_t stream_id) const -> const StreamConfig* {
    auto it =
        std::find_if(streams.begin(), streams.end(), [&](const StreamConfig& s) { return s.stream_id == stream_id; });
    return it == streams.end() ? nullptr : &*it;
}

auto DriverConfig::epoch_gc_min_age_ns() const -> std::uint64_t {
    // SPEC_DECISIONS §4: 0 or absent means 3 x announce period.
    return policies.epoch_gc_min_age_ns != 0 ? policies.epoch_gc_min_age_ns
                                             : 3ULL * policies.announce_period_ms * 1'000'000ULL;
}

} // namespace tp::driver
