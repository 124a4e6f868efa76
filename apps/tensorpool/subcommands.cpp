// SPDX-License-Identifier: Apache-2.0
#include "subcommands.hpp"

#include <map>
#include <string>

namespace tp::apps {

namespace {
auto runners() -> std::map<CLI::App*, SubcommandRunner>& {
    static std::map<CLI::App*, SubcommandRunner> r;
    return r;
}
} // namespace

void add_subcommand(CLI::App& app, const char* name, const char* description,
                    const std::function<SubcommandRunner(CLI::App&)>& setup) {
    CLI::App* sub = app.add_subcommand(name, description);
    runners()[sub] = setup(*sub);
}

auto run_selected(CLI::App& /*app*/) -> int {
    for (auto& [sub, runner] : runners()) {
        if (sub->parsed()) {
            return runner();
        }
    }
    return EXIT_USAGE;
}

} // namespace tp::apps
