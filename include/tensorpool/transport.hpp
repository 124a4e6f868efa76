// SPDX-License-Identifier: Apache-2.0
#pragma once

// The transport: Aeron's publication / subscription model (reliable, ordered, multi-publisher,
// multi-subscriber message streams per (channel, stream id)) behind one interface with
// exchangeable backends. The built-in backend carries `aeron:ipc` over a shared-memory log and
// `aeron:udp` over plain datagrams; a backend over the Aeron C client uses the same interface.
// docs/TRANSPORT.md describes the semantics and the built-in formats.

#include "tensorpool/channel_uri.hpp"
#include "tensorpool/error.hpp"
#include "tensorpool/function_ref.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tp::transport {

// Offer / try_claim results. A non-negative result is the new stream position; a negative one
// is one of these codes, numerically identical to aeronc.h's AERON_PUBLICATION_* values.

/// No live subscriber: the message was not published.
inline constexpr std::int64_t NOT_CONNECTED = -1;
/// The slowest live subscriber is a whole log behind: retry later.
inline constexpr std::int64_t BACK_PRESSURED = -2;
/// The publication did internal work instead (Aeron: term rotation): retry immediately.
inline constexpr std::int64_t ADMIN_ACTION = -3;
/// The publication is closed.
inline constexpr std::int64_t PUBLICATION_CLOSED = -4;
/// The stream reached its largest position: close the publication and add a new one.
inline constexpr std::int64_t MAX_POSITION_EXCEEDED = -5;
/// A bad argument, e.g. a message longer than max_message_length() (or a claim longer than
/// max_payload_length()).
inline constexpr std::int64_t PUBLICATION_ERROR = -6;

/// The outcome of an offer as an enum (hot paths may use either the code or the enum).
enum class OfferResult : std::int64_t {
    Success = 0, ///< published; the code was the new position
    NotConnected = NOT_CONNECTED,
    BackPressured = BACK_PRESSURED,
    AdminAction = ADMIN_ACTION,
    Closed = PUBLICATION_CLOSED,
    MaxPositionExceeded = MAX_POSITION_EXCEEDED,
    Error = PUBLICATION_ERROR,
};

/// Classifies an offer / try_claim code.
[[nodiscard]] constexpr auto to_offer_result(std::int64_t code) noexcept -> OfferResult {
    if (code >= 0) {
        return OfferResult::Success;
    }
    if (code < PUBLICATION_ERROR) {
        return OfferResult::Error;
    }
    return static_cast<OfferResult>(code);
}

/// "Success", "NotConnected", "BackPressured", ...
[[nodiscard]] constexpr auto to_string(OfferResult result) noexcept -> std::string_view {
    switch (result) {
    case OfferResult::Success:
        return "Success";
    case OfferResult::NotConnected:
        return "NotConnected";
    case OfferResult::BackPressured:
        return "BackPressured";
    case OfferResult::AdminAction:
        return "AdminAction";
    case OfferResult::Closed:
        return "Closed";
    case OfferResult::MaxPositionExceeded:
        return "MaxPositionExceeded";
    case OfferResult::Error:
        return "Error";
    }
    return "Unknown";
}

/// What a subscriber learns about a delivered message besides its bytes.
struct MessageHeader {
    std::int32_t session_id{0}; ///< the publishing session (one per publication)
    std::int32_t stream_id{0};  ///< the stream the message was published on
    std::int64_t position{0};   ///< stream position just after this message (as Aeron's header position)
};

/// Receives one whole message. The span is valid only during the call (it points into the log or
/// a receive buffer); copy what must outlive it. Must not throw and must not poll the same
/// subscription.
using FragmentHandler = FunctionRef<void(std::span<const std::uint8_t> message, const MessageHeader& header)>;

