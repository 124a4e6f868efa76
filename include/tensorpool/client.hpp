// SPDX-License-Identifier: Apache-2.0
#pragma once

// Settings every client role shares: where the transport lives, which channels and stream ids the
// control plane uses, which directories regions may come from, and the protocol timings.
// Defaults match the other AeronTensorPool implementations.

#include <cstdint>
#include <string>
#include <vector>

namespace tp {

/// The default channel of every shared stream (all publishers of a stream use the same string).
inline constexpr const char* DEFAULT_CHANNEL = "aeron:ipc?term-length=4m";

/// Channels, stream ids, transport and timing shared by producers, consumers and services.
struct ClientContext {
    /// "builtin" (shared-memory IPC / UDP, nothing to install) or "aeron" (a media driver).
    std::string transport{"builtin"};
    /// Built-in transport directory; empty: $TP_TRANSPORT_DIR, else /dev/shm/tensorpool-<user>/transport.
    std::string transport_dir;
    /// Aeron media driver directory (transport "aeron"); empty: Aeron's default (AERON_DIR).
    std::string aeron_dir;
    /// Transport "aeron": run an embedded media driver in aeron_dir inside this client (single-
    /// process use; needs a build with the Aeron driver library).
    bool aeron_embedded_driver{false};

    std::string control_channel{DEFAULT_CHANNEL};
    std::int32_t control_stream_id{1000};
    std::string announce_channel{DEFAULT_CHANNEL};
    std::int32_t announce_stream_id{1000}; ///< = control unless the driver announces elsewhere
    std::string descriptor_channel{DEFAULT_CHANNEL};
    std::int32_t descriptor_stream_id{1100};
    std::string qos_channel{DEFAULT_CHANNEL};
    std::int32_t qos_stream_id{1200};
    std::string metadata_channel{DEFAULT_CHANNEL};
    std::int32_t metadata_stream_id{1300};

    /// Directories region files may live in (realpath'd; consumers refuse anything else).
    std::vector<std::string> allowed_base_dirs{"/dev/shm"};

    std::uint64_t announce_period_ns{1'000'000'000ULL}; ///< must equal the driver's policies.announce_period_ms
    std::uint64_t keepalive_interval_ns{1'000'000'000ULL};
    std::uint64_t attach_timeout_ns{5'000'000'000ULL};
    std::uint64_t attach_retry_ns{1'000'000'000ULL};
    std::uint64_t qos_interval_ns{1'000'000'000ULL};
    std::uint64_t hello_interval_ns{1'000'000'000ULL};

    /// Defaults overridden from the environment, for applications configured by their launcher:
    /// TP_TRANSPORT (builtin|aeron), TP_TRANSPORT_DIR, AERON_DIR, TP_CONTROL_CHANNEL,
    /// TP_CONTROL_STREAM_ID, TP_ANNOUNCE_STREAM_ID, TP_ALLOWED_BASE_DIRS (':'-separated) and
    /// TP_ANNOUNCE_PERIOD_MS (also sets the keepalive, hello and QoS intervals).
    [[nodiscard]] static auto from_environment() -> ClientContext;
};

} // namespace tp
