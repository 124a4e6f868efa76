// SPDX-License-Identifier: Apache-2.0
#include "control_client.hpp"

#include "codec/dispatch.hpp"
#include "codec/message_convert.hpp"

#include <thread>

namespace tp::test {

namespace {
struct Recorder {
    std::vector<ControlEvent>* out;
    void operator()(codec::driver::ShmAttachResponse& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::driver::ShmDetachResponse& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::driver::ShmLeaseRevoked& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::driver::ShmDriverShutdown& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::control::ShmPoolAnnounce& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::control::ConsumerHello& m) { out->emplace_back(codec::decode(m)); }
    void operator()(codec::control::ConsumerConfig& m) { out->emplace_back(codec::decode(m)); }
};
} // namespace

auto ControlClient::create(const std::string& transport_dir, const std::string& channel, std::int32_t control_stream_id)
    -> std::unique_ptr<ControlClient> {
    transport::TransportConfig cfg;
    cfg.directory = transport_dir;
    auto ctx = transport::TransportContext::create(cfg);
    if (!ctx) {
        return nullptr;
    }
    std::unique_ptr<ControlClient> c(new ControlClient());
    c->m_ctx = std::make_unique<transport::TransportContext>(std::move(*ctx));
    auto sub = c->m_ctx->add_subscription(channel, control_stream_id);
    auto pub = c->m_ctx->add_publication(channel, control_stream_id);
    if (!sub || !pub) {
        return nullptr;
    }
    c->m_sub = std::move(*sub);
    c->m_pub = std::move(*pub);
    return c;
}

auto ControlClient::send_raw(std::span<const std::uint8_t> bytes) -> bool {
    for (int i = 0; i < 1000; ++i) {
        auto rc = m_pub->offer(bytes);
        if (rc >= 0) {
            return true;
        }
        if (rc != transport::BACK_PRESSURED && rc != transport::ADMIN_ACTION) {
            return false;
        }
        poll();
    }
    return false;
}

auto ControlClient::attach(const driver::AttachRequest& r) -> bool {
    return send_raw({m_buffer.data(), codec::encode(r, m_buffer)});
}
auto ControlClient::detach(const driver::DetachRequest& r) -> bool {
    return send_raw({m_buffer.data(), codec::encode(r, m_buffer)});
}
auto ControlClient::keepalive(const driver::Keepalive& k) -> bool {
    return send_raw({m_buffer.data(), codec::encode(k, m_buffer)});
}
auto ControlClient::shutdown(const driver::ShutdownRequest& r) -> bool {
    return send_raw({m_buffer.data(), codec::encode(r, m_buffer)});
}

void ControlClient::on_message(std::span<const std::uint8_t> msg) {
    Recorder rec{&m_events};
    codec::DispatchCounters counters;
    (void)codec::dispatch(msg, rec, counters);
}

auto ControlClient::poll() -> int {
    return m_sub->poll([this](std::span<const std::uint8_t> msg, const transport::MessageHeader&) { on_message(msg); },
                       64);
}

auto ControlClient::wait_for(const std::function<bool(const ControlEvent&)>& pred, std::chrono::milliseconds timeout,
                             std::size_t from) -> std::optional<std::size_t> {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t next = from;
    while (true) {
        for (; next < m_events.size(); ++next) {
            if (pred(m_events[next])) {
                return next;
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        if (poll() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
}

auto ControlClient::wait_attach(std::int64_t correlation_id, std::chrono::milliseconds timeout)
    -> std::optional<driver::AttachResponse> {
    auto idx = wait_for(
        [&](const ControlEvent& e) {
            const auto* r = std::get_if<driver::AttachResponse>(&e);
            return r != nullptr && r->correlation_id == correlation_id;
        },
        timeout);
    if (!idx) {
        return std::nullopt;
    }
    return std::get<driver::AttachResponse>(m_events[*idx]);
}

auto ControlClient::attach_and_wait(std::uint32_t client_id, driver::Role role, std::uint32_t stream_id,
                                    std::uint8_t publish_mode) -> std::optional<driver::AttachResponse> {
    driver::AttachRequest r;
    r.correlation_id = next_correlation_id();
    r.client_id = client_id;
    r.role = static_cast<std::uint8_t>(role);
    r.stream_id = stream_id;
    r.publish_mode = publish_mode;
    r.expected_layout_version = 1;
    // The driver may not be subscribed yet: resend until it answers.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (attach(r)) {
            if (auto rsp = wait_attach(r.correlation_id, std::chrono::milliseconds(500))) {
                return rsp;
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    return std::nullopt;
}

void ControlClient::pump_for(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
        if (poll() == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
}

} // namespace tp::test