/// A publisher session as seen by one subscription (Aeron's image).
struct ImageInfo {
    std::int32_t session_id{0};       ///< the publisher's session id
    std::int32_t stream_id{0};        ///< the subscription's stream id
    std::int64_t join_position{0};    ///< first position this subscription can receive from the session
    std::uint64_t join_time_ns{0};    ///< CLOCK_MONOTONIC time the subscription learned of the session
    std::string_view source_identity; ///< "ipc" or the sender's "address:port"; valid during the call
};

/// Image notification callback (cold path; may allocate). Called on the thread that polls the
/// subscription, from inside poll().
using ImageHandler = std::function<void(const ImageInfo& image)>;

/// Publication statistics (a snapshot; counters only grow).
struct PublicationCounters {
    std::uint64_t messages{0};       ///< messages published
    std::uint64_t bytes{0};          ///< payload bytes published
    std::uint64_t back_pressured{0}; ///< offers / claims refused with BACK_PRESSURED
    std::uint64_t not_connected{0};  ///< offers / claims refused with NOT_CONNECTED
    std::uint64_t send_errors{0};    ///< UDP: datagrams the socket refused for other reasons (lost)
};

/// Subscription statistics (a snapshot; counters only grow).
struct SubscriptionCounters {
    std::uint64_t messages{0};      ///< messages delivered
    std::uint64_t bytes{0};         ///< payload bytes delivered
    std::uint64_t gaps{0};          ///< UDP: messages skipped over (sequence jumps), never delivered
    std::uint64_t out_of_order{0};  ///< UDP: datagrams older than one already delivered (dropped)
    std::uint64_t malformed{0};     ///< UDP: datagrams with a bad header, length or stream id (dropped)
    std::uint64_t rejoins{0};       ///< IPC: restarts at the stream end after a stall or a corrupt frame
    std::uint64_t skipped_bytes{0}; ///< IPC: bytes jumped over by rejoins
    std::uint64_t unblocked{0};     ///< IPC: abandoned claims this subscription turned into padding
};

/// A claimed range in a publication, filled in place then committed or aborted. Move-only. An
/// active claim that is destroyed is aborted (readers skip it). Backends fill it in through
/// activate(); applications use buffer(), commit() and abort(). Not thread-safe.
class BufferClaim {
public:
    /// Backend hooks; `commit` returns false when the claim could not be published.
    struct Ops {
        bool (*commit)(BufferClaim& claim) noexcept;
        void (*abort)(BufferClaim& claim) noexcept;
    };

    BufferClaim() noexcept = default;
    BufferClaim(const BufferClaim&) = delete;
    auto operator=(const BufferClaim&) -> BufferClaim& = delete;
    BufferClaim(BufferClaim&& other) noexcept { take(other); }
    auto operator=(BufferClaim&& other) noexcept -> BufferClaim& {
        if (this != &other) {
            abort();
            take(other);
        }
        return *this;
    }
    ~BufferClaim() { abort(); }

    /// The payload bytes to fill (exactly the claimed length).
    [[nodiscard]] auto buffer() const noexcept -> std::span<std::uint8_t> { return {m_data, m_length}; }
    /// True between a successful try_claim and commit / abort.
    [[nodiscard]] auto is_active() const noexcept -> bool { return m_ops != nullptr; }
    /// Publishes the claimed message. Returns false if the claim was not active or the backend
    /// could not publish it (e.g. it was held past the unblock timeout and skipped).
    auto commit() noexcept -> bool {
        if (m_ops == nullptr) {
            return false;
        }
        const Ops* ops = m_ops;
        const bool ok = ops->commit(*this);
        clear();
        return ok;
    }
    /// Abandons the claim; subscribers skip it. No-op when not active.
    void abort() noexcept {
        if (m_ops != nullptr) {
            const Ops* ops = m_ops;
            ops->abort(*this);
            clear();
        }
    }

