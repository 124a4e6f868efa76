// SPDX-License-Identifier: Apache-2.0
// Write path: W §8.3, §9, §15.5, §15.18; D-10, D-15, D-17, D-25.
#include "shm_fixture.hpp"

#include "common/clock.hpp"
#include "shm/superblock.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace tp::shm {
namespace {

using S = SlotDescriptor;
using test::RegionFixture;
using test::TEST_EPOCH;

auto seq_word(RegionFixture& fx, std::uint32_t index) -> std::uint64_t {
    return common::load_unaligned<std::uint64_t>(fx.slot(index));
}

TEST(WritePath, D17_PoolSelectionSmallestFitTiesFirstAnnounced) {
    // Announce order: 1 (1024), 2 (4096), 3 (1024, ties with 1), 4 (256).
    RegionFixture fx(8, {{1, 1024}, {2, 4096}, {3, 1024}, {4, 256}});
    auto pool_for = [&](std::uint32_t len) -> int {
        const PoolView* p = fx.writer().select_pool(len);
        return p == nullptr ? -1 : p->pool_id;
    };
    EXPECT_EQ(pool_for(0), 4); // zero-length → smallest pool
    EXPECT_EQ(pool_for(1), 4);
    EXPECT_EQ(pool_for(256), 4);
    EXPECT_EQ(pool_for(257), 1); // 1 and 3 tie at 1024: first announced
    EXPECT_EQ(pool_for(1024), 1);
    EXPECT_EQ(pool_for(1025), 2);
    EXPECT_EQ(pool_for(4096), 2);
    EXPECT_EQ(pool_for(4097), -1);
}

TEST(WritePath, W9_NoPoolFitsDropsTheFrame) {
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(1, 4097);
    EXPECT_FALSE(c);
    EXPECT_EQ(c.status(), ClaimResult::NoPoolFits);
    EXPECT_EQ(seq_word(fx, 1), 0U); // slot untouched
    EXPECT_EQ(fx.writer().commit(std::move(c)), CommitResult::NoClaim);
}

TEST(WritePath, W15_5_PayloadSlotIsHeaderIndex) {
    RegionFixture fx;
    for (std::uint64_t seq : {0ULL, 5ULL, 13ULL, 1000001ULL}) {
        SlotClaim c = fx.writer().try_claim(seq, 2000);
        ASSERT_TRUE(c);
        const auto index = static_cast<std::uint32_t>(seq & 7);
        EXPECT_EQ(c.header_index(), index);
        EXPECT_EQ(c.pool_id(), 2);
        EXPECT_EQ(c.payload().data(), fx.writer().view().pools[1].base + 64 + index * 4096ULL); // W §9
        EXPECT_EQ(c.payload().size(), 2000U);
        EXPECT_EQ(c.capacity(), 4096U);
        ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
        EXPECT_EQ(common::load_unaligned<std::uint32_t>(fx.slot(index) + S::PAYLOAD_SLOT_OFFSET), index);
    }
}

TEST(WritePath, D10_ClaimStoresInProgressCommitStoresCommitted) {
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(42, 8);
    ASSERT_TRUE(c);
    EXPECT_EQ(seq_word(fx, 42 & 7), 42U << 1);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    EXPECT_EQ(seq_word(fx, 42 & 7), (42U << 1) | 1);
    EXPECT_FALSE(c.is_valid()); // consumed
    EXPECT_TRUE(fx.writer().has_committed());
    EXPECT_EQ(fx.writer().last_committed_seq(), 42U);
}

TEST(WritePath, D15_EveryFieldAndPaddingWrittenEveryFrame) {
    RegionFixture fx;
    // Garbage everywhere in slot 2 first: the writer must not rely on prior zeroing (W §8.3 step 3).
    std::memset(fx.slot(2) + 8, 0xAB, S::SLOT_BYTES - 8);
    SlotClaim c = fx.writer().try_claim(10, 300);
    ASSERT_TRUE(c);
    const std::int32_t dims[] = {10, 30};
    c.set_dtype(Dtype::Int8).set_major_order(MajorOrder::Column).set_shape(dims).set_timestamp_ns(77);
    c.set_meta_version(5);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);

