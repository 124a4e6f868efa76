// SPDX-License-Identifier: Apache-2.0
// Publications and subscriptions of the Aeron backend: thin adapters from the transport interface
// onto the Aeron C client. Result codes pass through unchanged (the interface's codes are Aeron's).

#include "transport/aeron/aeron_client.hpp"

#include "transport/liveness_clock.hpp"
#include "transport/relaxed_counter.hpp"

#include <array>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace tp::transport::aeron {

namespace {

/// An Aeron concurrent publication. Publications of one stream in one media driver share a log
/// and a session id (Aeron's model); the driver refuses a `term-length` that differs from the
/// existing log's (D-01).
class AeronPublication final : public Publication {
public:
    AeronPublication(std::shared_ptr<AeronClient> client, aeron_publication_t* publication, std::string channel,
                     std::int32_t stream_id, const aeron_publication_constants_t& constants)
        : Publication(std::move(channel), stream_id, constants.session_id), m_client(std::move(client)),
          m_publication(publication), m_max_message(constants.max_message_length),
          m_max_payload(constants.max_payload_length) {}

    AeronPublication(const AeronPublication&) = delete;
    auto operator=(const AeronPublication&) -> AeronPublication& = delete;
    AeronPublication(AeronPublication&&) = delete;
    auto operator=(AeronPublication&&) -> AeronPublication& = delete;
    ~AeronPublication() override { aeron_publication_close(m_publication, nullptr, nullptr); }

    auto offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t override {
        if (message.size() > m_max_message) {
            return PUBLICATION_ERROR;
        }
        return count(aeron_publication_offer(m_publication, message.data(), message.size(), nullptr, nullptr),
                     message.size());
    }

    auto try_claim(std::size_t length, BufferClaim& claim) noexcept -> std::int64_t override {
        claim.abort();
        if (length > m_max_payload) {
            return PUBLICATION_ERROR;
        }
        aeron_buffer_claim_t raw{};
        const std::int64_t rc = aeron_publication_try_claim(m_publication, length, &raw);
        if (rc > 0) {
            claim.activate(&CLAIM_OPS, this, raw.frame_header, raw.data, raw.length);
            return rc;
        }
        return count(rc, 0);
    }

    auto is_connected() const noexcept -> bool override { return aeron_publication_is_connected(m_publication); }
    auto max_message_length() const noexcept -> std::size_t override { return m_max_message; }
    auto max_payload_length() const noexcept -> std::size_t override { return m_max_payload; }
    auto counters() const noexcept -> PublicationCounters override { return m_stats.snapshot(); }

private:
    auto count(std::int64_t rc, std::size_t bytes) noexcept -> std::int64_t {
        if (rc > 0) {
            m_stats.messages.add(1);
            m_stats.bytes.add(bytes);
        } else if (rc == BACK_PRESSURED) {
            m_stats.back_pressured.add(1);
        } else if (rc == NOT_CONNECTED) {
            m_stats.not_connected.add(1);
        }
        return rc;
    }

    static auto raw_claim(BufferClaim& claim) noexcept -> aeron_buffer_claim_t {
        const auto buffer = claim.buffer();
        return aeron_buffer_claim_t{claim.frame(), buffer.data(), buffer.size()};
    }
    static auto commit_claim(BufferClaim& claim) noexcept -> bool {
        auto* self = static_cast<AeronPublication*>(claim.context());
        aeron_buffer_claim_t raw = raw_claim(claim);
        if (aeron_buffer_claim_commit(&raw) < 0) {
            return false;
        }
        self->m_stats.messages.add(1);
        self->m_stats.bytes.add(raw.length);
        return true;
    }
    static void abort_claim(BufferClaim& claim) noexcept {
        aeron_buffer_claim_t raw = raw_claim(claim);
        aeron_buffer_claim_abort(&raw);
    }
    static constexpr BufferClaim::Ops CLAIM_OPS{&AeronPublication::commit_claim, &AeronPublication::abort_claim};

