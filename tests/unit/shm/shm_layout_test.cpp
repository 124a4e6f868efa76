// SPDX-License-Identifier: Apache-2.0
// Canonical layout and region creation: W §15.21a.3, §15.14; D-08, D-17, D-18, D-19, D-22, D-42, D-64.
#include "shm_fixture.hpp"

#include "shm/superblock.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <sys/stat.h>

namespace tp::shm {
namespace {

namespace fs = std::filesystem;

auto make_layout(const tp::test::TempDir& dir, LayoutConfig cfg = {}) -> ShmLayout {
    cfg.base_dir = dir.path();
    if (cfg.user.empty()) {
        cfg.user = "alice";
    }
    auto l = ShmLayout::create(cfg);
    EXPECT_TRUE(l) << l.error().to_string();
    return std::move(*l);
}

auto mode_of(const std::string& path) -> unsigned {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

TEST(ShmLayout, W15_21a3_CanonicalPaths) {
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.namespace_name = "lab1";
    const ShmLayout layout = make_layout(dir, cfg);
    const std::string base = layout.config().base_dir;
    EXPECT_EQ(layout.user_dir(), base + "/tensorpool-alice");
    EXPECT_EQ(layout.epoch_dir(10000, 42), base + "/tensorpool-alice/lab1/10000/42");
    EXPECT_EQ(layout.header_ring_path(10000, 42), base + "/tensorpool-alice/lab1/10000/42/header.ring");
    EXPECT_EQ(layout.pool_path(10000, 42, 3), base + "/tensorpool-alice/lab1/10000/42/3.pool");
}

TEST(ShmLayout, D19_UserNameSanitised) {
    EXPECT_EQ(sanitize_user_name("alice"), "alice");
    EXPECT_EQ(sanitize_user_name("a.b-c_d9"), "a.b-c_d9");
    EXPECT_EQ(sanitize_user_name("../../etc"), ".._.._etc");
    EXPECT_EQ(sanitize_user_name("dom\\user name"), "dom_user_name");
    EXPECT_EQ(sanitize_user_name(""), "unknown");
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.user = "x/../y";
    const ShmLayout layout = make_layout(dir, cfg);
    EXPECT_EQ(layout.config().user, "x_.._y");
    EXPECT_EQ(fs::path(layout.user_dir()).parent_path(), fs::path(layout.config().base_dir));
    const std::string resolved = resolve_user_name();
    EXPECT_FALSE(resolved.empty());
    EXPECT_EQ(resolved, sanitize_user_name(resolved));
}

TEST(ShmLayout, D04_NamespaceValidated) {
    EXPECT_TRUE(is_valid_namespace("default"));
    EXPECT_TRUE(is_valid_namespace("lab-1.sim_x"));
    for (const char* bad : {"", ".", "..", "a/b", "a b", "ns$"}) {
        EXPECT_FALSE(is_valid_namespace(bad)) << bad;
        tp::test::TempDir dir;
        LayoutConfig cfg;
        cfg.base_dir = dir.path();
        cfg.namespace_name = bad;
        EXPECT_FALSE(ShmLayout::create(cfg)) << bad;
    }
}

TEST(ShmLayout, D42_PermissionsModeWithOtherBitsRejected) {
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.base_dir = dir.path();
    cfg.file_mode = 0664;
    auto l = ShmLayout::create(cfg);
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message.find("'other'"), std::string::npos);
    cfg.file_mode = 04660;
    EXPECT_FALSE(ShmLayout::create(cfg));
    cfg.file_mode = 0600;
    EXPECT_TRUE(ShmLayout::create(cfg));
}

TEST(ShmLayout, BaseDirMustExistAndBeAbsolute) {
    LayoutConfig cfg;
    cfg.base_dir = "relative";
    EXPECT_FALSE(ShmLayout::create(cfg));
    cfg.base_dir = "/nonexistent/tp-base";
    EXPECT_FALSE(ShmLayout::create(cfg));
}

TEST(ShmLayout, D37_RequireHugepagesOnTmpfsRejected) {
    if (!fs::is_directory("/dev/shm")) {
        GTEST_SKIP() << "no /dev/shm";
    }
    tp::test::TempDir dir("tp-huge-", "/dev/shm");
    LayoutConfig cfg;
    cfg.base_dir = dir.path();
    cfg.require_hugepages = true;
    auto l = ShmLayout::create(cfg);
    ASSERT_FALSE(l);
    EXPECT_NE(l.error().message.find("not hugetlbfs"), std::string::npos);
}

TEST(ShmLayout, D19_D64_CreateRegionsModesSizesAndSuperblocks) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    RegionSetParams params{10000, 5, 16, {{1, 1024}, {2, 65536}}, 0};
    auto created = layout.create_regions(params, 777);
    ASSERT_TRUE(created) << created.error().to_string();

