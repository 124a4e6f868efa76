// SPDX-License-Identifier: Apache-2.0
#include "client/supervisor_table.hpp"

namespace tp::client {

namespace {
auto rate(std::uint64_t prev_count, std::uint64_t count, std::uint64_t prev_ns, std::uint64_t now_ns) -> double {
    if (now_ns <= prev_ns || count < prev_count) {
        return 0.0;
    }
    return static_cast<double>(count - prev_count) * 1e9 / static_cast<double>(now_ns - prev_ns);
}
} // namespace

void SupervisorTable::on_announce(const control::PoolAnnounce& a, std::uint64_t now_ns) {
    auto& row = m_streams[a.stream_id];
    row.stream_id = a.stream_id;
    if (row.announces != 0 && a.epoch != row.announce.epoch) {
        ++row.epoch_changes;
    }
    row.announce = a;
    row.last_announce_ns = now_ns;
    ++row.announces;
}

void SupervisorTable::on_qos_producer(const QosProducerInfo& q, std::uint64_t now_ns) {
    auto& row = m_streams[q.stream_id];
    row.stream_id = q.stream_id;
    if (row.last_producer_qos_ns != 0 && row.producer.epoch == q.epoch) {
        row.producer_frames_per_s = rate(row.producer.current_seq, q.current_seq, row.last_producer_qos_ns, now_ns);
    } else {
        row.producer_frames_per_s = 0.0;
    }
    row.producer = q;
    row.last_producer_qos_ns = now_ns;
}

void SupervisorTable::on_qos_consumer(const QosConsumerInfo& q, std::uint64_t now_ns) {
    auto& row = m_streams[q.stream_id];
    row.stream_id = q.stream_id;
    auto& c = row.consumers[q.consumer_id];
    if (c.last_seen_ns != 0 && c.last.epoch == q.epoch) {
        c.frames_per_s = rate(c.last.last_seq_seen, q.last_seq_seen, c.last_seen_ns, now_ns);
    } else {
        c.frames_per_s = 0.0;
    }
    c.last = q;
    c.last_seen_ns = now_ns;
}

void SupervisorTable::on_data_source(std::uint32_t stream_id, std::uint32_t meta_version, const std::string& name,
                                     const std::string& summary) {
    auto& row = m_streams[stream_id];
    row.stream_id = stream_id;
    row.meta_version = meta_version;
    row.data_source_name = name;
    row.data_source_summary = summary;
}

void SupervisorTable::expire(std::uint64_t now_ns, std::uint64_t forget_after_ns) {
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        auto& row = it->second;
        for (auto c = row.consumers.begin(); c != row.consumers.end();) {
            c = (now_ns - c->second.last_seen_ns > forget_after_ns) ? row.consumers.erase(c) : std::next(c);
        }
        std::uint64_t last = std::max(row.last_announce_ns, row.last_producer_qos_ns);
        if (last == 0) {
            // Known only from metadata (no receive time): age it from the first check that saw it.
            if (row.first_expire_check_ns == 0) {
                row.first_expire_check_ns = now_ns;
            }
            last = row.first_expire_check_ns;
        }
        it = (now_ns - last > forget_after_ns && row.consumers.empty()) ? m_streams.erase(it) : std::next(it);
    }
}

} // namespace tp::client
