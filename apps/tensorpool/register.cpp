// SPDX-License-Identifier: Apache-2.0
// Subcommand registry. Each role's file defines a register_<role>() declared here.
#include "subcommands.hpp"

namespace tp::apps {

void register_version(CLI::App& app);

void register_subcommands(CLI::App& app) {
    register_version(app);
}

} // namespace tp::apps
