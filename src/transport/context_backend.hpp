// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/transport.hpp"

#include <memory>
#include <string>

namespace tp::transport {

/// What a transport backend provides to TransportContext. One implementation per kind.
class ContextBackend {
public:
    ContextBackend() = default;
    ContextBackend(const ContextBackend&) = delete;
    auto operator=(const ContextBackend&) -> ContextBackend& = delete;
    ContextBackend(ContextBackend&&) = delete;
    auto operator=(ContextBackend&&) -> ContextBackend& = delete;
    virtual ~ContextBackend() = default;

    /// Adds a publication for a parsed channel (`channel` is the caller's string).
    [[nodiscard]] virtual auto add_publication(const ChannelUri& uri, std::string channel, std::int32_t stream_id)
        -> Expected<std::unique_ptr<Publication>> = 0;
    /// Adds a subscription for a parsed channel.
    [[nodiscard]] virtual auto add_subscription(const ChannelUri& uri, std::string channel, std::int32_t stream_id,
                                                ImageHandler on_available, ImageHandler on_unavailable)
        -> Expected<std::unique_ptr<Subscription>> = 0;
    /// One duty cycle (invoker mode).
    virtual auto do_work() -> int = 0;
};

} // namespace tp::transport