    for (const std::string& d :
         {layout.user_dir(), layout.namespace_dir(), layout.stream_dir(10000), layout.epoch_dir(10000, 5)}) {
        EXPECT_EQ(mode_of(d), 0770U) << d; // D-19
    }
    const std::string ring = layout.header_ring_path(10000, 5);
    EXPECT_EQ(mode_of(ring), 0660U);
    EXPECT_EQ(fs::file_size(ring), 64U + 16U * 256U); // D-64
    EXPECT_EQ(fs::file_size(layout.pool_path(10000, 5, 2)), 64U + 16U * 65536U);

    EXPECT_EQ(created->spec.header_region_uri, "shm:file?path=" + ring);
    ASSERT_EQ(created->spec.pools.size(), 2U);
    EXPECT_EQ(created->spec.pools[1].region_uri, "shm:file?path=" + layout.pool_path(10000, 5, 2));
    EXPECT_EQ(created->spec.pools[1].nslots, 16U);

    // D-08 "Write".
    const SuperblockFields h = read_superblock(created->header.data());
    EXPECT_EQ(h.magic, SuperblockDescriptor::MAGIC);
    EXPECT_EQ(h.layout_version, 1U);
    EXPECT_EQ(h.epoch, 5U);
    EXPECT_EQ(h.stream_id, 10000U);
    EXPECT_EQ(h.region_type, 1);
    EXPECT_EQ(h.pool_id, 0);
    EXPECT_EQ(h.nslots, 16U);
    EXPECT_EQ(h.slot_bytes, 256U);
    EXPECT_EQ(h.stride_bytes, 0U);
    EXPECT_EQ(h.pid, static_cast<std::uint64_t>(::getpid()));
    EXPECT_EQ(h.start_timestamp_ns, 777U);
    EXPECT_EQ(h.activity_timestamp_ns, 777U);
    const SuperblockFields p = read_superblock(created->pools[1].data());
    EXPECT_EQ(p.region_type, 2);
    EXPECT_EQ(p.pool_id, 2);
    EXPECT_EQ(p.nslots, 16U);
    EXPECT_EQ(p.slot_bytes, 65536U);
    EXPECT_EQ(p.stride_bytes, 65536U);
}

TEST(ShmLayout, D42_ConfiguredModeAppliedDespiteUmask) {
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.file_mode = 0640;
    const ShmLayout layout = make_layout(dir, cfg);
    const mode_t old = ::umask(0077);
    auto created = layout.create_regions({1, 9, 4, {{1, 64}}, 0}, 1);
    ::umask(old);
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(mode_of(layout.header_ring_path(1, 9)), 0640U);
    EXPECT_EQ(mode_of(layout.epoch_dir(1, 9)), 0770U);
}

TEST(ShmLayout, PrefaultAndMlockOptions) {
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.prefault = true;
    cfg.mlock = true;
    const ShmLayout layout = make_layout(dir, cfg);
    auto created = layout.create_regions({1, 9, 4, {{1, 4096}}, 0}, 1);
    if (!created && created.error().message.find("mlock") != std::string::npos) {
        GTEST_SKIP() << "mlock not permitted here: " << created.error().to_string();
    }
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(read_superblock(created->pools[0].data()).stride_bytes, 4096U);
}

TEST(ShmLayout, D17_D18_InvalidParamsRejectedBeforeAnythingIsCreated) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    struct Case {
        RegionSetParams params;
        const char* needle;
    };
    const Case cases[] = {
        {{1, 9, 12, {{1, 1024}}, 0}, "power of two"}, // D-18
        {{1, 9, 0, {{1, 1024}}, 0}, "power of two"},
        {{1, 9, 8, {}, 0}, "no payload pools"},
        {{1, 9, 8, {{0, 1024}}, 0}, "pool_id 0"}, // D-17
        {{1, 9, 8, {{1, 1024}, {1, 2048}}, 0}, "duplicate pool_id"},
        {{1, 9, 8, {{1, 96}}, 0}, "power-of-two multiple of 64"},
        {{1, 9, 8, {{1, 32}}, 0}, "power-of-two multiple of 64"},
        {{1, 0, 8, {{1, 64}}, 0}, "epoch 0"}, // D-22
    };
    for (const auto& c : cases) {
        auto r = layout.create_regions(c.params, 1);
        ASSERT_FALSE(r) << c.needle;
        EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().to_string();
    }
    EXPECT_FALSE(fs::exists(layout.user_dir()));
}