    /// Backend use: arms the claim. Any active claim is aborted first.
    void activate(const Ops* ops, void* context, std::uint8_t* frame, std::uint8_t* data, std::size_t length) noexcept {
        abort();
        m_ops = ops;
        m_context = context;
        m_frame = frame;
        m_data = data;
        m_length = length;
    }
    /// Backend use: the owner passed to activate().
    [[nodiscard]] auto context() const noexcept -> void* { return m_context; }
    /// Backend use: the frame passed to activate().
    [[nodiscard]] auto frame() const noexcept -> std::uint8_t* { return m_frame; }

private:
    void take(BufferClaim& other) noexcept {
        m_ops = other.m_ops;
        m_context = other.m_context;
        m_frame = other.m_frame;
        m_data = other.m_data;
        m_length = other.m_length;
        other.clear();
    }
    void clear() noexcept {
        m_ops = nullptr;
        m_context = nullptr;
        m_frame = nullptr;
        m_data = nullptr;
        m_length = 0;
    }

    const Ops* m_ops{nullptr};
    void* m_context{nullptr};
    std::uint8_t* m_frame{nullptr};
    std::uint8_t* m_data{nullptr};
    std::size_t m_length{0};
};

/// Sends messages on one (channel, stream id). Created by TransportContext::add_publication and
/// closed by destruction. Several publications, in one process or many, may publish to the same
/// stream; each has its own session id and its messages keep their order.
///
/// Thread-safety: offer() and try_claim() are called by one thread at a time (no internal
/// locking); is_connected(), counters() and the accessors may be called from any thread. Commit
/// or abort every claim before destroying the publication.
class Publication {
public:
    Publication(const Publication&) = delete;
    auto operator=(const Publication&) -> Publication& = delete;
    Publication(Publication&&) = delete;
    auto operator=(Publication&&) -> Publication& = delete;
    virtual ~Publication() = default;

    /// Copies a whole message into the stream. Never blocks, never allocates. Returns the new
    /// position (>= 0) or NOT_CONNECTED, BACK_PRESSURED, ADMIN_ACTION, PUBLICATION_CLOSED,
    /// MAX_POSITION_EXCEEDED, or PUBLICATION_ERROR when longer than max_message_length().
    [[nodiscard]] virtual auto offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t = 0;
    /// Claims `length` bytes to fill in place (at most max_payload_length()); on success (>= 0,
    /// the position after the message) `claim` is active and must be committed or aborted. Same
    /// negative codes as offer().
    [[nodiscard]] virtual auto try_claim(std::size_t length, BufferClaim& claim) noexcept -> std::int64_t = 0;
    /// True when a live subscriber exists (built-in IPC: now; UDP: always, see docs/TRANSPORT.md).
    [[nodiscard]] virtual auto is_connected() const noexcept -> bool = 0;
    /// Largest message offer() accepts.
    [[nodiscard]] virtual auto max_message_length() const noexcept -> std::size_t = 0;
    /// Largest claim try_claim() accepts.
    [[nodiscard]] virtual auto max_payload_length() const noexcept -> std::size_t = 0;
    /// A snapshot of the counters.
    [[nodiscard]] virtual auto counters() const noexcept -> PublicationCounters = 0;

    /// The channel string as given.
    [[nodiscard]] auto channel() const noexcept -> const std::string& { return m_channel; }
    /// The stream id.
    [[nodiscard]] auto stream_id() const noexcept -> std::int32_t { return m_stream_id; }
    /// This publication's session id (random, unique among the stream's live publications).
    [[nodiscard]] auto session_id() const noexcept -> std::int32_t { return m_session_id; }

protected:
    Publication(std::string channel, std::int32_t stream_id, std::int32_t session_id)
        : m_channel(std::move(channel)), m_stream_id(stream_id), m_session_id(session_id) {}

private:
    std::string m_channel;
    std::int32_t m_stream_id;
    std::int32_t m_session_id;
};

