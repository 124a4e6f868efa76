// SPDX-License-Identifier: Apache-2.0
// Checks a golden SBE vector (<name>.bin with its sibling <name>.json, format of the golden README)
// against the generated codecs: decode every field, decode embedded messages, encode the JSON values
// back byte for byte, check encodedLength, and run the dispatcher over messages with a header.
// Used by the golden CTest suite and `tensorpool selfcheck`. Cold path: allocates, never throws.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace tp::codec {

/// Outcome of one golden vector.
struct GoldenReport {
    std::string schema;                ///< the vector's schema key ("wire", ...), empty if unreadable
    std::string message;               ///< the vector's message name
    std::size_t checks{0};             ///< individual checks made
    std::vector<std::string> failures; ///< what failed; empty when the vector passes

    /// True when nothing failed.
    [[nodiscard]] auto passed() const noexcept -> bool { return failures.empty(); }
};

/// Checks `bin` against the `.json` beside it.
[[nodiscard]] auto check_golden_vector(const std::filesystem::path& bin) -> GoldenReport;

/// Every `.bin` under `dir` (recursively), sorted; empty when `dir` is missing or unreadable.
[[nodiscard]] auto list_golden_vectors(const std::filesystem::path& dir) -> std::vector<std::filesystem::path>;

} // namespace tp::codec
