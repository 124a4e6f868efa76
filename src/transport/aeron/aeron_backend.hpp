// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/context_backend.hpp"

#include <memory>

namespace tp::transport {

/// The Aeron backend (built when an Aeron installation was found): publications and
/// subscriptions through an Aeron media driver via the Aeron C client, so processes of other
/// implementations on the same driver exchange messages with ours.
[[nodiscard]] auto make_aeron_backend(const TransportConfig& config) -> Expected<std::unique_ptr<ContextBackend>>;

} // namespace tp::transport