/// Receives whole messages from one (channel, stream id), from every publisher session. A new
/// subscription starts at the current end of the stream (no replay). Created by
/// TransportContext::add_subscription and closed by destruction.
///
/// Thread-safety: poll() is called by one thread at a time, and the image handlers run on that
/// thread inside poll(); is_connected(), image_count(), counters() and the accessors may be called
/// from any thread.
class Subscription {
public:
    Subscription(const Subscription&) = delete;
    auto operator=(const Subscription&) -> Subscription& = delete;
    Subscription(Subscription&&) = delete;
    auto operator=(Subscription&&) -> Subscription& = delete;
    virtual ~Subscription() = default;

    /// Delivers up to `fragment_limit` whole messages to `handler`, in order per publisher, after
    /// first delivering any pending image notifications. Never blocks; allocates nothing unless an
    /// image handler does. Returns the number of messages delivered.
    virtual auto poll(FragmentHandler handler, int fragment_limit) -> int = 0;
    /// True when at least one live publisher exists for the stream (UDP: an image is active).
    [[nodiscard]] virtual auto is_connected() const noexcept -> bool = 0;
    /// Number of images announced by poll() and not yet withdrawn.
    [[nodiscard]] virtual auto image_count() const noexcept -> int = 0;
    /// A snapshot of the counters.
    [[nodiscard]] virtual auto counters() const noexcept -> SubscriptionCounters = 0;
    /// The channel with resolved values (UDP: the bound port when `endpoint` used port 0).
    [[nodiscard]] virtual auto resolved_channel() const -> std::string { return m_channel; }

    /// The channel string as given.
    [[nodiscard]] auto channel() const noexcept -> const std::string& { return m_channel; }
    /// The stream id.
    [[nodiscard]] auto stream_id() const noexcept -> std::int32_t { return m_stream_id; }

protected:
    Subscription(std::string channel, std::int32_t stream_id) : m_channel(std::move(channel)), m_stream_id(stream_id) {}

private:
    std::string m_channel;
    std::int32_t m_stream_id;
};

/// Which backend a TransportContext uses.
enum class TransportKind {
    Builtin, ///< shared-memory IPC log and plain UDP, no media driver
    Aeron,   ///< the Aeron C client and an Aeron media driver (when compiled in)
};

/// Parses "builtin" or "aeron".
[[nodiscard]] auto parse_transport_kind(std::string_view text) -> Expected<TransportKind>;
/// "builtin" or "aeron".
[[nodiscard]] auto to_string(TransportKind kind) noexcept -> std::string_view;

/// The default transport directory: `/dev/shm/tensorpool-<user>/transport`, where `<user>` is the
/// passwd name of the effective uid, else $USER, else "unknown", with every character outside
/// [A-Za-z0-9._-] replaced by '_'.
[[nodiscard]] auto default_transport_directory() -> std::string;

/// Configuration of a TransportContext. Every field has a usable default.
struct TransportConfig {
    /// Backend.
    TransportKind kind{TransportKind::Builtin};
    /// Built-in: directory of the IPC logs; empty means default_transport_directory(). Created
    /// (mode 0770) when missing.
    std::string directory;
    /// Built-in IPC: a subscriber that has not polled for this long no longer holds publishers
    /// back (and restarts at the stream end when it polls again).
    std::chrono::nanoseconds subscriber_liveness_timeout{std::chrono::seconds(5)};
    /// A publisher not heard from for this long is gone: its image becomes unavailable.
    std::chrono::nanoseconds publisher_liveness_timeout{std::chrono::seconds(5)};
    /// Built-in IPC: a claimed message left uncommitted this long is skipped by subscribers.
    std::chrono::nanoseconds unblock_timeout{std::chrono::seconds(5)};
    /// Built-in IPC: log size for channels without `term-length` (power of two, 64k..1g).
    std::uint32_t default_term_length{4U * 1024U * 1024U};
    /// Built-in IPC: permission bits of log files; "other" bits are refused.
    std::uint32_t file_mode{0660};
    /// Run the context's duty cycle (heartbeats) on its own thread; when false the application
    /// calls TransportContext::do_work() at least every few milliseconds.
    bool use_conductor_thread{true};
    /// Sleep between conductor duty cycles (heartbeats are due every liveness timeout / 8, at
    /// most 100 ms).
    std::chrono::nanoseconds conductor_idle{std::chrono::milliseconds(10)};
    /// Aeron backend: the media driver's directory (empty: Aeron's default, which honours the
    /// AERON_DIR environment variable, else /dev/shm/aeron-<user>).
    std::string aeron_directory;
    /// Aeron backend: start a media driver inside this process, in aeron_directory, instead of
    /// using a running aeronmd (single-process use; see aeron_embedded_driver_available()). Its
    /// settings come from Aeron's AERON_* environment variables; it stops with the context.
    bool aeron_embedded_driver{false};
    /// Aeron backend: how long to wait for the media driver (connecting, registrations) before
    /// failing with a Timeout error.
    std::chrono::milliseconds aeron_driver_timeout{std::chrono::seconds(10)};
};

