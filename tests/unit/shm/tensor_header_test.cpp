// SPDX-License-Identifier: Apache-2.0
// TensorHeader validation: W §8.2, §15.8; D-12, D-13, D-14.
#include "shm/slot_codec.hpp"
#include "shm/tensor_types.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace tp::shm {
namespace {

auto header(Dtype dtype, MajorOrder order, std::initializer_list<std::int32_t> dims,
            std::initializer_list<std::int32_t> strides = {}) -> TensorHeaderFields {
    TensorHeaderFields t;
    t.dtype = static_cast<std::int16_t>(dtype);
    t.major_order = static_cast<std::int16_t>(order);
    t.ndims = static_cast<std::uint8_t>(dims.size());
    std::size_t i = 0;
    for (auto d : dims) {
        t.dims[i++] = d;
    }
    i = 0;
    for (auto s : strides) {
        t.strides[i++] = s;
    }
    return t;
}

auto check(const TensorHeaderFields& t) -> ReadResult {
    ResolvedStrides r;
    return validate_tensor_header(t, r);
}

auto resolve(const TensorHeaderFields& t) -> ResolvedStrides {
    ResolvedStrides r;
    EXPECT_EQ(validate_tensor_header(t, r), ReadResult::Ok);
    return r;
}

TEST(TensorHeader, W8_2_NdimsOutOfRangeDropped) {
    auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
    t.ndims = 0;
    EXPECT_EQ(check(t), ReadResult::BadNdims);
    t.ndims = 9;
    EXPECT_EQ(check(t), ReadResult::BadNdims);
    t.ndims = 255;
    EXPECT_EQ(check(t), ReadResult::BadNdims);
    t.ndims = 8;
    EXPECT_EQ(check(t), ReadResult::Ok);
}

TEST(TensorHeader, W15_8_D12_DtypeRegistry) {
    for (int v : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14}) {
        auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
        t.dtype = static_cast<std::int16_t>(v);
        EXPECT_EQ(check(t), ReadResult::Ok) << v;
    }
    for (int v : {0, 12, 15, -1, 255, 32767}) {
        auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
        t.dtype = static_cast<std::int16_t>(v);
        EXPECT_EQ(check(t), ReadResult::UnknownDtype) << v;
    }
}

TEST(TensorHeader, W15_8_D12_MajorOrderRegistry) {
    for (int v : {0, 3, -1}) {
        auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
        t.major_order = static_cast<std::int16_t>(v);
        EXPECT_EQ(check(t), ReadResult::UnknownMajorOrder) << v;
    }
}

TEST(TensorHeader, D12_ProgressUnitRegistry) {
    auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
    t.progress_unit = 3;
    EXPECT_EQ(check(t), ReadResult::UnknownProgressUnit);
    t.progress_unit = 255;
    EXPECT_EQ(check(t), ReadResult::UnknownProgressUnit);
}

TEST(TensorHeader, D13_ElementSizes) {
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Bit)), 1);
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Bytes)), 1);
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Boolean)), 1);
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Int16)), 2);
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Float32)), 4);
    EXPECT_EQ(element_size(static_cast<std::int16_t>(Dtype::Float64)), 8);
    EXPECT_EQ(element_size(12), 0);
}

TEST(TensorHeader, D13_NegativeDimDropped) {
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {4, -1})), ReadResult::NegativeDim);
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {INT32_MIN})), ReadResult::NegativeDim);
}

TEST(TensorHeader, W8_2_NegativeStrideDropped) {
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {4, 4}, {-4, 1})), ReadResult::BadStrides);
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {4, 4}, {4, -1})), ReadResult::BadStrides);
}

TEST(TensorHeader, D12_EntriesBeyondNdimsIgnored) {
    auto t = header(Dtype::Uint8, MajorOrder::Row, {4});
    t.dims[3] = -5;
    t.strides[5] = -7;
    EXPECT_EQ(check(t), ReadResult::Ok);
}

TEST(TensorHeader, D13_RowMajorInference) {
    // float32 [2, 3, 4] contiguous: strides 48, 16, 4.
    auto r = resolve(header(Dtype::Float32, MajorOrder::Row, {2, 3, 4}));
    EXPECT_EQ(r[0], 48);
    EXPECT_EQ(r[1], 16);
    EXPECT_EQ(r[2], 4);
    EXPECT_EQ(r[3], 0);
}

TEST(TensorHeader, D13_ColumnMajorInference) {
    auto r = resolve(header(Dtype::Float64, MajorOrder::Column, {2, 3, 4}));
    EXPECT_EQ(r[0], 8);
    EXPECT_EQ(r[1], 16);
    EXPECT_EQ(r[2], 48);
}

TEST(TensorHeader, D13_ZeroDimCountsAsOneForOuterStrides) {
    auto r = resolve(header(Dtype::Uint8, MajorOrder::Row, {5, 0, 3}));
    EXPECT_EQ(r[2], 1);
    EXPECT_EQ(r[1], 3);
    EXPECT_EQ(r[0], 3); // stride[1] × max(dim[1], 1)
}

