// SPDX-License-Identifier: Apache-2.0
#include "subcommands.hpp"

#include <cstdio>

namespace tp::apps {
namespace {

const SubcommandRegistration REG{
    "version", "Print the version and the schemas this build speaks", [](CLI::App&) {
        return SubcommandRunner{[] {
            std::printf("tensorpool 0.1.0\nschemas: 900 control, 901 driver, 902 bridge, 903 merge, 904 tracelink, "
                        "905 service, 910 discovery (all version 1)\n");
            return EXIT_OK;
        }};
    }};

} // namespace
} // namespace tp::apps