    const std::byte* s = fx.slot(2);
    const SlotHeaderFields h = decode_slot_header(s);
    EXPECT_EQ(h.seq_commit, (10U << 1) | 1);
    EXPECT_EQ(h.values_len_bytes, 300U);
    EXPECT_EQ(h.payload_slot, 2U);
    EXPECT_EQ(h.pool_id, 1);
    EXPECT_EQ(h.payload_offset, 0U);
    EXPECT_EQ(h.timestamp_ns, 77U);
    EXPECT_EQ(h.meta_version, 5U);
    EXPECT_EQ(h.header_bytes_length, 192U);
    EXPECT_EQ(decode_embedded_header(s), EmbeddedHeaderFields{});
    const TensorHeaderFields t = decode_tensor_header(s + S::TENSOR_OFFSET);
    EXPECT_EQ(t.dtype, 2);
    EXPECT_EQ(t.major_order, 2);
    EXPECT_EQ(t.ndims, 2);
    EXPECT_EQ(t.pad_align, 0);
    EXPECT_EQ(t.progress_unit, 0);
    EXPECT_EQ(t.progress_stride_bytes, 0U); // D-14: 0 with NONE
    EXPECT_EQ(t.dims[1], 30);
    for (std::size_t i = 2; i < S::MAX_DIMS; ++i) {
        EXPECT_EQ(t.dims[i], 0) << i;
        EXPECT_EQ(t.strides[i], 0) << i;
    }
    for (std::size_t i = S::PAD_OFFSET; i < S::PAD_OFFSET + S::PAD_LENGTH; ++i) {
        EXPECT_EQ(s[i], std::byte{0}) << "SlotHeader pad " << i;
    }
    for (std::size_t i = S::TENSOR_PAD_OFFSET; i < S::SLOT_BYTES; ++i) {
        EXPECT_EQ(s[i], std::byte{0}) << "TensorHeader pad " << i;
    }
}

TEST(WritePath, D15_DefaultTimestampIsMonotonicNow) {
    RegionFixture fx;
    const std::uint64_t before = common::monotonic_ns();
    SlotClaim c = fx.writer().try_claim(1, 8);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    const std::uint64_t after = common::monotonic_ns();
    const std::uint64_t ts = common::load_unaligned<std::uint64_t>(fx.slot(1) + S::TIMESTAMP_OFFSET);
    EXPECT_GE(ts, before);
    EXPECT_LE(ts, after);
}

TEST(WritePath, D15_MetaVersionFollowsWriterUnlessOverridden) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(1, 8), CommitResult::Ok);
    EXPECT_EQ(common::load_unaligned<std::uint32_t>(fx.slot(1) + S::META_VERSION_OFFSET), 0U);
    fx.writer().set_meta_version(3);
    ASSERT_EQ(fx.commit_bytes(2, 8), CommitResult::Ok);
    EXPECT_EQ(common::load_unaligned<std::uint32_t>(fx.slot(2) + S::META_VERSION_OFFSET), 3U);
    SlotClaim c = fx.writer().try_claim(3, 8);
    c.set_meta_version(4);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    EXPECT_EQ(common::load_unaligned<std::uint32_t>(fx.slot(3) + S::META_VERSION_OFFSET), 4U);
}

TEST(WritePath, DefaultHeaderIsOneDimensionalBytes) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(1, 100), CommitResult::Ok);
    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(TEST_EPOCH, 1, f), ReadResult::Ok);
    EXPECT_EQ(f.dtype, Dtype::Uint8);
    EXPECT_EQ(f.major_order, MajorOrder::Row);
    EXPECT_EQ(f.ndims, 1);
    EXPECT_EQ(f.dims[0], 100);
}

TEST(WritePath, SetShapeClearsOldStridesAndExplicitStridesApply) {
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(1, 1024);
    const std::int32_t dims[] = {4, 8};
    const std::int32_t strides[] = {64, 2};
    c.set_dtype(Dtype::Uint16).set_shape(dims).set_strides(strides);
    EXPECT_EQ(c.tensor_header().strides[0], 64);
    const std::int32_t dims2[] = {2};
    c.set_shape(dims2);
    EXPECT_EQ(c.tensor_header().strides[0], 0);
    EXPECT_EQ(c.tensor_header().dims[1], 0);
    c.abandon();
}

