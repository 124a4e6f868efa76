// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace tp::apps {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_FAILURE_RUNTIME = 1;
inline constexpr int EXIT_USAGE = 2;
inline constexpr int EXIT_IO = 3;

/// A subcommand registers its options on `sub` and returns the function that runs it.
using SubcommandRunner = std::function<int()>;

/// Registers one subcommand and remembers its runner.
void add_subcommand(CLI::App& app, const char* name, const char* description,
                    const std::function<SubcommandRunner(CLI::App&)>& setup);

/// Registers every subcommand this build has.
void register_subcommands(CLI::App& app);

/// Runs the parsed subcommand.
auto run_selected(CLI::App& app) -> int;

} // namespace tp::apps