/// The configuration driver and client processes share: `kind` is "builtin" or "aeron" (else
/// InvalidConfig); an empty built-in `directory` falls back to $TP_TRANSPORT_DIR (then, at create,
/// to default_transport_directory()). Every other field keeps its default.
[[nodiscard]] auto make_transport_config(std::string_view kind, std::string directory, std::string aeron_directory,
                                         bool aeron_embedded_driver) -> Expected<TransportConfig>;

/// True when this build has the backend (Builtin always; Aeron when built with an Aeron
/// installation, see README "Aeron").
[[nodiscard]] auto backend_available(TransportKind kind) noexcept -> bool;
/// True when this build can start an embedded Aeron media driver (TransportConfig::aeron_embedded_driver).
[[nodiscard]] auto aeron_embedded_driver_available() noexcept -> bool;

/// The entry point: owns the backend and creates publications and subscriptions.
///
/// Thread-safety: add_publication / add_subscription may be called from any thread. do_work() is
/// called by one thread at a time (only in invoker mode). Publications and subscriptions share the
/// context's state: they stay usable if the context object is destroyed first, and the conductor
/// thread runs until the last of them is closed (in invoker mode their heartbeats stop with the
/// context). A forked child must create its own context; objects inherited across fork are
/// unusable.
class TransportContext {
public:
    class Impl;

    /// Validates the configuration, prepares the transport directory (removing logs no live
    /// process uses) and starts the conductor thread when configured.
    [[nodiscard]] static auto create(TransportConfig config) -> Expected<TransportContext>;

    TransportContext(TransportContext&& other) noexcept;
    auto operator=(TransportContext&& other) noexcept -> TransportContext&;
    TransportContext(const TransportContext&) = delete;
    auto operator=(const TransportContext&) -> TransportContext& = delete;
    ~TransportContext();

    /// Adds a publication. Errors: a malformed channel (ParseError), a stream whose log was made
    /// with another explicit term-length (InvalidArgument, D-01), no free publisher slot (State),
    /// filesystem or socket failures (IoError), options this backend lacks (Unsupported).
    [[nodiscard]] auto add_publication(std::string_view channel, std::int32_t stream_id)
        -> Expected<std::unique_ptr<Publication>>;
    /// Adds a subscription; the handlers (optional) are told of publisher sessions appearing and
    /// going, from inside poll(). Errors as add_publication (UDP: the endpoint cannot be bound).
    [[nodiscard]] auto add_subscription(std::string_view channel, std::int32_t stream_id,
                                        ImageHandler on_available_image = {}, ImageHandler on_unavailable_image = {})
        -> Expected<std::unique_ptr<Subscription>>;
    /// One conductor duty cycle (invoker mode); returns the work done. Harmless with a thread.
    auto do_work() -> int;
    /// The effective configuration (directory resolved).
    [[nodiscard]] auto config() const noexcept -> const TransportConfig&;

private:
    explicit TransportContext(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tp::transport
