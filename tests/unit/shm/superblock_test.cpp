// SPDX-License-Identifier: Apache-2.0
// Superblocks: W §7.1, §15.1, §15.14; D-07, D-08, D-18, D-24, D-64.
#include "shm/superblock.hpp"

#include "common/bits.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace tp::shm {
namespace {

auto header_fields() -> SuperblockFields {
    SuperblockFields f;
    f.epoch = 3;
    f.stream_id = 10000;
    f.region_type = static_cast<std::int16_t>(RegionType::HeaderRing);
    f.nslots = 1024;
    f.slot_bytes = 256;
    f.pid = 4242;
    f.start_timestamp_ns = 1;
    f.activity_timestamp_ns = 2;
    return f;
}

auto pool_fields() -> SuperblockFields {
    SuperblockFields f = header_fields();
    f.region_type = static_cast<std::int16_t>(RegionType::PayloadPool);
    f.pool_id = 1;
    f.slot_bytes = 1 << 20;
    f.stride_bytes = 1 << 20;
    return f;
}

constexpr ExpectedSuperblock HEADER_EXPECT{RegionType::HeaderRing, 3, 10000, 0, 1024, 0, 1};
constexpr ExpectedSuperblock POOL_EXPECT{RegionType::PayloadPool, 3, 10000, 1, 1024, 1 << 20, 1};
constexpr std::uint64_t HEADER_SIZE = 64 + 1024 * 256;
constexpr std::uint64_t POOL_SIZE = 64 + 1024ULL * (1 << 20);

auto message_of(const Expected<void>& r) -> std::string {
    return r ? "" : r.error().message;
}

TEST(Superblock, D07_MagicIsLittleEndianU64) {
    alignas(8) std::array<std::byte, 64> buf{};
    write_superblock(buf.data(), header_fields());
    const unsigned char expect[8] = {0x31, 0x4D, 0x48, 0x53, 0x4C, 0x50, 0x4F, 0x54}; // "1MHSLPOT"
    EXPECT_EQ(std::memcmp(buf.data(), expect, 8), 0);
}

TEST(Superblock, W7_1_RoundTripsEveryFieldAtItsOffset) {
    alignas(8) std::array<std::byte, 64> buf{};
    SuperblockFields f;
    f.magic = SuperblockDescriptor::MAGIC;
    f.layout_version = 0x01020304;
    f.epoch = 0x1112131415161718ULL;
    f.stream_id = 0x21222324;
    f.region_type = 0x3132;
    f.pool_id = 0x4142;
    f.nslots = 0x51525354;
    f.slot_bytes = 0x61626364;
    f.stride_bytes = 0x71727374;
    f.pid = 0x8182838485868788ULL;
    f.start_timestamp_ns = 0x9192939495969798ULL;
    f.activity_timestamp_ns = 0xA1A2A3A4A5A6A7A8ULL;
    write_superblock(buf.data(), f);
    EXPECT_EQ(read_superblock(buf.data()), f);
    EXPECT_EQ(common::load_unaligned<std::uint64_t>(buf.data() + 12), f.epoch); // D-09: unaligned epoch@12
    EXPECT_EQ(common::load_unaligned<std::uint32_t>(buf.data() + 28), f.nslots);
    EXPECT_EQ(common::load_unaligned<std::uint64_t>(buf.data() + 56), f.activity_timestamp_ns);
}

TEST(Superblock, D08_ValidHeaderAndPoolAccepted) {
    EXPECT_TRUE(validate_superblock(header_fields(), HEADER_EXPECT, HEADER_SIZE));
    EXPECT_TRUE(validate_superblock(pool_fields(), POOL_EXPECT, POOL_SIZE));
}

TEST(Superblock, D07_BadMagicRejected) {
    auto f = header_fields();
    f.magic = 0x314D48534C504F54ULL; // the ASCII reading, byte-swapped
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("magic"), std::string::npos);
}

TEST(Superblock, W15_1_LayoutVersionMismatchRejected) {
    auto f = header_fields();
    f.layout_version = 2;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("layout_version is 2"),
              std::string::npos);
}

TEST(Superblock, W15_1_RegionTypeMismatchRejected) {
    EXPECT_NE(message_of(validate_superblock(pool_fields(), HEADER_EXPECT, POOL_SIZE)).find("region_type"),
              std::string::npos);
    auto f = header_fields();
    f.region_type = 7;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("INVALID(7)"), std::string::npos);
}

