// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/error.hpp"

#include <gtest/gtest.h>

namespace {

auto parse_positive(int v) -> tp::Expected<int> {
    if (v <= 0) {
        return tp::make_error(tp::ErrorCode::InvalidArgument, "value must be positive");
    }
    return v;
}

auto twice(int v) -> tp::Expected<int> {
    TP_TRY(x, parse_positive(v));
    return x * 2;
}

TEST(Expected, CarriesValueOrError) {
    auto ok = twice(4);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 8);
    auto bad = twice(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, tp::ErrorCode::InvalidArgument);
    EXPECT_EQ(bad.error().to_string(), "InvalidArgument: value must be positive");
}

TEST(Expected, ErrnoTextIsAppended) {
    auto e = tp::Error::from_errno(tp::ErrorCode::IoError, "open /x", ENOENT);
    EXPECT_NE(e.to_string().find("errno 2"), std::string::npos);
}

} // namespace
