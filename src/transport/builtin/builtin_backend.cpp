// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/builtin_backend.hpp"

#include "transport/builtin/ipc/ipc_log.hpp"
#include "transport/builtin/ipc/ipc_publication.hpp"
#include "transport/builtin/ipc/ipc_subscription.hpp"
#include "transport/builtin/udp/udp_publication.hpp"
#include "transport/builtin/udp/udp_subscription.hpp"
#include "transport/context_core.hpp"
#include "transport/transport_paths.hpp"

namespace tp::transport {
namespace {

class BuiltinBackend final : public ContextBackend {
public:
    explicit BuiltinBackend(std::shared_ptr<ContextCore> core) : m_core(std::move(core)) {}

    auto add_publication(const ChannelUri& uri, std::string channel, std::int32_t stream_id)
        -> Expected<std::unique_ptr<Publication>> override {
        if (uri.media() == Media::Ipc) {
            return ipc::IpcPublication::create(m_core, uri, std::move(channel), stream_id);
        }
        return udp::UdpPublication::create(m_core, uri, std::move(channel), stream_id);
    }

    auto add_subscription(const ChannelUri& uri, std::string channel, std::int32_t stream_id, ImageHandler on_available,
                          ImageHandler on_unavailable) -> Expected<std::unique_ptr<Subscription>> override {
        if (uri.media() == Media::Ipc) {
            return ipc::IpcSubscription::create(m_core, uri, std::move(channel), stream_id, std::move(on_available),
                                                std::move(on_unavailable));
        }
        return udp::UdpSubscription::create(m_core, m_udp_receivers, uri, std::move(channel), stream_id,
                                            std::move(on_available), std::move(on_unavailable));
    }

    auto do_work() -> int override { return m_core->do_work(); }

private:
    std::shared_ptr<ContextCore> m_core;
    udp::UdpReceiverRegistry m_udp_receivers;
};

} // namespace

auto make_builtin_backend(const TransportConfig& config) -> Expected<std::unique_ptr<ContextBackend>> {
    TP_TRY_VOID(ensure_directory(config.directory));
    ipc::IpcLog::remove_stale(config.directory);
    auto core = std::make_shared<ContextCore>(config);
    if (config.use_conductor_thread) {
        core->start_thread();
    }
    return std::unique_ptr<ContextBackend>(std::make_unique<BuiltinBackend>(std::move(core)));
}

} // namespace tp::transport
