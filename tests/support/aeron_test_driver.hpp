// SPDX-License-Identifier: Apache-2.0
#pragma once

// The transport a test runs on. Tests run on the built-in transport unless the environment says
// TP_TEST_TRANSPORT=aeron (the CTest entries labelled `aeron` set it): then they use the Aeron
// backend through a real media driver (aeronmd) that this process starts once, in a private
// directory, with short liveness timeouts, and stops at exit.

#include <string>

namespace tp::test {

/// True when TP_TEST_TRANSPORT=aeron.
[[nodiscard]] auto test_transport_is_aeron() -> bool;

/// "aeron" or "builtin": the transport kind tests should configure.
[[nodiscard]] auto test_transport_kind() -> std::string;

/// The aeronmd executable found when the project was configured (or $TP_AERONMD); empty if none.
[[nodiscard]] auto aeronmd_executable() -> std::string;

/// The directory of this process's media driver, started on first use. Empty, with `why` set,
/// when it cannot be started (no aeronmd, or it did not come up).
[[nodiscard]] auto shared_aeron_directory(std::string* why = nullptr) -> std::string;

} // namespace tp::test
