// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/ipc/ipc_log.hpp"
#include "transport/context_core.hpp"
#include "transport/relaxed_counter.hpp"

#include "tensorpool/transport.hpp"

#include <cstdint>
#include <limits>
#include <memory>

namespace tp::transport::ipc {

/// A publication on a built-in IPC log (docs/TRANSPORT.md): claims space with a compare-and-swap
/// on the shared tail, checked against a cached flow-control limit (slowest live subscriber plus
/// the ring length), writes the frame and commits it with a release store of its stamp.
class IpcPublication final : public Publication, public ConductorClient {
public:
    /// Opens (or creates) the stream's log, claims a publisher slot and registers for heartbeats.
    [[nodiscard]] static auto create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                                     std::int32_t stream_id) -> Expected<std::unique_ptr<Publication>>;
    /// Marks the slot CLOSED (with the end position) and releases it.
    ~IpcPublication() override;

    [[nodiscard]] auto offer(std::span<const std::uint8_t> message) noexcept -> std::int64_t override;
    [[nodiscard]] auto try_claim(std::size_t length, BufferClaim& claim) noexcept -> std::int64_t override;
    [[nodiscard]] auto is_connected() const noexcept -> bool override;
    [[nodiscard]] auto max_message_length() const noexcept -> std::size_t override { return m_max_message; }
    [[nodiscard]] auto max_payload_length() const noexcept -> std::size_t override { return m_max_message; }
    [[nodiscard]] auto counters() const noexcept -> PublicationCounters override;
    auto on_conductor_tick(std::int64_t now_ns) noexcept -> int override;

    IpcPublication(std::shared_ptr<ContextCore> core, IpcLog log, std::uint32_t slot, std::string channel,
                   std::int32_t stream_id, std::int32_t session_id);

private:
    static constexpr std::int64_t LIMIT_UNKNOWN = std::numeric_limits<std::int64_t>::min();
    /// offer() stamps PENDING before copying messages of at least this size. Smaller ones are
    /// copied in nanoseconds; a publisher dying inside that window leaves an unstamped claim, which
    /// subscribers skip in 32-byte SKIP units (ipc_unblocker.hpp). Saves a store that a caught-up
    /// reader would otherwise see first, costing an extra cache-line transfer per message.
    static constexpr std::size_t PENDING_STAMP_THRESHOLD = 1024;

    /// Claims `aligned` bytes (plus ring-end padding); sets `position` to the frame's start.
    /// Returns 0 or a negative offer code.
    auto claim(std::int64_t aligned, std::int64_t& position) noexcept -> std::int64_t;
    /// Recomputes the limit from the subscriber slots; 0, NOT_CONNECTED or BACK_PRESSURED.
    auto refresh_limit(std::int64_t required_end) noexcept -> std::int64_t;
    /// Writes the header fields of a claimed frame (not the stamp).
    void write_header(std::uint8_t* frame, std::size_t frame_length) const noexcept;
    /// Stamps a claimed frame PENDING: readers wait, an unblocker can pad it with its length.
    void mark_pending(std::uint8_t* frame, std::int64_t position) const noexcept;
    void write_padding(std::int64_t position, std::int64_t length) noexcept;

    static auto commit_claim(BufferClaim& claim) noexcept -> bool;
    static void abort_claim(BufferClaim& claim) noexcept;
    static constexpr BufferClaim::Ops CLAIM_OPS{&IpcPublication::commit_claim, &IpcPublication::abort_claim};

    std::shared_ptr<ContextCore> m_core;
    IpcLog m_log;
    std::uint32_t m_slot_index;
    std::uint8_t* m_slot;
    std::uint8_t* m_ring;
    std::int64_t* m_tail;
    const std::uint64_t* m_sub_changes;
    std::int64_t m_capacity;
    std::int64_t m_mask;
    std::uint64_t m_key;
    std::size_t m_max_message;
    std::int64_t m_sub_timeout_ns;
    std::int64_t m_heartbeat_interval_ns;

    // Offering thread only.
    std::int64_t m_limit{LIMIT_UNKNOWN};
    std::uint64_t m_seen_sub_changes{0};
    std::int64_t m_last_end{0};

    // Conductor thread only.
    std::int64_t m_last_heartbeat_ns{0};

    PublicationStats m_stats;
};

} // namespace tp::transport::ipc
