// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/function_ref.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

auto twice(int x) -> int {
    return 2 * x;
}

TEST(FunctionRef, CallsLambdaByReference) {
    int calls = 0;
    auto lambda = [&calls](int x) {
        ++calls;
        return x + 1;
    };
    FunctionRef<int(int)> ref(lambda);
    EXPECT_EQ(ref(1), 2);
    EXPECT_EQ(ref(41), 42);
    EXPECT_EQ(calls, 2); // the lambda itself was called, not a copy
}

TEST(FunctionRef, CallsPlainFunctionAndConstFunctor) {
    FunctionRef<int(int)> fn(&twice);
    EXPECT_EQ(fn(21), 42);
    struct Functor {
        int base;
        auto operator()(int x) const -> int { return base + x; }
    };
    const Functor f{100};
    FunctionRef<int(int)> ref(f);
    EXPECT_EQ(ref(5), 105);
}

TEST(FunctionRef, IsTwoWords) {
    static_assert(sizeof(FunctionRef<void(int)>) == 2 * sizeof(void*));
}

} // namespace
} // namespace tp
