// SPDX-License-Identifier: Apache-2.0
// Read path: every drop rule of W §8.2, §8.3, §10.2.1, §15.3, §15.5, §15.21 and D-11..D-14, on a
// real mapped ring. Bad slots are crafted by committing a valid frame, then overwriting one field
// in place (the slot stays committed).
#include "shm_fixture.hpp"

#include "common/clock.hpp"
#include "shm/superblock.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tp::shm {
namespace {

using S = SlotDescriptor;
using test::RegionFixture;
using test::TEST_EPOCH;

constexpr std::uint64_t SEQ = 3; // slot 3 of 8

// Commits a valid 2-D frame at SEQ, applies `mutate`, and returns what the reader says.
template <typename Mutate>
auto read_after(Mutate mutate) -> ReadResult {
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(SEQ, 200);
    const std::int32_t dims[] = {10, 20};
    c.set_shape(dims);
    EXPECT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    mutate(fx);
    ShmReader reader = fx.reader();
    FrameView f;
    return reader.read(TEST_EPOCH, SEQ, f);
}

TEST(ReadPath, W8_3_ValidFrameAcceptedWithEveryField) {
    RegionFixture fx;
    fx.writer().set_meta_version(9);
    SlotClaim c = fx.writer().try_claim(SEQ, 2 * 3 * 4 * 4);
    ASSERT_TRUE(c);
    for (std::size_t i = 0; i < c.payload().size(); ++i) {
        c.payload()[i] = static_cast<std::byte>(i);
    }
    const std::int32_t dims[] = {2, 3, 4};
    c.set_dtype(Dtype::Float32).set_shape(dims).set_timestamp_ns(123456789);
    c.set_progress(ProgressUnit::Rows, 48);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);

    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
    EXPECT_EQ(f.epoch, TEST_EPOCH);
    EXPECT_EQ(f.seq, SEQ);
    EXPECT_EQ(f.header_index, 3U);
    EXPECT_EQ(f.pool_id, 1);
    EXPECT_EQ(f.values_len_bytes, 96U);
    EXPECT_EQ(f.timestamp_ns, 123456789U);
    EXPECT_EQ(f.meta_version, 9U);
    EXPECT_EQ(f.dtype, Dtype::Float32);
    EXPECT_EQ(f.major_order, MajorOrder::Row);
    EXPECT_EQ(f.ndims, 3);
    EXPECT_EQ(f.progress_unit, ProgressUnit::Rows);
    EXPECT_EQ(f.progress_stride_bytes, 48U);
    EXPECT_EQ(f.dims[0], 2);
    EXPECT_EQ(f.dims[2], 4);
    EXPECT_EQ(f.dims[3], 0);
    EXPECT_EQ(f.strides[0], 0); // as written
    EXPECT_EQ(f.resolved_strides[0], 48);
    EXPECT_EQ(f.resolved_strides[2], 4);
    ASSERT_EQ(f.payload.size(), 96U);
    EXPECT_EQ(f.payload[95], std::byte{95});
    EXPECT_EQ(f.commit_word(), (SEQ << 1) | 1);
    EXPECT_TRUE(f.still_valid());
}

TEST(ReadPath, W8_2_EmptyPayloadIsValid) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 0), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
    EXPECT_EQ(f.values_len_bytes, 0U);
    EXPECT_TRUE(f.payload.empty());
    EXPECT_EQ(f.header_index, 3U); // payload_slot still = header_index
}

TEST(ReadPath, D25_EpochMismatchDropped) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 8), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH + 1, SEQ, f), ReadResult::EpochMismatch);
    EXPECT_EQ(reader.read(TEST_EPOCH - 1, SEQ, f), ReadResult::EpochMismatch);
}

TEST(ReadPath, W8_3_NeverWrittenSlotNotCommitted) {
    RegionFixture fx;
    ShmReader reader = fx.reader();
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH, 0, f), ReadResult::NotCommitted);
}

