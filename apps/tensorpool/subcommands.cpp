// SPDX-License-Identifier: Apache-2.0
#include "subcommands.hpp"

#include <map>
#include <string>
#include <utility>

namespace tp::apps {

namespace {
struct Entry {
    std::string description;
    SubcommandSetup setup;
};
auto registry() -> std::map<std::string, Entry>& {
    static std::map<std::string, Entry> r;
    return r;
}
auto runners() -> std::map<CLI::App*, SubcommandRunner>& {
    static std::map<CLI::App*, SubcommandRunner> r;
    return r;
}
} // namespace

SubcommandRegistration::SubcommandRegistration(const char* name, const char* description, SubcommandSetup setup) {
    registry()[name] = Entry{description, std::move(setup)};
}

void register_subcommands(CLI::App& app) {
    for (auto& [name, entry] : registry()) {
        CLI::App* sub = app.add_subcommand(name, entry.description);
        runners()[sub] = entry.setup(*sub);
    }
}

auto run_selected() -> int {
    for (auto& [sub, runner] : runners()) {
        if (sub->parsed()) {
            return runner();
        }
    }
    return EXIT_USAGE;
}

} // namespace tp::apps