TEST(ShmLayout, ExistingRegionIsNotOverwritten) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    ASSERT_TRUE(layout.create_regions({1, 9, 4, {{1, 64}}, 0}, 1));
    auto again = layout.create_regions({1, 9, 4, {{1, 64}}, 0}, 2);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::State);
    EXPECT_TRUE(fs::exists(layout.header_ring_path(1, 9))); // the first set is untouched
}

TEST(ShmLayout, FailedCreationRemovesWhatItCreated) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    // Pool 2's file already exists (as a directory), so creation fails after the ring and pool 1.
    fs::create_directories(layout.epoch_dir(1, 9) + "/2.pool");
    auto r = layout.create_regions({1, 9, 4, {{1, 64}, {2, 64}}, 0}, 1);
    ASSERT_FALSE(r);
    EXPECT_FALSE(fs::exists(layout.header_ring_path(1, 9)));
    EXPECT_FALSE(fs::exists(layout.pool_path(1, 9, 1)));
    EXPECT_TRUE(fs::exists(layout.epoch_dir(1, 9) + "/2.pool")); // not ours: kept
}

TEST(ShmLayout, PrefaultedRegionsLargerThanMemoryAreRefusedBeforeAnyFileIsMade) {
    tp::test::TempDir dir("tp-layout-", "/dev/shm");
    LayoutConfig cfg;
    cfg.prefault = true;
    const ShmLayout layout = make_layout(dir, cfg);
    // 65536 slots of 1 GiB: 64 TiB, far beyond any machine's memory.
    auto r = layout.create_regions({1, 9, 65536, {{1, 1U << 30U}}, 0}, 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << r.error().to_string();
    EXPECT_NE(r.error().message.find("MiB is available"), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(layout.epoch_dir(1, 9)));
    // Without prefault the same sizes are sparse files and no memory is taken up front.
    const ShmLayout sparse = make_layout(dir);
    auto s = sparse.create_regions({2, 9, 64, {{1, 4096}}, 0}, 1);
    EXPECT_TRUE(s) << s.error().to_string();
}

TEST(ShmLayout, SymlinkedParentDirectoryRefused) {
    tp::test::TempDir dir;
    tp::test::TempDir elsewhere;
    const ShmLayout layout = make_layout(dir);
    fs::create_directory_symlink(elsewhere.path(), layout.user_dir());
    auto r = layout.create_regions({1, 9, 4, {{1, 64}}, 0}, 1);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("not a directory"), std::string::npos) << r.error().to_string();
    EXPECT_TRUE(fs::is_empty(elsewhere.path()));
}

TEST(ShmLayout, W15_21a7_ListAndRemoveEpochs) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    auto empty = layout.list_epochs(10000);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    for (std::uint64_t e : {30ULL, 4ULL, 1000000000000ULL}) {
        ASSERT_TRUE(layout.create_regions({10000, e, 4, {{1, 64}, {7, 128}}, 0}, 1));
    }
    // Entries that are not epoch directories are ignored.
    fs::create_directory(layout.stream_dir(10000) + "/0012");
    fs::create_directory(layout.stream_dir(10000) + "/abc");
    test::write_file(layout.stream_dir(10000) + "/55", 1);
    fs::create_directory_symlink(layout.epoch_dir(10000, 4), layout.stream_dir(10000) + "/66");
    auto epochs = layout.list_epochs(10000);
    ASSERT_TRUE(epochs);
    EXPECT_EQ(*epochs, (std::vector<std::uint64_t>{4, 30, 1000000000000ULL}));

    ASSERT_TRUE(layout.remove_epoch(10000, 30));
    EXPECT_FALSE(fs::exists(layout.epoch_dir(10000, 30)));
    epochs = layout.list_epochs(10000);
    ASSERT_TRUE(epochs);
    EXPECT_EQ(*epochs, (std::vector<std::uint64_t>{4, 1000000000000ULL}));

    auto missing = layout.remove_epoch(10000, 30);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST(ShmLayout, RemoveEpochRefusesForeignContent) {
    tp::test::TempDir dir;
    const ShmLayout layout = make_layout(dir);
    ASSERT_TRUE(layout.create_regions({1, 9, 4, {{1, 64}}, 0}, 1));
    test::write_file(layout.epoch_dir(1, 9) + "/notes.txt", 1);
    auto r = layout.remove_epoch(1, 9);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("notes.txt"), std::string::npos);
    EXPECT_TRUE(fs::exists(layout.header_ring_path(1, 9))); // nothing removed
}

TEST(ShmLayout, CreatedRegionsOpenThroughThePolicy) {
    test::RegionFixture fx;
    ShmReader reader = fx.reader();
    EXPECT_EQ(reader.epoch(), test::TEST_EPOCH);
    EXPECT_EQ(reader.check_superblocks(), SuperblockCheck::Ok);
}

} // namespace
} // namespace tp::shm