TEST(ReadPath, W8_3_InProgressSlotNotCommitted) {
    RegionFixture fx;
    ShmReader reader = fx.reader();
    SlotClaim c = fx.writer().try_claim(SEQ, 8);
    ASSERT_TRUE(c);
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::NotCommitted);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
}

TEST(ReadPath, W15_21_AbandonedClaimStaysUncommitted) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 8), CommitResult::Ok);
    {
        SlotClaim c = fx.writer().try_claim(SEQ + 8, 8); // same slot, newer seq
        ASSERT_TRUE(c);
    }                                                                             // abandoned
    EXPECT_EQ(common::load_unaligned<std::uint64_t>(fx.slot(3)), (SEQ + 8) << 1); // even: in progress
    ShmReader reader = fx.reader();
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ + 8, f), ReadResult::NotCommitted);
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::NotCommitted); // the old frame is gone too
}

TEST(ReadPath, W10_2_1_SlotOverwrittenByNewerSeqDropped) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 8), CommitResult::Ok);
    ASSERT_EQ(fx.commit_bytes(SEQ + 8, 8), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Overwritten);
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ + 8, f), ReadResult::Ok);
}

TEST(ReadPath, W15_3_SlotHoldingOlderSeqDropped) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 8), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ + 8, f), ReadResult::StaleSlot);
}

TEST(ReadPath, W15_3_SeqCommitDecreaseForSameSlotDropped) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ + 8, 8), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ + 8, f), ReadResult::Ok);
    // A rogue writer puts an older committed seq into the same slot (header otherwise valid).
    fx.poke<std::uint64_t>(3, S::SEQ_COMMIT_OFFSET, (SEQ << 1) | 1);
    EXPECT_EQ(read_frame(reader.view(), TEST_EPOCH, SEQ, f), ReadResult::Ok); // stateless check passes
    EXPECT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::StaleSlot);        // per-slot guard drops it
}

TEST(ReadPath, D12_HeaderBytesLengthNot192Dropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::HEADER_BYTES_LENGTH_OFFSET, 191); }),
              ReadResult::BadHeaderLength);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::HEADER_BYTES_LENGTH_OFFSET, 0); }),
              ReadResult::BadHeaderLength);
}

TEST(ReadPath, D12_EmbeddedHeaderMustBe184_52_900_1) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::EMBEDDED_BLOCK_LENGTH_OFFSET, 183); }),
              ReadResult::BadEmbeddedHeader);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::EMBEDDED_TEMPLATE_ID_OFFSET, 51); }),
              ReadResult::BadEmbeddedHeader);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::EMBEDDED_SCHEMA_ID_OFFSET, 901); }),
              ReadResult::BadEmbeddedHeader);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::EMBEDDED_VERSION_OFFSET, 2); }),
              ReadResult::BadEmbeddedHeader);
}

TEST(ReadPath, W8_2_NdimsRangeEnforced) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint8_t>(3, S::NDIMS_OFFSET, 0); }),
              ReadResult::BadNdims);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint8_t>(3, S::NDIMS_OFFSET, 9); }),
              ReadResult::BadNdims);
}

TEST(ReadPath, W15_8_UnknownEnumsDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int16_t>(3, S::DTYPE_OFFSET, 12); }),
              ReadResult::UnknownDtype);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int16_t>(3, S::DTYPE_OFFSET, 0); }),
              ReadResult::UnknownDtype);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int16_t>(3, S::MAJOR_ORDER_OFFSET, 0); }),
              ReadResult::UnknownMajorOrder);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint8_t>(3, S::PROGRESS_UNIT_OFFSET, 3); }),
              ReadResult::UnknownProgressUnit);
}

TEST(ReadPath, D13_NegativeDimAndBadStridesDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int32_t>(3, S::DIMS_OFFSET + 4, -20); }),
              ReadResult::NegativeDim);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int32_t>(3, S::STRIDES_OFFSET, -20); }),
              ReadResult::BadStrides);
    // Overlapping rows: row stride 10 < 20 columns × 1 byte.
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::int32_t>(3, S::STRIDES_OFFSET, 10); }),
              ReadResult::BadStrides);
}

