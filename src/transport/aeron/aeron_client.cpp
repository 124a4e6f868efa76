// SPDX-License-Identifier: Apache-2.0
#include "transport/aeron/aeron_client.hpp"

#include "transport/aeron/aeron_embedded_driver.hpp"

#include <cerrno>
#include <cstdio>
#include <thread>

namespace tp::transport::aeron {

namespace {

// Driver error codes as the Aeron C client reports them (aeron_errcode() == -code) for a refused
// registration; see Aeron's control protocol.
constexpr int DRIVER_INVALID_CHANNEL = 1;
constexpr int DRIVER_MALFORMED_COMMAND = 7;
constexpr int DRIVER_NOT_SUPPORTED = 8;
constexpr int DRIVER_UNKNOWN_HOST = 9;
constexpr int DRIVER_GENERIC_ERROR = 11;

auto one_line(const char* text) -> std::string {
    std::string out;
    for (const char* p = text; p != nullptr && *p != '\0'; ++p) {
        if (*p == '\n') {
            if (!out.empty() && out.back() != ' ') {
                out += "; ";
            }
        } else {
            out += *p;
        }
    }
    return out;
}

} // namespace

auto last_aeron_error(std::string_view what) -> Error {
    const int code = aeron_errcode();
    std::string message = std::string(what) + ": " + one_line(aeron_errmsg());
    while (!message.empty() && (message.back() == ' ' || message.back() == ';')) {
        message.pop_back();
    }
    ErrorCode kind = ErrorCode::IoError;
    if (code == AERON_CLIENT_ERROR_DRIVER_TIMEOUT || code == AERON_CLIENT_ERROR_CLIENT_TIMEOUT || code == ETIMEDOUT) {
        kind = ErrorCode::Timeout;
    } else if (code == -DRIVER_INVALID_CHANNEL || code == -DRIVER_MALFORMED_COMMAND || code == EINVAL ||
               (code == -DRIVER_GENERIC_ERROR && message.find("Invalid argument") != std::string::npos)) {
        // The driver reports URI parameters it cannot parse as a generic error carrying EINVAL.
        kind = ErrorCode::InvalidArgument;
    } else if (code == -DRIVER_NOT_SUPPORTED) {
        kind = ErrorCode::Unsupported;
    } else if (code == -DRIVER_UNKNOWN_HOST) {
        kind = ErrorCode::NotFound;
    }
    Error e = Error::make(kind, message);
    if (code > 0) {
        e.errno_value = code;
    }
    return e;
}

auto AeronClient::connect(const TransportConfig& config) -> Expected<std::shared_ptr<AeronClient>> {
    std::shared_ptr<AeronClient> self(new AeronClient());
    self->m_invoker = !config.use_conductor_thread;
    self->m_timeout = config.aeron_driver_timeout;
    std::string directory = config.aeron_directory;
    if (config.aeron_embedded_driver) {
#ifdef TP_HAVE_AERON_DRIVER
        TP_TRY(driver, AeronEmbeddedDriver::start(directory));
        directory = driver->directory();
        self->m_embedded = std::move(driver);
#else
        return make_error(ErrorCode::Unsupported,
                          "aeron_embedded_driver: this build has the Aeron client but not the Aeron driver library "
                          "(libaeron_driver with aeronmd.h); start an aeronmd instead");
#endif
    }
    if (aeron_context_init(&self->m_context) < 0) {
        return last_aeron_error("aeron_context_init");
    }
    if (!directory.empty() && aeron_context_set_dir(self->m_context, directory.c_str()) < 0) {
        return last_aeron_error("aeron_context_set_dir");
    }
    aeron_context_set_driver_timeout_ms(self->m_context,
                                        static_cast<std::uint64_t>(config.aeron_driver_timeout.count()));
    aeron_context_set_use_conductor_agent_invoker(self->m_context, self->m_invoker);
    // Aeron's default handler exits the process; ours reports and lets the caller see the failure
    // as an error or NOT_CONNECTED / PUBLICATION_CLOSED results.
    aeron_context_set_error_handler(self->m_context, &AeronClient::on_error, self.get());
    if (aeron_init(&self->m_client, self->m_context) < 0) {
        const std::string dir = aeron_context_get_dir(self->m_context);
        return last_aeron_error("no Aeron media driver answered in '" + dir +
                                "' (start aeronmd there, set aeron_dir / AERON_DIR, or use the embedded driver)");
    }
    if (aeron_start(self->m_client) < 0) {
        return last_aeron_error("aeron_start");
    }
    return self;
}

AeronClient::~AeronClient() {
    if (m_client != nullptr) {
        aeron_close(m_client);
    }
    if (m_context != nullptr) {
        aeron_context_close(m_context);
    }
    m_embedded.reset(); // after the client: it must not outlive its driver's directory
}

void AeronClient::on_error(void* clientd, int errcode, const char* message) {
    auto* self = static_cast<AeronClient*>(clientd);
    // Cold path (driver errors, timeouts); at most the first few are printed.
    const std::uint64_t n = self->m_errors.fetch_add(1, std::memory_order_relaxed);
    if (n < 16) {
        std::fprintf(stderr, "tensorpool: aeron client error %d: %s\n", errcode, one_line(message).c_str());
    }
}

template <typename Poll>
auto AeronClient::await(Poll&& poll, std::string_view what) -> Expected<void> {
    // Bounded: the client conductor times a registration out after the driver timeout; the
    // deadline here only guards against a client that stopped running its conductor.
    const auto deadline = std::chrono::steady_clock::now() + m_timeout + std::chrono::seconds(1);
    while (true) {
        const int rc = poll();
        if (rc > 0) {
            return {};
        }
        if (rc < 0) {
            return last_aeron_error(what);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return make_error(ErrorCode::Timeout, std::string(what) + ": no answer from the Aeron media driver");
        }
        if (m_invoker) {
            const std::lock_guard lock(m_invoker_mutex);
            aeron_main_do_work(m_client);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

auto AeronClient::add_publication(const std::string& channel, std::int32_t stream_id)
    -> Expected<aeron_publication_t*> {
    aeron_async_add_publication_t* async = nullptr;
    if (aeron_async_add_publication(&async, m_client, channel.c_str(), stream_id) < 0) {
        return last_aeron_error("add publication " + channel);
    }
    aeron_publication_t* publication = nullptr;
    TP_TRY_VOID(await([&] { return aeron_async_add_publication_poll(&publication, async); },
                      "add publication " + channel + " stream " + std::to_string(stream_id)));
    return publication;
}

auto AeronClient::add_subscription(const std::string& channel, std::int32_t stream_id,
                                   aeron_on_available_image_t on_available, aeron_on_unavailable_image_t on_unavailable,
                                   void* clientd) -> Expected<aeron_subscription_t*> {
    aeron_async_add_subscription_t* async = nullptr;
    if (aeron_async_add_subscription(&async, m_client, channel.c_str(), stream_id, on_available, clientd,
                                     on_unavailable, clientd) < 0) {
        return last_aeron_error("add subscription " + channel);
    }
    aeron_subscription_t* subscription = nullptr;
    TP_TRY_VOID(await([&] { return aeron_async_add_subscription_poll(&subscription, async); },
                      "add subscription " + channel + " stream " + std::to_string(stream_id)));
    return subscription;
}

void AeronClient::retire(std::shared_ptr<void> state) {
    const std::lock_guard lock(m_retired_mutex);
    m_retired.push_back(std::move(state));
}

auto AeronClient::do_work() -> int {
    if (!m_invoker) {
        return 0;
    }
    const std::lock_guard lock(m_invoker_mutex);
    const int rc = aeron_main_do_work(m_client);
    return rc > 0 ? rc : 0;
}

} // namespace tp::transport::aeron