    std::shared_ptr<AeronClient> m_client;
    aeron_publication_t* m_publication;
    std::size_t m_max_message;
    std::size_t m_max_payload;
    PublicationStats m_stats;
};

/// Image notifications, queued by the Aeron client conductor (its thread, or the do_work()
/// caller) and delivered by poll() on the polling thread, as the interface promises.
struct ImageEvents {
    struct Event {
        bool available{false};
        std::int32_t session_id{0};
        std::int64_t join_position{0};
        std::uint64_t time_ns{0};
        std::string source_identity;
    };

    std::int32_t stream_id{0};
    std::mutex mutex;
    std::vector<Event> pending;
    // SYNC POINT(image-pending): release after appending under the mutex, acquire in poll() before
    // taking the mutex; a stale false only delays delivery to the next poll.
    std::atomic<bool> has_pending{false};

    void push(bool available, aeron_image_t* image) {
        aeron_image_constants_t constants{};
        if (aeron_image_constants(image, &constants) < 0) {
            return;
        }
        Event e;
        e.available = available;
        e.session_id = constants.session_id;
        e.join_position = constants.join_position;
        e.time_ns = static_cast<std::uint64_t>(precise_now_ns());
        e.source_identity = constants.source_identity != nullptr ? constants.source_identity : "";
        const std::lock_guard lock(mutex);
        pending.push_back(std::move(e));
        has_pending.store(true, std::memory_order_release);
    }

    static void on_available(void* clientd, aeron_subscription_t* /*subscription*/, aeron_image_t* image) {
        static_cast<ImageEvents*>(clientd)->push(true, image);
    }
    static void on_unavailable(void* clientd, aeron_subscription_t* /*subscription*/, aeron_image_t* image) {
        static_cast<ImageEvents*>(clientd)->push(false, image);
    }
};

/// An Aeron subscription with fragment reassembly: handlers see whole messages.
class AeronSubscription final : public Subscription {
public:
    AeronSubscription(std::shared_ptr<AeronClient> client, std::shared_ptr<ImageEvents> events, std::string channel,
                      std::int32_t stream_id, ImageHandler on_available, ImageHandler on_unavailable)
        : Subscription(std::move(channel), stream_id), m_client(std::move(client)), m_events(std::move(events)),
          m_on_available(std::move(on_available)), m_on_unavailable(std::move(on_unavailable)) {}

    AeronSubscription(const AeronSubscription&) = delete;
    auto operator=(const AeronSubscription&) -> AeronSubscription& = delete;
    AeronSubscription(AeronSubscription&&) = delete;
    auto operator=(AeronSubscription&&) -> AeronSubscription& = delete;
    ~AeronSubscription() override {
        if (m_subscription != nullptr) {
            // The client may still call the image handlers until the close completes: the event
            // queue is kept alive by the client (retire) until the client itself closes.
            aeron_subscription_close(m_subscription, nullptr, nullptr);
        }
        if (m_assembler != nullptr) {
            aeron_fragment_assembler_delete(m_assembler);
        }
        m_client->retire(std::move(m_events));
    }

    auto open() -> Expected<void> {
        if (aeron_fragment_assembler_create(&m_assembler, &AeronSubscription::on_message, this) < 0) {
            return last_aeron_error("aeron_fragment_assembler_create");
        }
        TP_TRY(sub, m_client->add_subscription(channel(), stream_id(), &ImageEvents::on_available,
                                               &ImageEvents::on_unavailable, m_events.get()));
        m_subscription = sub;
        return {};
    }

    auto poll(FragmentHandler handler, int fragment_limit) -> int override {
        deliver_image_events();
        if (fragment_limit <= 0) {
            return 0;
        }
        m_handler = &handler;
        m_delivered = 0;
        aeron_subscription_poll(m_subscription, &aeron_fragment_assembler_handler, m_assembler,
                                static_cast<std::size_t>(fragment_limit));
        m_handler = nullptr;
        return m_delivered;
    }

