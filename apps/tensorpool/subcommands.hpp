// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace tp::apps {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_FAILURE_RUNTIME = 1;
inline constexpr int EXIT_USAGE = 2;
inline constexpr int EXIT_IO = 3;

/// A subcommand's setup registers its options on the CLI11 subcommand and returns its runner.
using SubcommandRunner = std::function<int()>;
using SubcommandSetup = std::function<SubcommandRunner(CLI::App&)>;

/// Self-registration of a subcommand, at static-initialisation time, from its own cmd_*.cpp:
///   static const tp::apps::SubcommandRegistration reg{"inspect", "Print a region", setup};
/// Subcommands are listed in --help in name order.
struct SubcommandRegistration {
    SubcommandRegistration(const char* name, const char* description, SubcommandSetup setup);
};

/// Adds every registered subcommand to the app.
void register_subcommands(CLI::App& app);

/// Runs the parsed subcommand.
auto run_selected() -> int;

} // namespace tp::apps
