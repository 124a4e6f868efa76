// SPDX-License-Identifier: Apache-2.0
// The `tensorpool` command: one executable, one subcommand per role.
#include "subcommands.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    CLI::App app{"tensorpool: zero-copy shared-memory tensor transport\n\n"
                 "Exit codes: 0 success; 1 runtime failure (verification failed, peer error);\n"
                 "2 bad arguments or configuration; 3 I/O or permission failure."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "tensorpool 0.1.0");
    tp::apps::register_subcommands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : tp::apps::EXIT_USAGE;
    }
    return tp::apps::run_selected();
}
