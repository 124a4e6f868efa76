// SPDX-License-Identifier: Apache-2.0
#pragma once

// The consumer: attaches to the driver, maps the announced regions read-only, and delivers frames
// zero-copy from FrameDescriptors, applying every validation and drop rule of the wire spec.

#include "tensorpool/client.hpp"
#include "tensorpool/error.hpp"
#include "tensorpool/function_ref.hpp"
#include "tensorpool/tensor.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace tp {

/// Delivery mode (wire spec §11).
enum class ConsumerMode : std::uint8_t { Stream = 1, RateLimited = 2 };

/// Consumer settings.
struct ConsumerOptions {
    ClientContext context;
    std::uint32_t stream_id{10000};
    std::uint32_t client_id{0};   ///< 0: random, kept for the object's lifetime
    std::uint32_t consumer_id{0}; ///< 0: the lease's client id (D-27)
    ConsumerMode mode{ConsumerMode::Stream};
    std::uint32_t max_rate_hz{0}; ///< RATE_LIMITED rate (0 = unlimited)
    bool supports_progress{false};
    std::optional<std::uint32_t> progress_interval_us;
    std::optional<std::uint32_t> progress_bytes_delta;
    std::optional<std::uint32_t> progress_major_delta_units;
    /// Ask the producer for a per-consumer descriptor / control stream. A kind is requested only
    /// when both its channel and its id are set; a half request is not sent (W §10.1.2).
    std::string per_consumer_descriptor_channel;
    std::uint32_t per_consumer_descriptor_stream_id{0};
    std::string per_consumer_control_channel;
    std::uint32_t per_consumer_control_stream_id{0};
    std::uint64_t max_outstanding_seq_gap{256}; ///< resync beyond this gap (W §15.4)
};

/// Where a consumer is (Driver §4.12.3).
enum class ConsumerState : std::uint8_t { Unmapped, Mapped, Remapping, Fallback, Closed };

[[nodiscard]] auto to_string(ConsumerState s) noexcept -> const char*;

/// Counters of a consumer (the QosConsumer figures plus diagnostics).
struct ConsumerStats {
    std::uint64_t frames_delivered{0};
    std::uint64_t drops_gap{0};  ///< seqs never seen
    std::uint64_t drops_late{0}; ///< seen but rejected (torn, overwritten, invalid)
    std::uint64_t drops_rate{0}; ///< skipped by RATE_LIMITED gating
    std::uint64_t last_seq{0};
    std::uint64_t epoch{0};
    std::uint64_t remaps{0};
    std::uint64_t leases_lost{0};
    std::uint64_t announces_ignored{0};
    std::uint64_t progress_accepted{0};
    std::uint64_t progress_dropped{0};
    std::uint32_t consumer_id{0};
    std::uint32_t meta_version{0}; ///< latest DataSourceMeta version seen
    bool per_consumer_descriptor{false};
};

/// Handler of delivered frames; the Frame is valid only during the call.
using FrameHandler = FunctionRef<void(const Frame& frame)>;
/// Handler of accepted FrameProgress (stream, epoch, seq, bytes filled, state 1..3).
using ProgressHandler = FunctionRef<void(std::uint64_t seq, std::uint64_t bytes_filled, std::uint8_t state)>;

/// A consumer. Single-threaded: call poll() (which also runs the duty cycle) from one thread.
class Consumer {
public:
    [[nodiscard]] static auto create(ConsumerOptions options) -> Expected<Consumer>;
    Consumer(Consumer&&) noexcept;
    auto operator=(Consumer&&) noexcept -> Consumer&;
    Consumer(const Consumer&) = delete;
    auto operator=(const Consumer&) -> Consumer& = delete;
    ~Consumer();

    /// Control-plane duty cycle (attach, announces, hello, QoS, FrameProgress). poll() runs it on
    /// every 16th call and whenever a millisecond or more passed since the last run; call it directly
    /// to force one.
    auto do_work() -> int;
    /// Delivers up to `limit` frames to the handler; returns the number of descriptors handled.
    auto poll(FrameHandler handler, int limit = 16) -> int;
    /// Like poll(), and FrameProgress to the progress handler (when supports_progress).
    auto poll(FrameHandler handler, ProgressHandler progress, int limit = 16) -> int;
    [[nodiscard]] auto state() const noexcept -> ConsumerState;
    /// Runs do_work() until mapped or the timeout (milliseconds) passes.
    auto wait_mapped(std::uint64_t timeout_ms) -> bool;
    [[nodiscard]] auto stats() const noexcept -> ConsumerStats;
    /// The metadata attribute `key` of the latest DataSourceMeta, if any.
    [[nodiscard]] auto metadata(const std::string& key) const -> std::optional<std::string>;
    /// The payload fallback URI of the applied ConsumerConfig ("aeron:" or "bridge://" only, D-27),
    /// empty if none. state() is Fallback when mapping was refused and this is set (D-21).
    [[nodiscard]] auto fallback_uri() const -> std::string;
    void close();

    struct Impl;

private:
    explicit Consumer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace tp