    auto is_connected() const noexcept -> bool override { return aeron_subscription_is_connected(m_subscription); }
    auto image_count() const noexcept -> int override { return m_images.load(std::memory_order_relaxed); }
    auto counters() const noexcept -> SubscriptionCounters override {
        SubscriptionCounters c;
        c.messages = m_messages.get();
        c.bytes = m_bytes.get();
        return c;
    }
    auto resolved_channel() const -> std::string override {
        std::array<char, 512> buffer{};
        const int rc =
            aeron_subscription_try_resolve_channel_endpoint_port(m_subscription, buffer.data(), buffer.size());
        return rc > 0 ? std::string(buffer.data()) : channel();
    }

private:
    static void on_message(void* clientd, const std::uint8_t* buffer, std::size_t length, aeron_header_t* header) {
        auto* self = static_cast<AeronSubscription*>(clientd);
        aeron_header_values_t values{};
        aeron_header_values(header, &values);
        const MessageHeader h{values.frame.session_id, values.frame.stream_id, aeron_header_position(header)};
        ++self->m_delivered;
        self->m_messages.add(1);
        self->m_bytes.add(length);
        (*self->m_handler)(std::span<const std::uint8_t>(buffer, length), h);
    }

    void deliver_image_events() {
        // SYNC POINT(image-pending): pairs with the release in ImageEvents::push.
        if (!m_events->has_pending.load(std::memory_order_acquire)) {
            return;
        }
        {
            const std::lock_guard lock(m_events->mutex);
            m_delivering.swap(m_events->pending);
            m_events->has_pending.store(false, std::memory_order_relaxed); // under the mutex
        }
        for (const auto& e : m_delivering) {
            const ImageInfo info{e.session_id, stream_id(), e.join_position, e.time_ns, e.source_identity};
            if (e.available) {
                m_images.fetch_add(1, std::memory_order_relaxed);
                if (m_on_available) {
                    m_on_available(info);
                }
            } else {
                m_images.fetch_sub(1, std::memory_order_relaxed);
                if (m_on_unavailable) {
                    m_on_unavailable(info);
                }
            }
        }
        m_delivering.clear(); // keeps its capacity: steady-state polls allocate nothing
    }

    std::shared_ptr<AeronClient> m_client;
    std::shared_ptr<ImageEvents> m_events;
    ImageHandler m_on_available;
    ImageHandler m_on_unavailable;
    aeron_subscription_t* m_subscription{nullptr};
    aeron_fragment_assembler_t* m_assembler{nullptr};
    FragmentHandler* m_handler{nullptr};
    int m_delivered{0};
    std::vector<ImageEvents::Event> m_delivering;
    std::atomic<int> m_images{0};
    RelaxedCounter m_messages;
    RelaxedCounter m_bytes;
};

} // namespace

auto make_publication(std::shared_ptr<AeronClient> client, std::string channel, std::int32_t stream_id)
    -> Expected<std::unique_ptr<Publication>> {
    TP_TRY(raw, client->add_publication(channel, stream_id));
    aeron_publication_constants_t constants{};
    if (aeron_publication_constants(raw, &constants) < 0) {
        aeron_publication_close(raw, nullptr, nullptr);
        return last_aeron_error("aeron_publication_constants");
    }
    return std::unique_ptr<Publication>(
        std::make_unique<AeronPublication>(std::move(client), raw, std::move(channel), stream_id, constants));
}

auto make_subscription(std::shared_ptr<AeronClient> client, std::string channel, std::int32_t stream_id,
                       ImageHandler on_available, ImageHandler on_unavailable)
    -> Expected<std::unique_ptr<Subscription>> {
    auto events = std::make_shared<ImageEvents>();
    events->stream_id = stream_id;
    auto sub = std::make_unique<AeronSubscription>(std::move(client), std::move(events), std::move(channel), stream_id,
                                                   std::move(on_available), std::move(on_unavailable));
    TP_TRY_VOID(sub->open());
    return std::unique_ptr<Subscription>(std::move(sub));
}

} // namespace tp::transport::aeron
