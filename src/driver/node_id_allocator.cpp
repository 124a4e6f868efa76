// SPDX-License-Identifier: Apache-2.0
#include "driver/node_id_allocator.hpp"

namespace tp::driver {

auto NodeIdAllocator::allocate(std::uint32_t client_id, std::uint64_t now_ns) -> std::optional<std::uint32_t> {
    for (std::uint32_t id = MIN_ID; id <= MAX_ID; ++id) {
        auto& e = m_entries[id];
        if (!e.held && now_ns >= e.cooldown_until_ns) {
            e.held = true;
            e.last_client = client_id;
            return id;
        }
    }
    return std::nullopt;
}

auto NodeIdAllocator::claim(std::uint32_t desired, std::uint32_t client_id, std::uint64_t now_ns) -> bool {
    if (desired < MIN_ID || desired > MAX_ID) {
        return false;
    }
    auto& e = m_entries[desired];
    if (e.held) {
        return false;
    }
    if (now_ns < e.cooldown_until_ns && e.last_client != client_id) {
        return false;
    }
    e.held = true;
    e.last_client = client_id;
    return true;
}

void NodeIdAllocator::release(std::uint32_t id, std::uint64_t now_ns) {
    if (id < MIN_ID || id > MAX_ID) {
        return;
    }
    auto& e = m_entries[id];
    e.held = false;
    e.cooldown_until_ns = now_ns + m_cooldown_ns;
}

auto NodeIdAllocator::in_use(std::uint32_t id) const -> bool {
    return id >= MIN_ID && id <= MAX_ID && m_entries[id].held;
}

} // namespace tp::driver
