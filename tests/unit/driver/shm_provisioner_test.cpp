// SPDX-License-Identifier: Apache-2.0
// The driver's filesystem port on a temporary base directory: layout, epochs, GC (D-42).
#include "driver/shm_region_provisioner.hpp"
#include "process_harness.hpp"
#include "shm/region_uri.hpp"

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace {

using namespace tp::driver;
namespace fs = std::filesystem;
constexpr std::uint64_t S = 1'000'000'000ULL;

class ProvisionerTest : public ::testing::Test {
protected:
    void SetUp() override {
        config = DriverConfig::defaults();
        config.shm.base_dir = dir.path();
        config.shm.allowed_base_dirs = {dir.path()};
        config.profiles[0].header_nslots = 8;
        config.profiles[0].payload_pools = {{1, 4096}, {2, 65536}};
        config.policies.prefault_shm = false;
        auto p = ShmRegionProvisioner::create(config, clock);
        ASSERT_TRUE(p) << p.error().to_string();
        prov = std::move(*p);
    }
    tp::test::TempDir dir{"tp-prov-"};
    DriverConfig config;
    tp::common::ManualClock clock{100 * S};
    std::unique_ptr<ShmRegionProvisioner> prov;
};

TEST_F(ProvisionerTest, CreatesCanonicalLayoutWire1521a3) {
    auto l = prov->provision(10000, 7, config.profiles[0], false);
    ASSERT_TRUE(l) << l.error().to_string();
    EXPECT_EQ(l->epoch, 7U);
    EXPECT_EQ(l->header_nslots, 8U);
    ASSERT_EQ(l->pools.size(), 2U);
    const std::string epoch_dir = prov->layout().epoch_dir(10000, 7);
    EXPECT_EQ(l->header_region_uri, "shm:file?path=" + epoch_dir + "/header.ring");
    EXPECT_EQ(l->pools[1].region_uri, "shm:file?path=" + epoch_dir + "/2.pool");
    EXPECT_EQ(fs::file_size(epoch_dir + "/header.ring"), 64U + 8U * 256U); // D-64
    EXPECT_EQ(fs::file_size(epoch_dir + "/2.pool"), 64U + 8U * 65536U);
    struct stat st {};
    ASSERT_EQ(::stat((epoch_dir + "/1.pool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660U);
    EXPECT_NE(epoch_dir.find("/tensorpool-"), std::string::npos);
    EXPECT_NE(epoch_dir.find("/default/10000/7"), std::string::npos);
}

TEST_F(ProvisionerTest, LargestExistingEpochD22) {
    EXPECT_EQ(prov->largest_existing_epoch(10000), 0U);
    ASSERT_TRUE(prov->provision(10000, 5, config.profiles[0], false));
    ASSERT_TRUE(prov->provision(10000, 9, config.profiles[0], false));
    EXPECT_EQ(prov->largest_existing_epoch(10000), 9U);
}

TEST_F(ProvisionerTest, GcKeepsCurrentPlusKeepMinusOneD42) {
    for (std::uint64_t e = 1; e <= 5; ++e) {
        ASSERT_TRUE(prov->provision(10000, e, config.profiles[0], false));
    }
    // Too young: nothing goes.
    prov->collect_epochs(10000, 5);
    EXPECT_EQ(prov->layout().list_epochs(10000)->size(), 5U);
    clock.advance_ns(10 * S); // older than 3 x announce period
    prov->collect_epochs(10000, 5);
    auto left = *prov->layout().list_epochs(10000);
    EXPECT_EQ(left, (std::vector<std::uint64_t>{4, 5})) << "keep = 2: the current and one older";
    EXPECT_EQ(prov->gc_removed(), 3U);
}

TEST_F(ProvisionerTest, GcNeverTouchesDirsOfAnotherLiveProcessD42) {
    ASSERT_TRUE(prov->provision(10000, 1, config.profiles[0], false));
    ASSERT_TRUE(prov->provision(10000, 2, config.profiles[0], false));
    ASSERT_TRUE(prov->provision(10000, 3, config.profiles[0], false));
    // Rewrite epoch 1's pid to our parent's (alive, not us).
    const std::string ring = prov->layout().header_ring_path(10000, 1);
    {
        FILE* f = std::fopen(ring.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::uint64_t ppid = static_cast<std::uint64_t>(::getppid());
        std::fseek(f, 40, SEEK_SET); // superblock pid offset
        std::fwrite(&ppid, sizeof(ppid), 1, f);
        std::fclose(f);
    }
    clock.advance_ns(10 * S);
    prov->collect_epochs(10000, 3);
    auto left = *prov->layout().list_epochs(10000);
    EXPECT_EQ(left, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(ProvisionerTest, RemoveStreamDeletesEverything) {
    ASSERT_TRUE(prov->provision(20000, 1, config.profiles[0], false));
    ASSERT_TRUE(prov->provision(20000, 2, config.profiles[0], false));
    prov->remove_stream(20000);
    EXPECT_FALSE(fs::exists(prov->layout().stream_dir(20000)));
}

TEST_F(ProvisionerTest, TmpfsIsNotHugetlbfs) {
    EXPECT_FALSE(prov->base_is_hugetlbfs());
}

TEST(ProvisionerConfig, RefusesBadBaseDir) {
    auto config = DriverConfig::defaults();
    config.shm.base_dir = "/proc/self/nonexistent-dir-for-tp";
    tp::common::ManualClock clock;
    EXPECT_FALSE(ShmRegionProvisioner::create(config, clock));
}

} // namespace
