// SPDX-License-Identifier: Apache-2.0
#pragma once

// The producer: attaches to the driver as the stream's exclusive producer, writes frames into the
// shared-memory pools (claim -> fill -> commit) and publishes a FrameDescriptor per frame. Also
// metadata, QoS, FrameProgress and per-consumer streams.

#include "tensorpool/client.hpp"
#include "tensorpool/error.hpp"
#include "tensorpool/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tp {

/// Producer settings.
struct ProducerOptions {
    ClientContext context;
    std::uint32_t stream_id{10000};
    std::uint32_t client_id{0};       ///< 0: random, kept for the object's lifetime
    bool create_stream{false};        ///< EXISTING_OR_CREATE (dynamic streams); default REQUIRE_EXISTING
    std::string name;                 ///< DataSourceAnnounce name
    std::string summary;              ///< DataSourceAnnounce summary
    bool descriptor_timestamp{false}; ///< write FrameDescriptor.timestampNs (publish time)
    /// Per-consumer streams granted to consumers that ask (D-26 ranges).
    std::uint32_t per_consumer_descriptor_first{31000};
    std::uint32_t per_consumer_descriptor_last{31999};
    std::uint32_t per_consumer_control_first{32000};
    std::uint32_t per_consumer_control_last{32999};
    bool per_consumer_allow_udp{false};
    bool decline_per_consumer{false};
    /// Sent to every consumer in ConsumerConfig.payloadFallbackUri (W §10.1.3), e.g. "bridge://cam1"
    /// or an "aeron:" channel; other schemes are not sent (D-27). Empty: none.
    std::string payload_fallback_uri;
};

/// One metadata attribute (DataSourceMeta): key, MIME format and value bytes.
struct Attribute {
    std::string key;
    std::string format{"text/plain"};
    std::string value;
};

/// Result of publishing a frame.
enum class PublishResult : std::uint8_t {
    Ok,
    NotReady,                ///< not attached (attaching, revoked, driver gone): frame dropped
    NoPoolFits,              ///< larger than every pool stride: frame dropped
    InvalidTensor,           ///< shape/strides a consumer would reject: frame dropped
    Claimed,                 ///< a claim is outstanding
    DescriptorBackPressured, ///< committed in SHM but the descriptor could not be published
};

[[nodiscard]] auto to_string(PublishResult r) noexcept -> const char*;

/// Counters of a producer.
struct ProducerStats {
    std::uint64_t frames_published{0};
    std::uint64_t frames_dropped{0};
    std::uint64_t descriptor_failures{0};
    std::uint64_t bytes_published{0};
    std::uint64_t epoch{0};
    std::uint64_t next_seq{0};
    std::uint64_t attaches{0};
    std::uint64_t leases_lost{0};
    std::uint32_t consumers{0};
    std::uint32_t meta_version{0};
    std::uint32_t client_id{0};
    std::uint32_t node_id{0};
};

class Producer;

/// A claimed slot: fill payload(), describe the tensor, then Producer::commit(). Move-only;
/// dropping it uncommitted abandons the slot (consumers skip it).
class FrameClaim {
public:
    FrameClaim() noexcept;
    FrameClaim(FrameClaim&& other) noexcept;
    auto operator=(FrameClaim&& other) noexcept -> FrameClaim&;
    FrameClaim(const FrameClaim&) = delete;
    auto operator=(const FrameClaim&) -> FrameClaim& = delete;
    ~FrameClaim();

    [[nodiscard]] auto is_valid() const noexcept -> bool;
    /// Why the claim failed (Ok when valid).
    [[nodiscard]] auto result() const noexcept -> PublishResult { return m_result; }
    /// The payload to fill (exactly the claimed length).
    [[nodiscard]] auto payload() const noexcept -> std::span<std::byte>;
    [[nodiscard]] auto seq() const noexcept -> std::uint64_t;

    auto set_dtype(Dtype d) noexcept -> FrameClaim&;
    auto set_major_order(MajorOrder o) noexcept -> FrameClaim&;
    /// 1..8 dims; strides default to contiguous.
    auto set_shape(std::span<const std::int32_t> dims) noexcept -> FrameClaim&;
    /// Byte strides, one per dim (0 = contiguous); after set_shape.
    auto set_strides(std::span<const std::int32_t> strides) noexcept -> FrameClaim&;
    auto set_progress(ProgressUnit unit, std::uint32_t stride_bytes) noexcept -> FrameClaim&;
    /// Capture time (CLOCK_MONOTONIC ns); default: the commit time.
    auto set_timestamp_ns(std::uint64_t t) noexcept -> FrameClaim&;
    auto set_trace_id(std::uint64_t trace_id) noexcept -> FrameClaim&;

private:
    friend class Producer;
    void reset() noexcept;
    alignas(16) std::byte m_storage[320];
    bool m_has_slot{false};
    PublishResult m_result{PublishResult::NotReady};
    std::uint64_t m_trace_id{0};
    std::uint64_t m_timestamp_ns{0}; ///< capture time set by the caller, 0 = the commit time
};

/// A producer. Single-threaded: call do_work() regularly (it attaches, keeps the lease alive,
/// answers consumers, publishes QoS and metadata) and publish from the same thread. Move-only.
class Producer {
public:
    /// Creates the transport endpoints; attaching happens in do_work().
    [[nodiscard]] static auto create(ProducerOptions options) -> Expected<Producer>;
    Producer(Producer&&) noexcept;
    auto operator=(Producer&&) noexcept -> Producer&;
    Producer(const Producer&) = delete;
    auto operator=(const Producer&) -> Producer& = delete;
    /// Detaches from the driver.
    ~Producer();

    /// One duty cycle; returns the work done.
    auto do_work() -> int;
    /// True when attached and mapped: frames can be published.
    [[nodiscard]] auto is_ready() const noexcept -> bool;
    /// Runs do_work() until ready or the timeout (milliseconds) passes.
    auto wait_ready(std::uint64_t timeout_ms) -> bool;

    /// Claims the next slot for `bytes` of payload (no allocation).
    [[nodiscard]] auto try_claim(std::size_t bytes) noexcept -> FrameClaim;
    /// Commits the claim and publishes its FrameDescriptor.
    auto commit(FrameClaim&& claim) noexcept -> PublishResult;
    /// Copy-in convenience: claim, copy `data`, describe, commit. Payloads of 256 KiB to 8 MiB are
    /// copied with streaming (non-temporal) stores on x86-64, so the frame goes to memory rather
    /// than into this core's caches, from where a consumer on another core reads it more slowly.
    auto publish(std::span<const std::byte> data, std::span<const std::int32_t> shape, Dtype dtype,
                 std::uint64_t timestamp_ns = 0) noexcept -> PublishResult;
    /// Reports progress of a claimed frame (FrameProgress PROGRESS), paced by the consumers' hints;
    /// sends STARTED on the first call. Nothing is sent when no consumer supports progress.
    void report_progress(const FrameClaim& claim, std::uint64_t bytes_filled) noexcept;

    /// Replaces the metadata: bumps meta_version and publishes DataSourceAnnounce and
    /// DataSourceMeta before the next frame (repeated every second for late joiners).
    void set_metadata(const std::vector<Attribute>& attributes);

    [[nodiscard]] auto stats() const noexcept -> ProducerStats;
    /// Detaches now (also done by the destructor).
    void close();

    struct Impl;

private:
    explicit Producer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace tp
