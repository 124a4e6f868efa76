// SPDX-License-Identifier: Apache-2.0
#pragma once

// SHM region URIs (W §15.22, D-20):
//
//   shm:file?path=<absolute path>[|require_hugepages=true|false]
//
// Emitted in the Julia form (the flag only when true); parsed in both peers' forms.

#include <tensorpool/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace tp::shm {

/// A parsed `shm:file` region URI.
struct RegionUri {
    /// D-20: URIs longer than this are rejected.
    static constexpr std::size_t MAX_LENGTH = 4096;

    std::string path;              ///< absolute POSIX path
    bool require_hugepages{false}; ///< W §15.22: the region MUST be hugetlbfs-backed

    /// Parses and validates `text`. Rejects (ParseError, message saying why): a scheme other than
    /// `shm:file?`; `&` separators; unknown, missing, duplicate or empty keys; empty values;
    /// require_hugepages other than `true`/`false`; a relative path or one with characters outside
    /// the ABNF's VCHAR set (no space, `?`, `|`); more than 4096 bytes.
    [[nodiscard]] static auto parse(std::string_view text) -> Expected<RegionUri>;

    /// The URI in the emitted form: `shm:file?path=<path>` plus `|require_hugepages=true` when set.
    [[nodiscard]] auto to_string() const -> std::string;

    [[nodiscard]] auto operator==(const RegionUri&) const -> bool = default;
};

} // namespace tp::shm
