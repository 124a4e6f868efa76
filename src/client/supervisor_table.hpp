// SPDX-License-Identifier: Apache-2.0
#pragma once

// The supervisor's live table (Wire §10.5): streams, producers, consumers, rates and drops, built
// from ShmPoolAnnounce, QosProducer, QosConsumer and DataSourceAnnounce/Meta. Used by the
// Supervisor role and `tensorpool stat`. Cold path (1 Hz messages).

#include "codec/control_messages.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace tp::client {

/// QosProducer (schema 900).
struct QosProducerInfo {
    std::uint32_t stream_id{0};
    std::uint32_t producer_id{0};
    std::uint64_t epoch{0};
    std::uint64_t current_seq{0};
};

/// QosConsumer (schema 900).
struct QosConsumerInfo {
    std::uint32_t stream_id{0};
    std::uint32_t consumer_id{0};
    std::uint64_t epoch{0};
    std::uint64_t last_seq_seen{0};
    std::uint64_t drops_gap{0};
    std::uint64_t drops_late{0};
    control::Mode mode{control::Mode::Stream};
};

/// One consumer row.
struct ConsumerRow {
    QosConsumerInfo last;
    std::uint64_t last_seen_ns{0};
    double frames_per_s{0.0}; ///< from last_seq_seen deltas within an epoch
};

/// One stream row.
struct StreamRow {
    std::uint32_t stream_id{0};
    control::PoolAnnounce announce;
    std::uint64_t last_announce_ns{0};
    std::uint64_t announces{0};
    std::uint64_t epoch_changes{0};
    QosProducerInfo producer;
    std::uint64_t last_producer_qos_ns{0};
    double producer_frames_per_s{0.0};
    std::string data_source_name;
    std::string data_source_summary;
    std::uint32_t meta_version{0};
    std::map<std::uint32_t, ConsumerRow> consumers;
    std::uint64_t first_expire_check_ns{0}; ///< when expire() first saw a row with no timed message
};

class SupervisorTable {
public:
    /// `stale_after_ns`: rows older than this are marked stale (3 announce periods by default).
    explicit SupervisorTable(std::uint64_t stale_after_ns = 3'000'000'000ULL) : m_stale_ns(stale_after_ns) {}

    void on_announce(const control::PoolAnnounce& a, std::uint64_t now_ns);
    void on_qos_producer(const QosProducerInfo& q, std::uint64_t now_ns);
    void on_qos_consumer(const QosConsumerInfo& q, std::uint64_t now_ns);
    void on_data_source(std::uint32_t stream_id, std::uint32_t meta_version, const std::string& name,
                        const std::string& summary);
    /// Drops consumers and streams not heard from for `forget_after_ns`.
    void expire(std::uint64_t now_ns, std::uint64_t forget_after_ns);

    [[nodiscard]] auto streams() const noexcept -> const std::map<std::uint32_t, StreamRow>& { return m_streams; }
    [[nodiscard]] auto is_stale(const StreamRow& row, std::uint64_t now_ns) const noexcept -> bool {
        return now_ns - row.last_announce_ns > m_stale_ns;
    }

private:
    std::uint64_t m_stale_ns;
    std::map<std::uint32_t, StreamRow> m_streams;
};

} // namespace tp::client
