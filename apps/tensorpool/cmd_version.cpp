// SPDX-License-Identifier: Apache-2.0
#include "subcommands.hpp"

#ifdef HAVE_TP_TRANSPORT
#include "tensorpool/transport.hpp"
#endif

#include <cstdio>

namespace tp::apps {
namespace {

const SubcommandRegistration REG{
    "version", "Print the version and the schemas this build speaks", [](CLI::App&) {
        return SubcommandRunner{[] {
            std::printf("tensorpool 0.1.0\nschemas: 900 control, 901 driver, 902 bridge, 903 merge, 904 tracelink, "
                        "905 service, 910 discovery (all version 1)\n");
#ifdef HAVE_TP_TRANSPORT
            using transport::TransportKind;
            std::printf("transports: builtin%s\n",
                        !transport::backend_available(TransportKind::Aeron) ? " (aeron: not in this build)"
                        : transport::aeron_embedded_driver_available() ? ", aeron (embedded media driver available)"
                                                                       : ", aeron");
#endif
            return EXIT_OK;
        }};
    }};

} // namespace
} // namespace tp::apps
