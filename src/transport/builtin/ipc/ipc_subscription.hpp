// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "transport/builtin/ipc/ipc_log.hpp"
#include "transport/context_core.hpp"
#include "transport/relaxed_counter.hpp"

#include "tensorpool/transport.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

namespace tp::transport::ipc {

/// A subscription on a built-in IPC log (docs/TRANSPORT.md). Reads frames in place from its own
/// position, publishes the position once per poll, and keeps a heartbeat in its slot. Once per
/// coarse clock tick, poll() also does housekeeping: restarting at the end after a stall longer
/// than the rejoin threshold, padding a claim stuck past the unblock timeout, and announcing
/// publisher images.
class IpcSubscription final : public Subscription {
public:
    /// Opens (or creates) the stream's log and joins at its current end.
    [[nodiscard]] static auto create(std::shared_ptr<ContextCore> core, const ChannelUri& uri, std::string channel,
                                     std::int32_t stream_id, ImageHandler on_available, ImageHandler on_unavailable)
        -> Expected<std::unique_ptr<Subscription>>;
    /// Frees the slot (publishers stop waiting for it at once).
    ~IpcSubscription() override;

    auto poll(FragmentHandler handler, int fragment_limit) -> int override;
    [[nodiscard]] auto is_connected() const noexcept -> bool override;
    [[nodiscard]] auto image_count() const noexcept -> int override {
        return m_image_count.load(std::memory_order_relaxed); // relaxed: a count for display and tests
    }
    [[nodiscard]] auto counters() const noexcept -> SubscriptionCounters override;

    IpcSubscription(std::shared_ptr<ContextCore> core, IpcLog log, std::uint32_t slot, std::string channel,
                    std::int32_t stream_id, std::int64_t join_position, ImageHandler on_available,
                    ImageHandler on_unavailable);

private:
    struct Image {
        bool active{false};
        std::uint64_t generation{0};
        std::int32_t session_id{0};
        std::int64_t join_position{0};
    };

    /// Housekeeping, once per coarse clock tick.
    void on_tick(std::int64_t now_ns);
    /// Restarts at the current end of the stream (the gap is counted).
    void rejoin();
    /// Detects a frame stuck at the current position and unblocks it after the timeout.
    void check_stuck(std::int64_t now_ns);
    /// Diffs the publisher slots against the known images and calls the handlers.
    void scan_images(std::int64_t now_ns);
    void announce(const Image& image, bool available);
    void publish_position(std::int64_t position) noexcept;

    std::shared_ptr<ContextCore> m_core;
    IpcLog m_log;
    std::uint32_t m_slot_index;
    std::uint8_t* m_slot;
    std::uint8_t* m_ring;
    std::int64_t m_capacity;
    std::int64_t m_mask;
    std::uint64_t m_key;
    std::uint32_t m_max_frame;
    std::int64_t m_rejoin_threshold_ns;
    std::int64_t m_pub_timeout_ns;
    std::int64_t m_unblock_timeout_ns;
    std::int64_t m_image_scan_period_ns;
    ImageHandler m_on_available;
    ImageHandler m_on_unavailable;

    // Polling thread only.
    std::int64_t m_position;
    std::int64_t m_join_position;
    std::int64_t m_last_tick_ns{0};
    std::int64_t m_last_heartbeat_ns;
    std::int64_t m_stuck_position{-1};
    std::int64_t m_stuck_since_ns{0};
    std::uint64_t m_seen_pub_changes{~std::uint64_t{0}};
    std::int64_t m_last_image_scan_ns{0};
    bool m_pending_close{false};
    std::array<Image, PUB_SLOT_COUNT> m_images{};

    std::atomic<int> m_image_count{0};
    RelaxedCounter m_messages;
    RelaxedCounter m_bytes;
    RelaxedCounter m_rejoins;
    RelaxedCounter m_skipped_bytes;
    RelaxedCounter m_unblocked;
};

} // namespace tp::transport::ipc
