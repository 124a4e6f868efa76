// SPDX-License-Identifier: Apache-2.0
#pragma once

// A producer's view of the consumers of its stream (Wire §10.1.2–§10.1.3, §10.2.2, SPEC_DECISIONS
// D-26, D-27, D-28): liveness from ConsumerHello / QosConsumer, per-consumer stream grants from the
// producer's ranges, the first-ConsumerConfig-wins rule, and the aggregated progress policy. Pure
// logic; the producer opens and closes publications as `applied()` configs say.

#include "codec/control_messages.hpp"
#include "common/config_source.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tp::client {

/// Producer settings for per-consumer streams (SPEC_DECISIONS §4 producer keys).
struct PerConsumerSettings {
    common::IdRange descriptor_range{31000, 31999};
    common::IdRange control_range{32000, 32999};
    bool allow_udp{false};                       ///< producer.per_consumer_allow_udp
    bool always_decline{false};                  ///< bridge receivers and rate limiters (D-26)
    std::string payload_fallback_uri;            ///< sent in ConsumerConfig when it is an aeron: or bridge:// URI
    std::uint64_t liveness_ns{5'000'000'000ULL}; ///< D-27: 5 x the 1 s hello interval
};

/// The progress reporting policy aggregated over consumers that support progress (D-28).
struct ProgressPolicy {
    std::uint64_t interval_ns{250'000};
    std::uint64_t bytes_delta{65'536};
    std::uint32_t major_delta_units{0};
};

/// What the producer knows of one consumer.
struct ConsumerEntry {
    std::uint32_t consumer_id{0};
    std::uint64_t last_seen_ns{0};
    control::ConsumerHello hello;                   ///< the latest hello
    bool awaiting_config{false};                    ///< a changed request waits for its first ConsumerConfig
    bool fresh{false};                              ///< next hello counts as changed (new epoch)
    std::optional<control::ConsumerConfig> grant;   ///< this producer's answer to the current request
    std::optional<control::ConsumerConfig> applied; ///< the first full ConsumerConfig after the change
};

class ConsumerRegistry {
public:
    ConsumerRegistry(std::uint32_t stream_id, PerConsumerSettings settings);

    /// A ConsumerHello for this stream. Returns the ConsumerConfig to publish, if one is due: once
    /// per changed request, never on every hello (D-26).
    auto on_hello(const control::ConsumerHello& hello, std::uint64_t now_ns) -> std::optional<control::ConsumerConfig>;
    /// Every ConsumerConfig seen on the control stream, in order, own ones included (D-26).
    void on_config(const control::ConsumerConfig& config);
    /// A QosConsumer from a consumer: liveness only.
    void on_qos(std::uint32_t consumer_id, std::uint64_t now_ns);
    /// Forgets consumers silent for longer than the liveness timeout; returns their ids.
    auto expire(std::uint64_t now_ns) -> std::vector<std::uint32_t>;
    /// A new epoch clears grants and applied configs (D-26 "fresh reference points").
    void reset_epoch();

    /// The aggregated progress policy, or nullopt when no live consumer supports progress (D-28).
    [[nodiscard]] auto progress_policy() const -> std::optional<ProgressPolicy>;
    [[nodiscard]] auto consumers() const noexcept -> const std::map<std::uint32_t, ConsumerEntry>& {
        return m_consumers;
    }
    [[nodiscard]] auto stream_id() const noexcept -> std::uint32_t { return m_stream_id; }

private:
    auto make_grant(const control::ConsumerHello& hello, std::uint32_t consumer_id) const -> control::ConsumerConfig;
    auto channel_supported(const std::string& channel) const -> bool;
    auto id_taken(std::uint32_t id, bool descriptor, std::uint32_t except_consumer) const -> bool;
    auto pick_id(std::uint32_t requested, const common::IdRange& range, bool descriptor,
                 std::uint32_t consumer_id) const -> std::optional<std::uint32_t>;

    std::uint32_t m_stream_id;
    PerConsumerSettings m_settings;
    std::map<std::uint32_t, ConsumerEntry> m_consumers;
};

/// True when the request for one kind is complete: a channel and an id other than 0 / all ones.
[[nodiscard]] auto is_full_request(const std::string& channel, std::uint32_t id) -> bool;
/// True when the assignment is half: a channel without an id or an id without a channel (D-27).
[[nodiscard]] auto is_half_assignment(const std::string& channel, std::uint32_t id) -> bool;

} // namespace tp::client
