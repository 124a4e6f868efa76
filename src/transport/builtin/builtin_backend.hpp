// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/context_backend.hpp"

#include <memory>

namespace tp::transport {

/// The built-in backend: `aeron:ipc` over shared-memory logs in the transport directory,
/// `aeron:udp` over plain datagrams. Prepares the directory (mode 0770), removes stale logs and
/// starts the conductor thread when configured.
[[nodiscard]] auto make_builtin_backend(const TransportConfig& config) -> Expected<std::unique_ptr<ContextBackend>>;

} // namespace tp::transport
