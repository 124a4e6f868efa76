// SPDX-License-Identifier: Apache-2.0
// The transport contract on the built-in backend (aeron:ipc over shared-memory logs).

#include "transport_contract_suite.hpp"

namespace tp::transport::test {

struct BuiltinIpcBackend {
    static auto available() -> bool { return true; }
    static auto skip_reason() -> std::string { return {}; }
    static auto config(const std::string& dir) -> TransportConfig {
        TransportConfig c;
        c.kind = TransportKind::Builtin;
        c.directory = dir;
        c.subscriber_liveness_timeout = std::chrono::milliseconds(1000);
        c.publisher_liveness_timeout = std::chrono::milliseconds(1000);
        c.unblock_timeout = std::chrono::milliseconds(500);
        return c;
    }
    static auto ipc_channel(const std::string& term_length) -> std::string {
        return "aeron:ipc?term-length=" + term_length;
    }
    static auto released_subscriber_channel(const std::string& term_length) -> std::string {
        return ipc_channel(term_length);
    }
    static constexpr bool reports_ipc_counters = true;
    static auto publication_window(std::uint32_t term_length) -> std::uint64_t { return term_length; }
    static constexpr bool publications_share_a_session = false;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Builtin, TransportContract, ::testing::Types<BuiltinIpcBackend>);

} // namespace tp::transport::test
