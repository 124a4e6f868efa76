// SPDX-License-Identifier: Apache-2.0
#include "client/consumer_registry.hpp"

#include <algorithm>

namespace tp::client {

using control::ConsumerConfig;
using control::ConsumerHello;

namespace {
constexpr std::uint64_t PROGRESS_MIN_INTERVAL_NS = 250'000; // D-28 floors
constexpr std::uint64_t PROGRESS_MIN_BYTES = 65'536;

auto same_request(const ConsumerHello& a, const ConsumerHello& b) -> bool {
    return a.descriptor_channel == b.descriptor_channel && a.descriptor_stream_id == b.descriptor_stream_id &&
           a.control_channel == b.control_channel && a.control_stream_id == b.control_stream_id;
}

auto fallback_counts(const std::string& uri) -> bool {
    // D-27: only aeron: and bridge:// schemes count.
    return uri.rfind("aeron:", 0) == 0 || uri.rfind("bridge://", 0) == 0;
}
} // namespace

auto is_full_request(const std::string& channel, std::uint32_t id) -> bool {
    return !channel.empty() && !control::is_none_stream_id(id);
}

auto is_half_assignment(const std::string& channel, std::uint32_t id) -> bool {
    return channel.empty() != control::is_none_stream_id(id);
}

ConsumerRegistry::ConsumerRegistry(std::uint32_t stream_id, PerConsumerSettings settings)
    : m_stream_id(stream_id), m_settings(std::move(settings)) {}

auto ConsumerRegistry::channel_supported(const std::string& channel) const -> bool {
    if (channel.rfind("aeron:ipc", 0) == 0) {
        return true;
    }
    return m_settings.allow_udp && channel.rfind("aeron:udp", 0) == 0;
}

auto ConsumerRegistry::id_taken(std::uint32_t id, bool descriptor, std::uint32_t except_consumer) const -> bool {
    for (const auto& [cid, e] : m_consumers) {
        if (cid == except_consumer) {
            continue;
        }
        for (const auto* cfg : {e.grant ? &*e.grant : nullptr, e.applied ? &*e.applied : nullptr}) {
            if (cfg != nullptr && (descriptor ? cfg->descriptor_stream_id : cfg->control_stream_id) == id) {
                return true;
            }
        }
    }
    return false;
}

auto ConsumerRegistry::pick_id(std::uint32_t requested, const common::IdRange& range, bool descriptor,
                               std::uint32_t consumer_id) const -> std::optional<std::uint32_t> {
    // D-26: the requested id if in the range and free, else the next free id in the range.
    if (range.contains(requested) && !id_taken(requested, descriptor, consumer_id)) {
        return requested;
    }
    for (std::uint64_t id = range.first; id <= range.last; ++id) {
        if (!id_taken(static_cast<std::uint32_t>(id), descriptor, consumer_id)) {
            return static_cast<std::uint32_t>(id);
        }
    }
    return std::nullopt;
}

auto ConsumerRegistry::make_grant(const ConsumerHello& hello, std::uint32_t consumer_id) const -> ConsumerConfig {
    ConsumerConfig cfg;
    cfg.stream_id = m_stream_id;
    cfg.consumer_id = consumer_id;
    cfg.use_shm = hello.supports_shm;
    cfg.mode = hello.mode;
    if (fallback_counts(m_settings.payload_fallback_uri)) {
        cfg.payload_fallback_uri = m_settings.payload_fallback_uri;
    }
    if (m_settings.always_decline) {
        return cfg; // declined: empty channels, ids 0
    }
    if (is_full_request(hello.descriptor_channel, hello.descriptor_stream_id) &&
        channel_supported(hello.descriptor_channel)) {
        if (auto id = pick_id(hello.descriptor_stream_id, m_settings.descriptor_range, true, consumer_id)) {
            cfg.descriptor_stream_id = *id;
            cfg.descriptor_channel = hello.descriptor_channel;
        }
    }
    if (is_full_request(hello.control_channel, hello.control_stream_id) && channel_supported(hello.control_channel)) {
        if (auto id = pick_id(hello.control_stream_id, m_settings.control_range, false, consumer_id)) {
            cfg.control_stream_id = *id;
            cfg.control_channel = hello.control_channel;
        }
    }
    return cfg;
}

auto ConsumerRegistry::on_hello(const ConsumerHello& hello, std::uint64_t now_ns) -> std::optional<ConsumerConfig> {
    if (hello.stream_id != m_stream_id) {
        return std::nullopt;
    }
    auto it = m_consumers.find(hello.consumer_id);
    const bool known = it != m_consumers.end();
    const bool changed = !known || it->second.fresh || !same_request(it->second.hello, hello);
    if (!known) {
        it = m_consumers.emplace(hello.consumer_id, ConsumerEntry{}).first;
        it->second.consumer_id = hello.consumer_id;
    }
    ConsumerEntry& e = it->second;
    e.last_seen_ns = now_ns;
    e.hello = hello;
    e.fresh = false;
    if (!changed) {
        return std::nullopt; // a grant stays fixed while the request is unchanged
    }
    e.awaiting_config = true;
    e.applied.reset();
    e.grant.reset(); // release ids held for the previous request before picking new ones
    e.grant = make_grant(hello, hello.consumer_id);
    return e.grant;
}

void ConsumerRegistry::on_config(const ConsumerConfig& config) {
    if (config.stream_id != m_stream_id) {
        return;
    }
    auto it = m_consumers.find(config.consumer_id);
    if (it == m_consumers.end() || !it->second.awaiting_config) {
        return; // later differing configs are ignored until the request changes again
    }
    if (is_half_assignment(config.descriptor_channel, config.descriptor_stream_id) ||
        is_half_assignment(config.control_channel, config.control_stream_id)) {
        return; // D-27: half assignments never count as the first ConsumerConfig
    }
    ConsumerConfig adopted = config;
    // D-26: never adopt an id already applied to another consumer of the stream: decline that kind.
    auto applied_elsewhere = [&](std::uint32_t id, bool descriptor) {
        return std::any_of(m_consumers.begin(), m_consumers.end(), [&](const auto& kv) {
            const auto& a = kv.second.applied;
            return kv.first != config.consumer_id && a &&
                   (descriptor ? a->descriptor_stream_id : a->control_stream_id) == id;
        });
    };
    if (!control::is_none_stream_id(adopted.descriptor_stream_id) &&
        applied_elsewhere(adopted.descriptor_stream_id, true)) {
        adopted.descriptor_stream_id = 0;
        adopted.descriptor_channel.clear();
    }
    if (!control::is_none_stream_id(adopted.control_stream_id) && applied_elsewhere(adopted.control_stream_id, false)) {
        adopted.control_stream_id = 0;
        adopted.control_channel.clear();
    }
    it->second.applied = adopted;
    it->second.awaiting_config = false;
}

void ConsumerRegistry::on_qos(std::uint32_t consumer_id, std::uint64_t now_ns) {
    if (auto it = m_consumers.find(consumer_id); it != m_consumers.end()) {
        it->second.last_seen_ns = now_ns;
    }
}

auto ConsumerRegistry::expire(std::uint64_t now_ns) -> std::vector<std::uint32_t> {
    std::vector<std::uint32_t> gone;
    for (auto it = m_consumers.begin(); it != m_consumers.end();) {
        if (now_ns - it->second.last_seen_ns > m_settings.liveness_ns) {
            gone.push_back(it->first);
            it = m_consumers.erase(it);
        } else {
            ++it;
        }
    }
    return gone;
}

void ConsumerRegistry::reset_epoch() {
    // The consumer re-sends an empty hello then its request after mapping the new epoch (D-26);
    // the next hello counts as changed whatever it carries.
    for (auto& [id, e] : m_consumers) {
        e.grant.reset();
        e.applied.reset();
        e.awaiting_config = false;
        e.fresh = true;
    }
}

auto ConsumerRegistry::progress_policy() const -> std::optional<ProgressPolicy> {
    std::optional<ProgressPolicy> policy;
    for (const auto& [id, e] : m_consumers) {
        if (!e.hello.supports_progress) {
            continue;
        }
        const std::uint64_t interval =
            e.hello.progress_interval_us ? *e.hello.progress_interval_us * 1000ULL : PROGRESS_MIN_INTERVAL_NS;
        const std::uint64_t bytes = e.hello.progress_bytes_delta ? *e.hello.progress_bytes_delta : PROGRESS_MIN_BYTES;
        const std::uint32_t major = e.hello.progress_major_delta_units.value_or(0);
        if (!policy) {
            policy = ProgressPolicy{interval, bytes, major};
        } else {
            policy->interval_ns = std::min(policy->interval_ns, interval);
            policy->bytes_delta = std::min(policy->bytes_delta, bytes);
            policy->major_delta_units = std::min(policy->major_delta_units, major);
        }
    }
    if (policy) {
        // D-28: smallest hinted values, floored at 250 us / 64 KiB.
        policy->interval_ns = std::max(policy->interval_ns, PROGRESS_MIN_INTERVAL_NS);
        policy->bytes_delta = std::max(policy->bytes_delta, PROGRESS_MIN_BYTES);
    }
    return policy;
}

} // namespace tp::client
