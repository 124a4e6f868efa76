// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/transport.hpp"

#include "transport/builtin/builtin_backend.hpp"
#ifdef TP_HAVE_AERON
#include "transport/aeron/aeron_backend.hpp"
#endif
#include "transport/context_backend.hpp"

#include "common/bits.hpp"

#include <cstdlib>

namespace tp::transport {

class TransportContext::Impl {
public:
    TransportConfig config;
    std::unique_ptr<ContextBackend> backend;
};

auto parse_transport_kind(std::string_view text) -> Expected<TransportKind> {
    if (text == "builtin") {
        return TransportKind::Builtin;
    }
    if (text == "aeron") {
        return TransportKind::Aeron;
    }
    return make_error(ErrorCode::InvalidConfig,
                      "unknown transport kind '" + std::string(text) + "' (expected builtin or aeron)");
}

auto make_transport_config(std::string_view kind, std::string directory, std::string aeron_directory,
                           bool aeron_embedded_driver) -> Expected<TransportConfig> {
    TransportConfig t;
    TP_TRY(k, parse_transport_kind(kind));
    t.kind = k;
    t.directory = std::move(directory);
    if (t.directory.empty()) {
        if (const char* env = std::getenv("TP_TRANSPORT_DIR"); env != nullptr) {
            t.directory = env;
        }
    }
    t.aeron_directory = std::move(aeron_directory);
    t.aeron_embedded_driver = aeron_embedded_driver;
    return t;
}

auto backend_available(TransportKind kind) noexcept -> bool {
#ifdef TP_HAVE_AERON
    return kind == TransportKind::Builtin || kind == TransportKind::Aeron;
#else
    return kind == TransportKind::Builtin;
#endif
}

auto aeron_embedded_driver_available() noexcept -> bool {
#ifdef TP_HAVE_AERON_DRIVER
    return true;
#else
    return false;
#endif
}

auto to_string(TransportKind kind) noexcept -> std::string_view {
    return kind == TransportKind::Aeron ? "aeron" : "builtin";
}

namespace {

auto validate(const TransportConfig& c) -> Expected<void> {
    using std::chrono::nanoseconds;
    if (c.subscriber_liveness_timeout <= nanoseconds::zero() || c.publisher_liveness_timeout <= nanoseconds::zero() ||
        c.unblock_timeout <= nanoseconds::zero()) {
        return make_error(ErrorCode::InvalidConfig, "transport liveness and unblock timeouts must be positive");
    }
    if (c.conductor_idle <= nanoseconds::zero() || c.conductor_idle > std::chrono::seconds(1)) {
        return make_error(ErrorCode::InvalidConfig, "transport conductor_idle must be in (0, 1 s]");
    }
    if (c.default_term_length < MIN_TERM_LENGTH || c.default_term_length > MAX_TERM_LENGTH ||
        !common::is_power_of_two(c.default_term_length)) {
        return make_error(ErrorCode::InvalidConfig, "transport default_term_length " +
                                                        std::to_string(c.default_term_length) +
                                                        " must be a power of two from 64 KiB to 1 GiB");
    }
    if ((c.file_mode & ~0777U) != 0) {
        return make_error(ErrorCode::InvalidConfig, "transport file_mode must only hold permission bits (e.g. 0660)");
    }
    if ((c.file_mode & 0007U) != 0) {
        return make_error(ErrorCode::InvalidConfig,
                          "transport file_mode must not grant 'other' permissions (use 0600 or 0660)");
    }
    if (c.aeron_driver_timeout <= std::chrono::milliseconds::zero()) {
        return make_error(ErrorCode::InvalidConfig, "transport aeron_driver_timeout must be positive");
    }
    if ((c.file_mode & 0600U) != 0600U) {
        return make_error(ErrorCode::InvalidConfig, "transport file_mode must let the owner read and write (0600)");
    }
    return {};
}

} // namespace

auto TransportContext::create(TransportConfig config) -> Expected<TransportContext> {
    TP_TRY_VOID(validate(config));
    if (config.directory.empty()) {
        config.directory = default_transport_directory();
    }
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    switch (config.kind) {
    case TransportKind::Builtin: {
        TP_TRY(backend, make_builtin_backend(config));
        impl->backend = std::move(backend);
        break;
    }
    case TransportKind::Aeron: {
#ifdef TP_HAVE_AERON
        TP_TRY(backend, make_aeron_backend(config));
        impl->backend = std::move(backend);
        break;
#else
        return make_error(ErrorCode::Unsupported,
                          "transport kind 'aeron' is not available: this build has no Aeron C client "
                          "(configure with -DAERON_ROOT=<Aeron installation prefix>)");
#endif
    }
    }
    return TransportContext(std::move(impl));
}

TransportContext::TransportContext(std::unique_ptr<Impl> impl) noexcept : m_impl(std::move(impl)) {}
TransportContext::TransportContext(TransportContext&& other) noexcept = default;
auto TransportContext::operator=(TransportContext&& other) noexcept -> TransportContext& = default;
TransportContext::~TransportContext() = default;

auto TransportContext::add_publication(std::string_view channel, std::int32_t stream_id)
    -> Expected<std::unique_ptr<Publication>> {
    if (!m_impl) {
        return make_error(ErrorCode::State, "transport context was moved from");
    }
    TP_TRY(uri, ChannelUri::parse(channel));
    return m_impl->backend->add_publication(uri, std::string(channel), stream_id);
}

auto TransportContext::add_subscription(std::string_view channel, std::int32_t stream_id,
                                        ImageHandler on_available_image, ImageHandler on_unavailable_image)
    -> Expected<std::unique_ptr<Subscription>> {
    if (!m_impl) {
        return make_error(ErrorCode::State, "transport context was moved from");
    }
    TP_TRY(uri, ChannelUri::parse(channel));
    return m_impl->backend->add_subscription(uri, std::string(channel), stream_id, std::move(on_available_image),
                                             std::move(on_unavailable_image));
}

auto TransportContext::do_work() -> int {
    return m_impl ? m_impl->backend->do_work() : 0;
}

auto TransportContext::config() const noexcept -> const TransportConfig& {
    return m_impl->config;
}

} // namespace tp::transport
