// SPDX-License-Identifier: Apache-2.0
#pragma once

// The Aeron backend's shared state: one Aeron C client (aeron_t) per TransportContext, optionally
// with an embedded media driver, held by the context and by every publication and subscription so
// it lives until the last of them is closed (the contract of TransportContext).

#include "tensorpool/transport.hpp"

#include <aeronc.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tp::transport::aeron {

class AeronEmbeddedDriver;

/// Turns the Aeron C client's thread-local error (aeron_errcode / aeron_errmsg) into an Error:
/// driver timeouts are Timeout, invalid channels and arguments InvalidArgument, unsupported
/// options Unsupported, everything else IoError. `what` names the failed operation.
[[nodiscard]] auto last_aeron_error(std::string_view what) -> Error;

/// One connected Aeron client. Thread-safe as the Aeron C client is: registrations may be made
/// from any thread; do_work() by one thread at a time (invoker mode only).
class AeronClient {
public:
    /// Connects to the media driver in `config.aeron_directory` (empty: Aeron's default, which
    /// honours AERON_DIR), first starting an embedded driver there when configured. Fails with a
    /// clear error when no driver answers within `config.aeron_driver_timeout`.
    [[nodiscard]] static auto connect(const TransportConfig& config) -> Expected<std::shared_ptr<AeronClient>>;

    AeronClient(const AeronClient&) = delete;
    auto operator=(const AeronClient&) -> AeronClient& = delete;
    AeronClient(AeronClient&&) = delete;
    auto operator=(AeronClient&&) -> AeronClient& = delete;
    /// Closes the client (and then the embedded driver, if any).
    ~AeronClient();

    /// Registers a publication and waits for the driver's answer.
    [[nodiscard]] auto add_publication(const std::string& channel, std::int32_t stream_id)
        -> Expected<aeron_publication_t*>;
    /// Registers a subscription (handlers and clientd as aeron_async_add_subscription) and waits.
    [[nodiscard]] auto add_subscription(const std::string& channel, std::int32_t stream_id,
                                        aeron_on_available_image_t on_available,
                                        aeron_on_unavailable_image_t on_unavailable, void* clientd)
        -> Expected<aeron_subscription_t*>;
    /// One client conductor duty cycle (invoker mode); 0 when the client runs its own thread.
    auto do_work() -> int;
    /// Keeps `state` (e.g. the clientd of image handlers) alive until the client closes, so
    /// callbacks the client still makes for a closing resource find it.
    void retire(std::shared_ptr<void> state);
    /// The raw client.
    [[nodiscard]] auto handle() const noexcept -> aeron_t* { return m_client; }
    /// True when the client conductor runs on the caller's thread (do_work()).
    [[nodiscard]] auto invoker_mode() const noexcept -> bool { return m_invoker; }

private:
    AeronClient() = default;
    /// Polls an async registration until it completes, driving the conductor in invoker mode.
    template <typename Poll>
    auto await(Poll&& poll, std::string_view what) -> Expected<void>;
    static void on_error(void* clientd, int errcode, const char* message);

    std::unique_ptr<AeronEmbeddedDriver> m_embedded;
    aeron_context_t* m_context{nullptr};
    aeron_t* m_client{nullptr};
    bool m_invoker{false};
    std::chrono::milliseconds m_timeout{10'000};
    std::mutex m_invoker_mutex; // serialises aeron_main_do_work between do_work() and await()
    std::atomic<std::uint64_t> m_errors{0};
    std::mutex m_retired_mutex;
    std::vector<std::shared_ptr<void>> m_retired;
};

/// Makes a publication over an Aeron concurrent publication.
[[nodiscard]] auto make_publication(std::shared_ptr<AeronClient> client, std::string channel, std::int32_t stream_id)
    -> Expected<std::unique_ptr<Publication>>;
/// Makes a subscription with fragment reassembly; image notifications are queued by the client
/// conductor and delivered from poll().
[[nodiscard]] auto make_subscription(std::shared_ptr<AeronClient> client, std::string channel, std::int32_t stream_id,
                                     ImageHandler on_available, ImageHandler on_unavailable)
    -> Expected<std::unique_ptr<Subscription>>;

} // namespace tp::transport::aeron