TEST(TensorHeader, D13_PaddedRowsAccepted) {
    // uint8 480x640x3 with rows padded to 2048 bytes: outer stride larger than needed is fine.
    auto r = resolve(header(Dtype::Uint8, MajorOrder::Row, {480, 640, 3}, {2048, 3, 1}));
    EXPECT_EQ(r[0], 2048);
    // Equal to the minimum is fine too (D-13 "equal is fine").
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {480, 640, 3}, {1920, 3, 1})), ReadResult::Ok);
}

TEST(TensorHeader, D13_InnermostStrideBelowElementSizeDropped) {
    EXPECT_EQ(check(header(Dtype::Float32, MajorOrder::Row, {4, 4}, {16, 2})), ReadResult::BadStrides);
    EXPECT_EQ(check(header(Dtype::Float32, MajorOrder::Column, {4, 4}, {2, 16})), ReadResult::BadStrides);
}

TEST(TensorHeader, W8_2_OverlappingStridesDropped) {
    // Rows of 4 float32 (16 bytes) but row stride 8: rows overlap.
    EXPECT_EQ(check(header(Dtype::Float32, MajorOrder::Row, {4, 4}, {8, 4})), ReadResult::BadStrides);
}

TEST(TensorHeader, W8_2_StridesContradictingMajorOrderDropped) {
    // Column-major layout declared row-major: the innermost (last) stride is the large one.
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Row, {4, 8}, {1, 4})), ReadResult::BadStrides);
    // Row-major layout declared column-major.
    EXPECT_EQ(check(header(Dtype::Uint8, MajorOrder::Column, {4, 8}, {8, 1})), ReadResult::BadStrides);
}

TEST(TensorHeader, D13_StrideArithmeticOverflowDropped) {
    // Inferred strides grow past 2^63: 8 dims of INT32_MAX.
    auto t = header(Dtype::Float64, MajorOrder::Row,
                    {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX});
    EXPECT_EQ(check(t), ReadResult::BadStrides);
    // Large but representable inferred strides are exact 64-bit values.
    auto r = resolve(header(Dtype::Uint8, MajorOrder::Row, {100000, 100000, 100000}));
    EXPECT_EQ(r[0], 10'000'000'000LL);
}

TEST(TensorHeader, D14_ProgressNoneAcceptsAnyStride) {
    auto t = header(Dtype::Uint8, MajorOrder::Row, {4, 4});
    t.progress_unit = 0;
    t.progress_stride_bytes = 0;
    EXPECT_EQ(check(t), ReadResult::Ok);
    t.progress_stride_bytes = 12345;
    EXPECT_EQ(check(t), ReadResult::Ok);
}

TEST(TensorHeader, D14_ProgressRowsMustEqualStride0) {
    auto t = header(Dtype::Uint8, MajorOrder::Row, {480, 640, 3});
    t.progress_unit = static_cast<std::uint8_t>(ProgressUnit::Rows);
    t.progress_stride_bytes = 1920;
    EXPECT_EQ(check(t), ReadResult::Ok);
    t.progress_stride_bytes = 0;
    EXPECT_EQ(check(t), ReadResult::BadProgressStride);
    t.progress_stride_bytes = 1921;
    EXPECT_EQ(check(t), ReadResult::BadProgressStride);
}

TEST(TensorHeader, D14_ProgressColumnsNeedsTwoDimsAndStride1) {
    auto t = header(Dtype::Uint16, MajorOrder::Column, {10, 20});
    t.progress_unit = static_cast<std::uint8_t>(ProgressUnit::Columns);
    t.progress_stride_bytes = 20; // strides: [2, 20]
    EXPECT_EQ(check(t), ReadResult::Ok);
    t.progress_stride_bytes = 2;
    EXPECT_EQ(check(t), ReadResult::BadProgressStride);
    auto one = header(Dtype::Uint16, MajorOrder::Column, {10});
    one.progress_unit = static_cast<std::uint8_t>(ProgressUnit::Columns);
    one.progress_stride_bytes = 2;
    EXPECT_EQ(check(one), ReadResult::BadProgressStride);
}

TEST(TensorHeader, EncodeDecodeRoundTripAndZeroPad) {
    std::byte block[184];
    std::fill(std::begin(block), std::end(block), std::byte{0xEE});
    auto t = header(Dtype::Int16, MajorOrder::Column, {7, 9, 11}, {2, 14, 0});
    t.pad_align = 0;
    t.progress_unit = 2;
    t.progress_stride_bytes = 14;
    encode_tensor_header(block, t);
    EXPECT_EQ(decode_tensor_header(block), t);
    for (std::size_t i = 75; i < 184; ++i) {
        EXPECT_EQ(block[i], std::byte{0}) << i; // D-15
    }
}

} // namespace
} // namespace tp::shm
