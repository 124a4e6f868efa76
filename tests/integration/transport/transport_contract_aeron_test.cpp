// SPDX-License-Identifier: Apache-2.0
// The transport contract on the Aeron backend, through a real media driver (aeronmd) that this
// process starts in a temporary directory. Skipped when the build has no Aeron or no aeronmd.

#include "aeron_test_driver.hpp"
#include "transport_contract_suite.hpp"

namespace tp::transport::test {

struct AeronIpcBackend {
    static auto directory(std::string* why) -> std::string {
        if (!backend_available(TransportKind::Aeron)) {
            *why = "this build has no Aeron backend (configure with -DAERON_ROOT=<Aeron installation>)";
            return {};
        }
        return tp::test::shared_aeron_directory(why);
    }
    static auto available() -> bool {
        std::string why;
        return !directory(&why).empty();
    }
    static auto skip_reason() -> std::string {
        std::string why;
        (void)directory(&why);
        return why;
    }
    static auto config(const std::string& /*dir*/) -> TransportConfig {
        TransportConfig c;
        c.kind = TransportKind::Aeron;
        c.aeron_directory = tp::test::shared_aeron_directory();
        c.aeron_driver_timeout = std::chrono::seconds(5);
        return c;
    }
    static auto ipc_channel(const std::string& term_length) -> std::string {
        return "aeron:ipc?term-length=" + term_length;
    }
    // Aeron keeps a tethered subscriber's client alive while it stalls (its conductor thread
    // heartbeats); an untethered one is left behind after the driver's window-limit timeout.
    static auto released_subscriber_channel(const std::string& term_length) -> std::string {
        return ipc_channel(term_length) + "|tether=false";
    }
    static constexpr bool reports_ipc_counters = false;
    // Aeron's default IPC publication window is half a term.
    static auto publication_window(std::uint32_t term_length) -> std::uint64_t { return term_length / 2U; }
    static constexpr bool publications_share_a_session = true;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Aeron, TransportContract, ::testing::Types<AeronIpcBackend>);

} // namespace tp::transport::test