TEST(Superblock, W15_1_EpochMismatchRejected) {
    auto f = header_fields();
    f.epoch = 4;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("epoch is 4, expected 3"),
              std::string::npos);
}

TEST(Superblock, D08_StreamIdMismatchRejected) {
    auto f = header_fields();
    f.stream_id = 1;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("stream_id"), std::string::npos);
}

TEST(Superblock, W7_1_PoolIdRules) {
    auto h = header_fields();
    h.pool_id = 1; // header ring pool_id MUST be 0
    EXPECT_NE(message_of(validate_superblock(h, HEADER_EXPECT, HEADER_SIZE)).find("pool_id"), std::string::npos);
    auto p = pool_fields();
    p.pool_id = 2; // MUST match the announce
    EXPECT_NE(message_of(validate_superblock(p, POOL_EXPECT, POOL_SIZE)).find("pool_id is 2"), std::string::npos);
}

TEST(Superblock, D18_NslotsPowerOfTwoAndEqual) {
    auto f = header_fields();
    f.nslots = 1000;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("power of two"), std::string::npos);
    f.nslots = 512;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("nslots is 512"), std::string::npos);
}

TEST(Superblock, D08_HeaderSlotBytesMustBe256AndStrideIgnored) {
    auto f = header_fields();
    f.slot_bytes = 512;
    EXPECT_NE(message_of(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE)).find("slot_bytes"), std::string::npos);
    f = header_fields();
    f.stride_bytes = 12345; // D-08: the header's stride_bytes is ignored
    EXPECT_TRUE(validate_superblock(f, HEADER_EXPECT, HEADER_SIZE));
}

TEST(Superblock, D08_PoolSlotBytesStrideOrNull) {
    auto p = pool_fields();
    p.slot_bytes = SuperblockDescriptor::NULL_SLOT_BYTES; // C driver
    EXPECT_TRUE(validate_superblock(p, POOL_EXPECT, POOL_SIZE));
    p.slot_bytes = 4096;
    EXPECT_NE(message_of(validate_superblock(p, POOL_EXPECT, POOL_SIZE)).find("slot_bytes"), std::string::npos);
}

TEST(Superblock, D08_PoolStrideMustEqualAnnounced) {
    auto p = pool_fields();
    p.stride_bytes = 1 << 21;
    p.slot_bytes = 1 << 21;
    EXPECT_NE(message_of(validate_superblock(p, POOL_EXPECT, POOL_SIZE)).find("stride_bytes"), std::string::npos);
}

TEST(Superblock, D64_FileSizeAtLeastLayout) {
    EXPECT_EQ(expected_region_size(RegionType::HeaderRing, 1024, 0), HEADER_SIZE);
    EXPECT_EQ(expected_region_size(RegionType::PayloadPool, 1024, 1 << 20), POOL_SIZE);
    EXPECT_EQ(expected_region_size(RegionType::PayloadPool, 0xFFFFFFFFU, 0x80000000U),
              64 + 0xFFFFFFFFULL * 0x80000000ULL);
    EXPECT_NE(message_of(validate_superblock(header_fields(), HEADER_EXPECT, HEADER_SIZE - 1)).find("smaller"),
              std::string::npos);
    EXPECT_TRUE(validate_superblock(header_fields(), HEADER_EXPECT, HEADER_SIZE + 4096));
}

TEST(Superblock, D24_ActivityTimestampStoreAndLoad) {
    alignas(8) std::array<std::byte, 64> buf{};
    write_superblock(buf.data(), header_fields());
    store_activity_timestamp(buf.data(), 987654321);
    EXPECT_EQ(load_activity_timestamp(buf.data()), 987654321U);
    EXPECT_EQ(read_superblock(buf.data()).activity_timestamp_ns, 987654321U);
    EXPECT_EQ(read_superblock(buf.data()).pid, 4242U); // nothing else moved
}

TEST(Superblock, D24_StalenessIsThreePeriods) {
    constexpr std::uint64_t period = 1'000'000'000;
    EXPECT_FALSE(is_activity_stale(10 * period, 13 * period, period));
    EXPECT_TRUE(is_activity_stale(10 * period, 13 * period + 1, period));
    EXPECT_FALSE(is_activity_stale(20 * period, 13 * period, period)); // future activity is fresh
}

} // namespace
} // namespace tp::shm
