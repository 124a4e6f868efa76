// SPDX-License-Identifier: Apache-2.0
#pragma once

// The driver's configuration (Driver §17, SPEC_DECISIONS §4, D-06, D-17, D-18, D-19, D-42):
// every canonical key with its default, environment overrides, and start-up validation whose
// errors name the key and the problem. docs/CONFIG.md lists every key.

#include "common/config_source.hpp"
#include "tensorpool/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tp::driver {

/// One payload pool of a profile.
struct PoolConfig {
    std::uint16_t pool_id{1};
    std::uint32_t stride_bytes{0};
};

/// A named layout: header ring size and payload pools.
struct ProfileConfig {
    std::string name;
    std::uint32_t header_nslots{1024};
    std::uint32_t header_slot_bytes{256};
    std::vector<PoolConfig> payload_pools;
};

/// A statically configured stream.
struct StreamConfig {
    std::string name;
    std::uint32_t stream_id{0};
    std::string profile;
};

/// `[driver]`.
struct DriverSection {
    std::string instance_id{"driver-01"};
    std::string aeron_dir;
    std::string transport{"builtin"};  ///< "builtin" or "aeron"
    std::string transport_dir;         ///< built-in transport directory ("" = default)
    bool aeron_embedded_driver{false}; ///< transport "aeron": host an Aeron media driver in aeron_dir
    std::string control_channel{"aeron:ipc?term-length=4m"};
    std::uint32_t control_stream_id{1000};
    std::string announce_channel;        ///< default: control_channel
    std::uint32_t announce_stream_id{0}; ///< default: control_stream_id
    std::string qos_channel{"aeron:ipc?term-length=4m"};
    std::uint32_t qos_stream_id{1200};
    std::optional<common::IdRange> stream_id_range;
    std::optional<common::IdRange> descriptor_stream_id_range;
    std::optional<common::IdRange> control_stream_id_range;
};

/// `[shm]`.
struct ShmSection {
    std::string base_dir{"/dev/shm"};
    std::string ns{"default"}; ///< `shm.namespace`
    bool require_hugepages{false};
    std::uint32_t page_size_bytes{4096};
    std::uint32_t permissions_mode{0660};
    std::vector<std::string> allowed_base_dirs; ///< default: [realpath(base_dir)]
};

/// `[policies]`.
struct PoliciesSection {
    bool allow_dynamic_streams{false};
    std::string default_profile; ///< default: first profile in file order
    std::uint32_t announce_period_ms{1000};
    std::uint32_t lease_keepalive_interval_ms{1000};
    std::uint32_t lease_expiry_grace_intervals{3};
    bool prefault_shm{true};
    bool mlock_shm{false};
    bool epoch_gc_enabled{true};
    std::uint32_t epoch_gc_keep{2};
    std::uint64_t epoch_gc_min_age_ns{0}; ///< 0 = 3 x announce period
    bool epoch_gc_on_startup{false};
    std::uint32_t shutdown_timeout_ms{2000};
    std::string shutdown_token;
    bool reuse_existing_shm{false};
    bool cleanup_shm_on_exit{false};
    std::uint32_t node_id_reuse_cooldown_ms{1000};
};

/// The whole driver configuration, validated.
struct DriverConfig {
    DriverSection driver;
    ShmSection shm;
    PoliciesSection policies;
    std::vector<ProfileConfig> profiles;
    std::vector<StreamConfig> streams;
    std::vector<std::string> warnings; ///< unknown keys and similar, for the log

    /// Loads a TOML file with environment overrides and validates it.
    static auto load_file(const std::string& path, common::EnvLookup env = common::process_env())
        -> Expected<DriverConfig>;
    /// Loads from parsed source and validates.
    static auto load(const common::ConfigSource& src) -> Expected<DriverConfig>;
    /// A valid configuration with one profile ("default": 1024 slots, pools 1:64 KiB, 2:1 MiB) and
    /// one stream (10000), for embedding and the demo.
    static auto defaults() -> DriverConfig;

    /// Checks every rule of D-42 / D-06 / D-17 / D-18; the error names the key.
    [[nodiscard]] auto validate() const -> Expected<void>;

    [[nodiscard]] auto find_profile(const std::string& name) const -> const ProfileConfig*;
    [[nodiscard]] auto find_stream(std::uint32_t stream_id) const -> const StreamConfig*;
    /// policies.epoch_gc_min_age_ns with its default applied.
    [[nodiscard]] auto epoch_gc_min_age_ns() const -> std::uint64_t;
};

/// Every key the driver understands, as patterns for ConfigSource::unknown_keys.
auto driver_known_keys() -> const std::set<std::string>&;

} // namespace tp::driver