TEST(ReadPath, D14_ProgressStrideInconsistentDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) {
                  fx.poke<std::uint8_t>(3, S::PROGRESS_UNIT_OFFSET, 1);
                  fx.poke<std::uint32_t>(3, S::PROGRESS_STRIDE_OFFSET, 0);
              }),
              ReadResult::BadProgressStride);
    EXPECT_EQ(read_after([](RegionFixture& fx) {
                  fx.poke<std::uint8_t>(3, S::PROGRESS_UNIT_OFFSET, 1);
                  fx.poke<std::uint32_t>(3, S::PROGRESS_STRIDE_OFFSET, 20); // rows are 20 bytes apart
              }),
              ReadResult::Ok);
}

TEST(ReadPath, W8_2_PayloadOffsetNonZeroDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::PAYLOAD_OFFSET_OFFSET, 64); }),
              ReadResult::PayloadOffsetNonZero);
}

TEST(ReadPath, W15_5_PayloadSlotNotHeaderIndexDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::PAYLOAD_SLOT_OFFSET, 4); }),
              ReadResult::PayloadSlotMismatch);
    // Out of range for the pool, too.
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::PAYLOAD_SLOT_OFFSET, 0xFFFFFFFF); }),
              ReadResult::PayloadSlotMismatch);
}

TEST(ReadPath, D12_PoolNotAnnouncedDropped) {
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::POOL_ID_OFFSET, 3); }),
              ReadResult::UnknownPool);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint16_t>(3, S::POOL_ID_OFFSET, 0); }),
              ReadResult::UnknownPool);
}

TEST(ReadPath, W10_2_1_ValuesLenAboveStrideDropped) {
    // Pool 1 has stride 1024.
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::VALUES_LEN_OFFSET, 1025); }),
              ReadResult::ValuesLenExceedsStride);
    EXPECT_EQ(read_after([](RegionFixture& fx) { fx.poke<std::uint32_t>(3, S::VALUES_LEN_OFFSET, 1024); }),
              ReadResult::Ok);
    // Valid when moved to pool 2 (stride 4096).
    EXPECT_EQ(read_after([](RegionFixture& fx) {
                  fx.poke<std::uint32_t>(3, S::VALUES_LEN_OFFSET, 4096);
                  fx.poke<std::uint16_t>(3, S::POOL_ID_OFFSET, 2);
              }),
              ReadResult::Ok);
}

TEST(ReadPath, D12_ExtentNotCheckedAgainstValuesLen) {
    // D-12: a shape larger than values_len is accepted; accessors are bounded by values_len.
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(SEQ, 16);
    const std::int32_t dims[] = {1000, 1000};
    c.set_shape(dims);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
    EXPECT_EQ(f.payload.size(), 16U);
}

TEST(ReadPath, D12_DimsBeyondNdimsIgnoredAndExposedAsZero) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 8), CommitResult::Ok);
    fx.poke<std::int32_t>(3, S::DIMS_OFFSET + 4 * 5, -9);
    fx.poke<std::int32_t>(3, S::STRIDES_OFFSET + 4 * 7, 77);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
    EXPECT_EQ(f.dims[5], 0);
    EXPECT_EQ(f.strides[7], 0);
}

TEST(ReadPath, D11_StillValidTurnsFalseWhenOverwritten) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 64, std::byte{1}), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, SEQ, f), ReadResult::Ok);
    EXPECT_TRUE(f.still_valid());
    SlotClaim c = fx.writer().try_claim(SEQ + 8, 64);
    EXPECT_FALSE(f.still_valid()); // in progress already invalidates
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    EXPECT_FALSE(f.still_valid());
    EXPECT_FALSE(FrameView{}.still_valid());
}

