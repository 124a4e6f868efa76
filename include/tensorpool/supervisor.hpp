// SPDX-License-Identifier: Apache-2.0
#pragma once

// The supervisor role (wire spec §10.5): listens to announces, consumer hellos and configs, QoS and
// metadata, keeps a live table of streams, producers and consumers with their rates and drops, and
// can publish ConsumerConfig to steer a consumer (per-consumer streams, fallback URI). It holds no
// lease and maps no shared memory.

#include "tensorpool/client.hpp"
#include "tensorpool/consumer.hpp"
#include "tensorpool/error.hpp"
#include "tensorpool/producer.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tp {

/// Supervisor settings.
struct SupervisorOptions {
    ClientContext context;
    /// Rows not heard from for this long are forgotten (consumers: no QoS or hello; streams: no
    /// announce or producer QoS, and no consumers left).
    std::uint64_t forget_after_ns{10'000'000'000ULL};
};

/// One consumer as the supervisor sees it (QosConsumer and ConsumerHello).
struct SupervisedConsumer {
    std::uint32_t consumer_id{0};
    std::uint64_t epoch{0};         ///< mapped epoch (QoS)
    std::uint64_t last_seq_seen{0}; ///< last accepted seq (QoS)
    std::uint64_t drops_gap{0};     ///< QoS
    std::uint64_t drops_late{0};    ///< QoS
    double frames_per_s{0.0};       ///< from last_seq_seen deltas within an epoch
    ConsumerMode mode{ConsumerMode::Stream};
    bool has_qos{false};   ///< a QosConsumer was seen
    bool has_hello{false}; ///< a ConsumerHello was seen (the fields below are valid)
    bool supports_shm{false};
    bool supports_progress{false};
    std::uint32_t max_rate_hz{0};
    std::string descriptor_channel; ///< requested per-consumer descriptor stream (empty: none)
    std::uint32_t descriptor_stream_id{0};
    std::string control_channel; ///< requested per-consumer control stream (empty: none)
    std::uint32_t control_stream_id{0};
    std::uint64_t last_seen_ns{0}; ///< CLOCK_MONOTONIC of the latest QoS or hello
};

/// One stream as the supervisor sees it.
struct SupervisedStream {
    std::uint32_t stream_id{0};
    bool has_announce{false};
    std::uint64_t epoch{0};         ///< announced epoch
    std::uint32_t header_nslots{0}; ///< announced ring size
    std::uint64_t announces{0};
    std::uint64_t epoch_changes{0};
    bool stale{false}; ///< no announce for 3 announce periods
    bool has_producer{false};
    std::uint32_t producer_id{0};
    std::uint64_t producer_current_seq{0}; ///< QosProducer currentSeq (next seq to assign)
    double producer_frames_per_s{0.0};
    std::string name;    ///< DataSourceAnnounce
    std::string summary; ///< DataSourceAnnounce
    std::uint32_t meta_version{0};
    std::vector<Attribute> metadata; ///< latest DataSourceMeta
    std::vector<SupervisedConsumer> consumers;
};

/// A ConsumerConfig to publish (wire spec §10.1.3). A per-consumer stream is assigned with both
/// its channel and a non-zero id, or not at all.
struct ConsumerConfigCommand {
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    bool use_shm{true};
    ConsumerMode mode{ConsumerMode::Stream};
    std::string descriptor_channel;
    std::uint32_t descriptor_stream_id{0};
    std::string control_channel;
    std::uint32_t control_stream_id{0};
    std::string payload_fallback_uri;
};

/// Counters of a supervisor.
struct SupervisorStats {
    std::uint64_t announces{0};
    std::uint64_t hellos{0};
    std::uint64_t configs_seen{0};
    std::uint64_t configs_sent{0};
    std::uint64_t qos_producer{0};
    std::uint64_t qos_consumer{0};
    std::uint64_t metadata{0};
    std::uint64_t dropped_messages{0}; ///< malformed or unsupported messages (codec drops)
};

/// A supervisor. Single-threaded: call do_work() regularly from one thread. Move-only.
class Supervisor {
public:
    /// Subscribes to the control, announce, QoS and metadata streams of `options.context`.
    [[nodiscard]] static auto create(SupervisorOptions options) -> Expected<Supervisor>;
    Supervisor(Supervisor&&) noexcept;
    auto operator=(Supervisor&&) noexcept -> Supervisor&;
    Supervisor(const Supervisor&) = delete;
    auto operator=(const Supervisor&) -> Supervisor& = delete;
    ~Supervisor();

    /// Polls every stream and ages the table; returns the work done.
    auto do_work() -> int;
    /// A snapshot of the table, ordered by stream id (consumers by consumer id).
    [[nodiscard]] auto streams() const -> std::vector<SupervisedStream>;
    /// A snapshot of one stream, if known.
    [[nodiscard]] auto stream(std::uint32_t stream_id) const -> std::optional<SupervisedStream>;
    /// Publishes a ConsumerConfig on the control stream. Errors: a half assignment (channel without
    /// id or the reverse: InvalidArgument, D-27), or the control stream refusing it (State).
    /// Producer and consumer apply it only if it is the first config after the consumer's changed
    /// hello (SPEC_DECISIONS D-26).
    auto send_consumer_config(const ConsumerConfigCommand& command) -> Expected<void>;
    [[nodiscard]] auto stats() const noexcept -> SupervisorStats;

    struct Impl;

private:
    explicit Supervisor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace tp
