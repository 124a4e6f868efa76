// SPDX-License-Identifier: Apache-2.0
#include "driver/driver_config.hpp"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

namespace {

using tp::driver::DriverConfig;

auto env_of(std::map<std::string, std::string> vars) -> tp::common::EnvLookup {
    return [vars = std::move(vars)](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

const char* const MINIMAL = R"(
[profiles.cam]
header_nslots = 64
payload_pools = [ { pool_id = 1, stride_bytes = 1048576 } ]

[streams.cam1]
stream_id = 10000
profile = "cam"
)";

auto load(const std::string& text, std::map<std::string, std::string> env = {}) -> tp::Expected<DriverConfig> {
    auto src = tp::common::ConfigSource::from_string(text, "test.toml", env_of(std::move(env)));
    if (!src) {
        return tp::Unexpected{src.error()};
    }
    return DriverConfig::load(*src);
}

auto error_of(const std::string& text, std::map<std::string, std::string> env = {}) -> std::string {
    auto cfg = load(text, std::move(env));
    return cfg ? std::string("<no error>") : cfg.error().message;
}

TEST(DriverConfig, DefaultsOfDriverSection17AndDecisions4) {
    auto cfg = load(MINIMAL);
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ(cfg->driver.instance_id, "driver-01");
    EXPECT_EQ(cfg->driver.control_channel, "aeron:ipc?term-length=4m");
    EXPECT_EQ(cfg->driver.control_stream_id, 1000U);
    EXPECT_EQ(cfg->driver.announce_channel, cfg->driver.control_channel);
    EXPECT_EQ(cfg->driver.announce_stream_id, 1000U);
    EXPECT_EQ(cfg->driver.qos_stream_id, 1200U);
    EXPECT_EQ(cfg->shm.base_dir, "/dev/shm");
    EXPECT_EQ(cfg->shm.ns, "default");
    EXPECT_EQ(cfg->shm.permissions_mode, 0660U);
    EXPECT_EQ(cfg->policies.announce_period_ms, 1000U);
    EXPECT_EQ(cfg->policies.lease_expiry_grace_intervals, 3U);
    EXPECT_TRUE(cfg->policies.prefault_shm);
    EXPECT_EQ(cfg->policies.epoch_gc_keep, 2U);
    EXPECT_EQ(cfg->epoch_gc_min_age_ns(), 3'000'000'000ULL);
    EXPECT_EQ(cfg->policies.node_id_reuse_cooldown_ms, 1000U);
    EXPECT_EQ(cfg->policies.default_profile, "cam");
    ASSERT_EQ(cfg->profiles.size(), 1U);
    EXPECT_EQ(cfg->profiles[0].header_nslots, 64U);
    ASSERT_EQ(cfg->streams.size(), 1U);
    EXPECT_EQ(cfg->streams[0].stream_id, 10000U);
}

TEST(DriverConfig, EnvironmentOverridesTomlD06) {
    auto cfg = load(std::string("[driver]\ncontrol_stream_id = 1000\n") + MINIMAL,
                    {{"DRIVER_CONTROL_STREAM_ID", "1500"}, {"POLICIES_MLOCK_SHM", "false"}, {"SHM_NAMESPACE", "lab"}});
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ(cfg->driver.control_stream_id, 1500U);
    EXPECT_EQ(cfg->driver.announce_stream_id, 1500U);
    EXPECT_EQ(cfg->shm.ns, "lab");
}

TEST(DriverConfig, BooleansAreTrueOrFalseOnlyD06) {
    EXPECT_NE(error_of(MINIMAL, {{"POLICIES_MLOCK_SHM", "yes"}}).find("policies.mlock_shm"), std::string::npos);
    EXPECT_NE(error_of(std::string("[shm]\nrequire_hugepages = 1\n") + MINIMAL).find("shm.require_hugepages"),
              std::string::npos);
}

TEST(DriverConfig, RejectsNonPowerOfTwoSlotsD18) {
    auto msg = error_of(R"(
[profiles.cam]
header_nslots = 100
payload_pools = [ { pool_id = 1, stride_bytes = 4096 } ]
[streams.a]
stream_id = 10000
profile = "cam"
)");
    EXPECT_NE(msg.find("profiles.cam.header_nslots"), std::string::npos) << msg;
    EXPECT_NE(msg.find("power of two"), std::string::npos) << msg;
}

TEST(DriverConfig, RejectsBadStridesD17) {
    for (const char* stride : {"96", "32", "0", "1000"}) {
        auto msg = error_of(std::string(R"(
[profiles.cam]
payload_pools = [ { pool_id = 1, stride_bytes = )") +
                            stride + R"( } ]
[streams.a]
stream_id = 10000
profile = "cam"
)");
        EXPECT_NE(msg.find("profiles.cam.payload_pools[0].stride_bytes"), std::string::npos) << stride << ": " << msg;
    }
}

TEST(DriverConfig, RejectsEmptyProfilesAndPoolsD42) {
    EXPECT_NE(error_of("[streams.a]\nstream_id = 1\nprofile = \"x\"\n").find("'profiles'"), std::string::npos);
    EXPECT_NE(error_of("[profiles.cam]\nheader_nslots = 8\n[streams.a]\nstream_id = 10000\nprofile = \"cam\"\n")
                  .find("profiles.cam.payload_pools"),
              std::string::npos);
}

TEST(DriverConfig, RejectsPoolIdZeroAndDuplicatesD42) {
    EXPECT_NE(error_of(R"(
[profiles.cam]
payload_pools = [ { pool_id = 0, stride_bytes = 4096 } ]
[streams.a]
stream_id = 10000
profile = "cam"
)")
                  .find("pool_id"),
              std::string::npos);
    EXPECT_NE(error_of(R"(
[profiles.cam]
payload_pools = [ { pool_id = 1, stride_bytes = 4096 }, { pool_id = 1, stride_bytes = 8192 } ]
[streams.a]
stream_id = 10000
profile = "cam"
)")
                  .find("duplicate pool id"),
              std::string::npos);
}

TEST(DriverConfig, RejectsOtherPermissionBitsD42) {
    auto msg = error_of(std::string("[shm]\npermissions_mode = \"666\"\n") + MINIMAL);
    EXPECT_NE(msg.find("shm.permissions_mode"), std::string::npos) << msg;
    EXPECT_NE(error_of(std::string("[shm]\npermissions_mode = \"6x0\"\n") + MINIMAL).find("octal"), std::string::npos);
}

TEST(DriverConfig, RejectsBadNamespaceD19) {
    for (const char* ns : {"..", ".", "a/b", "", "sp ace"}) {
        auto msg = error_of(std::string("[shm]\nnamespace = \"") + ns + "\"\n" + MINIMAL);
        EXPECT_NE(msg.find("shm.namespace"), std::string::npos) << ns << ": " << msg;
    }
}

TEST(DriverConfig, RangeSyntaxesD06) {
    for (const char* r : {"\"20000-29999\"", "\"20000,29999\"", "[20000, 29999]"}) {
        auto cfg = load(std::string("[driver]\nstream_id_range = ") + r +
                        "\n[policies]\nallow_dynamic_streams = true\n" + MINIMAL);
        ASSERT_TRUE(cfg) << r << ": " << cfg.error().to_string();
        ASSERT_TRUE(cfg->driver.stream_id_range);
        EXPECT_EQ(cfg->driver.stream_id_range->first, 20000U);
        EXPECT_EQ(cfg->driver.stream_id_range->last, 29999U);
    }
    EXPECT_NE(error_of(std::string("[driver]\nstream_id_range = \"30-20\"\n") + MINIMAL).find("first > last"),
              std::string::npos);
}

TEST(DriverConfig, RejectsOverlappingRangesD06) {
    auto msg = error_of(std::string("[driver]\ndescriptor_stream_id_range = \"31000-31999\"\n"
                                    "control_stream_id_range = \"31500-32999\"\n") +
                        MINIMAL);
    EXPECT_NE(msg.find("overlaps"), std::string::npos) << msg;
    msg = error_of(std::string("[driver]\nstream_id_range = \"9000-10500\"\n") + MINIMAL);
    EXPECT_NE(msg.find("static stream id 10000"), std::string::npos) << msg;
    msg = error_of(std::string("[driver]\ncontrol_stream_id_range = \"900-1100\"\n") + MINIMAL);
    EXPECT_NE(msg.find("driver.control_stream_id"), std::string::npos) << msg;
}

TEST(DriverConfig, DynamicStreamsNeedARangeDriver11) {
    auto msg = error_of(std::string("[policies]\nallow_dynamic_streams = true\n") + MINIMAL);
    EXPECT_NE(msg.find("driver.stream_id_range"), std::string::npos) << msg;
}

TEST(DriverConfig, UnknownKeysAreWarnings) {
    auto cfg = load(std::string("[policies]\nanounce_period_ms = 5\n") + MINIMAL);
    ASSERT_TRUE(cfg);
    ASSERT_EQ(cfg->warnings.size(), 1U);
    EXPECT_NE(cfg->warnings[0].find("policies.anounce_period_ms"), std::string::npos);
}

TEST(DriverConfig, WrongTypesNameTheKey) {
    auto msg = error_of(std::string("[driver]\ncontrol_stream_id = \"abc\"\n") + MINIMAL);
    EXPECT_NE(msg.find("driver.control_stream_id"), std::string::npos) << msg;
    EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
    msg = error_of(MINIMAL, {{"DRIVER_QOS_STREAM_ID", "-5"}});
    EXPECT_NE(msg.find("DRIVER_QOS_STREAM_ID"), std::string::npos) << msg;
}

TEST(DriverConfig, MalformedTomlGivesLineAndColumn) {
    auto cfg = load("[driver\ncontrol_stream_id = 1");
    ASSERT_FALSE(cfg);
    EXPECT_EQ(cfg.error().code, tp::ErrorCode::ParseError);
    EXPECT_NE(cfg.error().message.find("test.toml:1:"), std::string::npos) << cfg.error().message;
}

TEST(DriverConfig, MissingFileIsNotFound) {
    auto cfg = DriverConfig::load_file("/nonexistent/driver.toml");
    ASSERT_FALSE(cfg);
    EXPECT_EQ(cfg.error().code, tp::ErrorCode::NotFound);
}

TEST(DriverConfig, DefaultsAreValid) {
    auto cfg = DriverConfig::defaults();
    auto ok = cfg.validate();
    EXPECT_TRUE(ok) << ok.error().to_string();
}

TEST(DriverConfig, ProjectExampleConfigsLoad) {
    namespace fs = std::filesystem;
    int loaded = 0;
    for (const auto& e : fs::directory_iterator(std::string(TP_SOURCE_DIR) + "/config")) {
        if (e.path().filename().string().rfind("driver", 0) != 0 || e.path().extension() != ".toml") {
            continue;
        }
        auto cfg = DriverConfig::load_file(e.path().string(), env_of({}));
        EXPECT_TRUE(cfg) << e.path() << ": " << cfg.error().to_string();
        ++loaded;
    }
    EXPECT_GE(loaded, 2);
}

TEST(DriverConfig, SpecExampleConfigsLoad) {
    namespace fs = std::filesystem;
    const std::string dir = TP_SPEC_CONFIG_DIR;
    if (!fs::is_directory(dir)) {
        GTEST_SKIP() << "spec example configs not present at " << dir;
    }
    for (const char* name :
         {"driver_camera_example.toml", "driver_integration_example.toml", "driver_interop_example.toml"}) {
        auto cfg = DriverConfig::load_file(dir + "/" + name, env_of({}));
        // The camera example enables dynamic streams without a range: Driver §11 requires failing fast.
        if (std::string(name) == "driver_camera_example.toml") {
            ASSERT_FALSE(cfg);
            EXPECT_NE(cfg.error().message.find("driver.stream_id_range"), std::string::npos);
            continue;
        }
        EXPECT_TRUE(cfg) << name << ": " << cfg.error().to_string();
    }
}

} // namespace
