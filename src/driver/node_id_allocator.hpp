// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace tp::driver {

/// TraceLink node ids 1..1023 (D-40): lowest free first, held while a lease is active, then a
/// reuse cooldown during which only the last holder may claim the id back via desiredNodeId.
class NodeIdAllocator {
public:
    static constexpr std::uint32_t MIN_ID = 1;
    static constexpr std::uint32_t MAX_ID = 1023;

    explicit NodeIdAllocator(std::uint64_t cooldown_ns) noexcept : m_cooldown_ns(cooldown_ns) {}

    /// Lowest id that is free and out of cooldown; nullopt if none (the attach then succeeds
    /// with a null nodeId).
    auto allocate(std::uint32_t client_id, std::uint64_t now_ns) -> std::optional<std::uint32_t>;
    /// Claims `desired` for client_id: true if in range, not held, and out of cooldown or last
    /// held by the same client.
    auto claim(std::uint32_t desired, std::uint32_t client_id, std::uint64_t now_ns) -> bool;
    /// Releases an id when its lease ends; it enters the cooldown.
    void release(std::uint32_t id, std::uint64_t now_ns);
    [[nodiscard]] auto in_use(std::uint32_t id) const -> bool;

private:
    struct Entry {
        bool held{false};
        std::uint32_t last_client{0};
        std::uint64_t cooldown_until_ns{0};
    };
    std::uint64_t m_cooldown_ns;
    std::array<Entry, MAX_ID + 1> m_entries{};
};

} // namespace tp::driver
