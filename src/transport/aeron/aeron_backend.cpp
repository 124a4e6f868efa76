// SPDX-License-Identifier: Apache-2.0
#include "transport/aeron/aeron_backend.hpp"

#include "transport/aeron/aeron_client.hpp"

namespace tp::transport {

namespace {

class AeronBackend final : public ContextBackend {
public:
    explicit AeronBackend(std::shared_ptr<aeron::AeronClient> client) : m_client(std::move(client)) {}

    // The channel string goes to the media driver as given (parameters this implementation does
    // not interpret included), so Aeron applies its own rules to it.
    auto add_publication(const ChannelUri& /*uri*/, std::string channel, std::int32_t stream_id)
        -> Expected<std::unique_ptr<Publication>> override {
        return aeron::make_publication(m_client, std::move(channel), stream_id);
    }

    auto add_subscription(const ChannelUri& /*uri*/, std::string channel, std::int32_t stream_id,
                          ImageHandler on_available, ImageHandler on_unavailable)
        -> Expected<std::unique_ptr<Subscription>> override {
        return aeron::make_subscription(m_client, std::move(channel), stream_id, std::move(on_available),
                                        std::move(on_unavailable));
    }

    auto do_work() -> int override { return m_client->do_work(); }

private:
    std::shared_ptr<aeron::AeronClient> m_client;
};

} // namespace

auto make_aeron_backend(const TransportConfig& config) -> Expected<std::unique_ptr<ContextBackend>> {
    TP_TRY(client, aeron::AeronClient::connect(config));
    return std::unique_ptr<ContextBackend>(std::make_unique<AeronBackend>(std::move(client)));
}

} // namespace tp::transport