TEST(WritePath, InvalidTensorHeaderIsNotCommitted) {
    RegionFixture fx;
    SlotClaim c = fx.writer().try_claim(1, 64);
    const std::int32_t nine[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    c.set_shape(nine);
    EXPECT_EQ(c.validate(), ReadResult::BadNdims);
    EXPECT_EQ(fx.writer().commit(std::move(c)), CommitResult::InvalidTensorHeader);
    EXPECT_EQ(seq_word(fx, 1), 1U << 1); // left in progress
    // The writer is free again, and the same seq can be retried.
    SlotClaim retry = fx.writer().try_claim(1, 64);
    ASSERT_TRUE(retry);
    const std::int32_t strides[] = {0};
    const std::int32_t dims[] = {64};
    retry.set_shape(dims).set_strides(strides).set_progress(ProgressUnit::Rows, 0);
    EXPECT_EQ(retry.validate(), ReadResult::BadProgressStride);
    retry.set_progress(ProgressUnit::None, 0);
    EXPECT_EQ(fx.writer().commit(std::move(retry)), CommitResult::Ok);
}

TEST(WritePath, OneClaimAtATime) {
    RegionFixture fx;
    SlotClaim a = fx.writer().try_claim(1, 8);
    ASSERT_TRUE(a);
    SlotClaim b = fx.writer().try_claim(2, 8);
    EXPECT_FALSE(b);
    EXPECT_EQ(b.status(), ClaimResult::ClaimOutstanding);
    SlotClaim moved = std::move(a); // moving keeps it outstanding
    EXPECT_FALSE(a);
    EXPECT_EQ(fx.writer().try_claim(2, 8).status(), ClaimResult::ClaimOutstanding);
    ASSERT_EQ(fx.writer().commit(std::move(moved)), CommitResult::Ok);
    EXPECT_TRUE(fx.writer().try_claim(2, 8));
}

TEST(WritePath, D25_SeqMustIncreaseAfterCommit) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(5, 8), CommitResult::Ok);
    EXPECT_EQ(fx.writer().try_claim(5, 8).status(), ClaimResult::SeqNotMonotonic);
    EXPECT_EQ(fx.writer().try_claim(4, 8).status(), ClaimResult::SeqNotMonotonic);
    EXPECT_EQ(seq_word(fx, 5), (5U << 1) | 1); // untouched by the refused claims
    {
        SlotClaim c = fx.writer().try_claim(9, 8); // gaps are allowed
        ASSERT_TRUE(c);
    } // abandoned: seq 9 may be claimed again
    EXPECT_EQ(fx.commit_bytes(9, 8), CommitResult::Ok);
}

TEST(WritePath, SeqAbove63BitsRefused) {
    RegionFixture fx;
    EXPECT_EQ(fx.writer().try_claim(std::uint64_t{1} << 63, 8).status(), ClaimResult::SeqOutOfRange);
    EXPECT_TRUE(fx.writer().try_claim((std::uint64_t{1} << 63) - 1, 8));
}

TEST(WritePath, CommitOfForeignClaimRefused) {
    RegionFixture a;
    RegionFixture b;
    SlotClaim c = a.writer().try_claim(1, 8);
    ASSERT_TRUE(c);
    EXPECT_EQ(b.writer().commit(std::move(c)), CommitResult::NoClaim);
    EXPECT_TRUE(c.is_valid()); // still a's claim
    EXPECT_EQ(a.writer().commit(std::move(c)), CommitResult::Ok);
}

TEST(WritePath, D24_RefreshActivityInEveryRegion) {
    RegionFixture fx;
    fx.writer().refresh_activity(555);
    EXPECT_EQ(load_activity_timestamp(fx.writer().view().header_base), 555U);
    EXPECT_EQ(load_activity_timestamp(fx.writer().view().pools[0].base), 555U);
    EXPECT_EQ(load_activity_timestamp(fx.writer().view().pools[1].base), 555U);
}

TEST(WritePath, WriterAttachValidatesSuperblocks) {
    RegionFixture fx;
    RegionSetSpec spec = fx.spec();
    spec.stream_id += 1;
    auto w = ShmWriter::attach(spec, fx.policy());
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("stream_id"), std::string::npos) << w.error().to_string();
}

TEST(WritePath, WriterAndReaderInOneProcessShareTheView) {
    RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(6, 16, std::byte{7}), CommitResult::Ok);
    FrameView f;
    ASSERT_EQ(read_frame(fx.writer().view(), TEST_EPOCH, 6, f), ReadResult::Ok);
    EXPECT_EQ(f.payload[15], std::byte{7});
}

TEST(WritePath, ResultNames) {
    EXPECT_EQ(to_string(ClaimResult::NoPoolFits), "NoPoolFits");
    EXPECT_EQ(to_string(CommitResult::InvalidTensorHeader), "InvalidTensorHeader");
    EXPECT_EQ(to_string(ReadResult::ValuesLenExceedsStride), "ValuesLenExceedsStride");
}

} // namespace
} // namespace tp::shm