TEST(ReadPath, D11_CopyOutCopiesThenRechecks) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(SEQ, 100, std::byte{0x33}), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    std::vector<std::byte> buf(100);
    ASSERT_EQ(reader.read_copy(TEST_EPOCH, SEQ, f, buf), ReadResult::Ok);
    EXPECT_EQ(buf[0], std::byte{0x33});
    EXPECT_EQ(buf[99], std::byte{0x33});

    std::vector<std::byte> small(99);
    EXPECT_EQ(copy_payload(f, small), ReadResult::BufferTooSmall);

    ASSERT_EQ(fx.commit_bytes(SEQ + 8, 100, std::byte{0x44}), CommitResult::Ok);
    EXPECT_EQ(copy_payload(f, buf), ReadResult::Torn); // the slot changed: discard
    EXPECT_EQ(reader.read_copy(TEST_EPOCH, SEQ, f, buf), ReadResult::Overwritten);
}

TEST(ReadPath, D24_SuperblockRecheck) {
    RegionFixture fx;
    ShmReader reader = fx.reader();
    EXPECT_EQ(reader.check_superblocks(), SuperblockCheck::Ok);
    // pid changed (another writer recreated the region in place): W §15.14.
    auto* header = fx.writer().view().header_base;
    const auto pid = read_superblock(header).pid;
    common::store_unaligned<std::uint64_t>(header + SuperblockDescriptor::PID_OFFSET, pid + 1);
    EXPECT_EQ(reader.check_superblocks(), SuperblockCheck::PidChanged);
    common::store_unaligned<std::uint64_t>(header + SuperblockDescriptor::PID_OFFSET, pid);
    // A layout field changed in a pool: remap.
    auto* pool = fx.writer().view().pools[1].base;
    common::store_unaligned<std::uint32_t>(pool + SuperblockDescriptor::STRIDE_BYTES_OFFSET, 8192);
    EXPECT_EQ(reader.check_superblocks(), SuperblockCheck::Mismatch);
}

TEST(ReadPath, D24_StalenessAfterGracePeriod) {
    RegionFixture fx; // regions created with activity = 1'000'000
    constexpr std::uint64_t period = 1'000'000'000;
    auto r = ShmReader::map(fx.spec(), fx.policy(), 2'000'000);
    ASSERT_TRUE(r);
    // Within 3 periods of mapping: never stale.
    EXPECT_FALSE(r->is_stale(2'000'000 + 3 * period, period));
    EXPECT_TRUE(r->is_stale(2'000'000 + 3 * period + 1, period));
    fx.writer().refresh_activity(4 * period);
    EXPECT_FALSE(r->is_stale(6 * period, period));
    EXPECT_TRUE(r->is_stale(7 * period + 1, period));
}

TEST(ReadPath, W15_21a5_ReaderMapsReadOnly) {
    RegionFixture fx;
    ShmReader reader = fx.reader();
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int ro = 0;
    while (std::getline(maps, line)) {
        if (line.find(fx.dir().path()) != std::string::npos && line.find(" r--s ") != std::string::npos) {
            ++ro;
        }
    }
    EXPECT_EQ(ro, 3); // header ring + 2 pools
}

TEST(ReadPath, MapRejectsSpecThatDisagreesWithSuperblocks) {
    RegionFixture fx;
    RegionSetSpec spec = fx.spec();
    spec.epoch += 1;
    auto r = ShmReader::map(spec, fx.policy(), 0);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("epoch"), std::string::npos) << r.error().to_string();
    spec = fx.spec();
    spec.pools[1].stride_bytes = 8192; // D-08: pool stride must equal the announce
    r = ShmReader::map(spec, fx.policy(), 0);
    ASSERT_FALSE(r);
    spec = fx.spec();
    spec.pools[0].nslots = 16; // W §15.5
    r = ShmReader::map(spec, fx.policy(), 0);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("W §15.5"), std::string::npos);
}

} // namespace
} // namespace tp::shm
