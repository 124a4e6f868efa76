// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <cstdlib>

/// Aborts with file, line and message when a broken invariant is found. Always on: an invariant
/// broken in production must stop the process, not corrupt shared memory.
#define TP_ASSERT(cond, msg)                                                                                           \
    do {                                                                                                               \
        if (!(cond)) [[unlikely]] {                                                                                    \
            std::fprintf(stderr, "tensorpool: assertion failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, msg);  \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (false)
