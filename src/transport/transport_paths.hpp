// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/error.hpp"

#include <string>
#include <string_view>

namespace tp::transport {

/// The user name used in default paths: passwd name of geteuid(), else $USER, else "unknown";
/// characters outside [A-Za-z0-9._-] become '_' (the rule of the SHM paths, SPEC_DECISIONS §5.2).
[[nodiscard]] auto sanitized_user_name() -> std::string;

/// Replaces every character outside [A-Za-z0-9._-] with '_'.
[[nodiscard]] auto sanitize_path_component(std::string_view text) -> std::string;

/// Creates `path` and its missing parents with mode 0770 (set explicitly, not through the umask).
/// Existing directories are left as they are. Fails if `path` exists and is not a directory.
[[nodiscard]] auto ensure_directory(const std::string& path) -> Expected<void>;

} // namespace tp::transport
