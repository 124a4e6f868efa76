// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/transport.hpp"

#include <atomic>
#include <cstdint>

namespace tp::transport {

/// A statistics counter with one writer and any number of readers. add() is a relaxed load and
/// store, not a locked read-modify-write: only the owning thread writes, readers want a recent
/// value, no data is published through it.
class RelaxedCounter {
public:
    void add(std::uint64_t delta) noexcept {
        m_value.store(m_value.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    }
    [[nodiscard]] auto get() const noexcept -> std::uint64_t { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_value{0};
};

/// A publication's counters (one writer: the publishing thread).
struct PublicationStats {
    RelaxedCounter messages;
    RelaxedCounter bytes;
    RelaxedCounter back_pressured;
    RelaxedCounter not_connected;
    RelaxedCounter send_errors;

    /// A snapshot for Publication::counters().
    [[nodiscard]] auto snapshot() const noexcept -> PublicationCounters {
        PublicationCounters c;
        c.messages = messages.get();
        c.bytes = bytes.get();
        c.back_pressured = back_pressured.get();
        c.not_connected = not_connected.get();
        c.send_errors = send_errors.get();
        return c;
    }
};

} // namespace tp::transport
