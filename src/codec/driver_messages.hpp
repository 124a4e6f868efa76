// SPDX-License-Identifier: Apache-2.0
#pragma once

// Driver control-plane messages (schema 901) as plain values, so that state machines on both
// sides (driver, driver client) are independent of encoding and transport and testable alone.
// Adapters decode into these; proxies encode from them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tp::driver {

/// Role of a lease (schema 901 Role).
enum class Role : std::uint8_t { Producer = 1, Consumer = 2 };
/// PublishMode; the wire null (255) means REQUIRE_EXISTING (D-35).
enum class PublishMode : std::uint8_t { RequireExisting = 1, ExistingOrCreate = 2 };
/// HugepagesPolicy.
enum class HugepagesPolicy : std::uint8_t { Unspecified = 0, Standard = 1, Hugepages = 2 };
/// ResponseCode.
enum class ResponseCode : std::int32_t { Ok = 0, Unsupported = 1, InvalidParams = 2, Rejected = 3, InternalError = 4 };
/// LeaseRevokeReason.
enum class RevokeReason : std::uint8_t { Detached = 1, Expired = 2, Revoked = 3 };
/// ShutdownReason.
enum class ShutdownReason : std::uint8_t { Normal = 0, Admin = 1, Error = 2 };

inline constexpr std::uint8_t PUBLISH_MODE_NULL = 255;
inline constexpr std::uint32_t LAYOUT_VERSION = 1;
inline constexpr std::uint16_t HEADER_SLOT_BYTES = 256;
inline constexpr std::size_t MAX_ERROR_MESSAGE_BYTES = 1024; // Driver §4.2

[[nodiscard]] constexpr auto to_string(ResponseCode c) noexcept -> const char* {
    switch (c) {
    case ResponseCode::Ok:
        return "OK";
    case ResponseCode::Unsupported:
        return "UNSUPPORTED";
    case ResponseCode::InvalidParams:
        return "INVALID_PARAMS";
    case ResponseCode::Rejected:
        return "REJECTED";
    case ResponseCode::InternalError:
        return "INTERNAL_ERROR";
    }
    return "UNKNOWN";
}

[[nodiscard]] constexpr auto to_string(Role r) noexcept -> const char* {
    return r == Role::Producer ? "PRODUCER" : r == Role::Consumer ? "CONSUMER" : "UNKNOWN";
}

/// ShmAttachRequest. Enum fields stay raw so unknown values can be answered with the right code.
struct AttachRequest {
    std::int64_t correlation_id{0};
    std::uint32_t stream_id{0};
    std::uint32_t client_id{0};
    std::uint8_t role{0};
    std::uint32_t expected_layout_version{0};
    std::uint8_t publish_mode{PUBLISH_MODE_NULL};
    std::uint8_t require_hugepages{0};
    std::optional<std::uint32_t> desired_node_id;
    std::uint16_t schema_version{1}; ///< from the message header (Driver §4.4a)
};

/// One payload pool of an attach response or announce.
struct PoolLayout {
    std::uint16_t pool_id{0};
    std::uint32_t pool_nslots{0};
    std::uint32_t stride_bytes{0};
    std::string region_uri;
};

/// The regions of one stream epoch.
struct StreamLayout {
    std::uint32_t stream_id{0};
    std::uint64_t epoch{0};
    std::uint32_t header_nslots{0};
    std::string header_region_uri;
    std::vector<PoolLayout> pools;
};

/// ShmAttachResponse.
struct AttachResponse {
    std::int64_t correlation_id{0};
    ResponseCode code{ResponseCode::Ok};
    std::optional<std::uint64_t> lease_id;
    std::optional<std::uint64_t> lease_expiry_timestamp_ns;
    std::optional<std::uint32_t> stream_id;
    std::optional<std::uint64_t> epoch;
    std::optional<std::uint32_t> layout_version;
    std::optional<std::uint32_t> header_nslots;
    std::optional<std::uint16_t> header_slot_bytes;
    std::optional<std::uint32_t> node_id;
    std::vector<PoolLayout> pools;
    std::string header_region_uri;
    std::string error_message;
};

/// ShmDetachRequest.
struct DetachRequest {
    std::int64_t correlation_id{0};
    std::uint64_t lease_id{0};
    std::uint32_t stream_id{0};
    std::uint32_t client_id{0};
    std::uint8_t role{0};
};

/// ShmDetachResponse.
struct DetachResponse {
    std::int64_t correlation_id{0};
    ResponseCode code{ResponseCode::Ok};
    std::string error_message;
};

/// ShmLeaseKeepalive.
struct Keepalive {
    std::uint64_t lease_id{0};
    std::uint32_t stream_id{0};
    std::uint32_t client_id{0};
    std::uint8_t role{0};
    std::uint64_t client_timestamp_ns{0};
};

/// ShmLeaseRevoked.
struct LeaseRevoked {
    std::uint64_t timestamp_ns{0};
    std::uint64_t lease_id{0};
    std::uint32_t stream_id{0};
    std::uint32_t client_id{0};
    Role role{Role::Consumer};
    RevokeReason reason{RevokeReason::Revoked};
    std::string error_message;
};

/// ShmPoolAnnounce as the driver sends it (clock domain MONOTONIC, layout version 1, D-32).
struct PoolAnnounce {
    StreamLayout layout;
    std::uint32_t producer_id{0};
    std::uint64_t announce_timestamp_ns{0};
};

/// ShmDriverShutdownRequest.
struct ShutdownRequest {
    std::int64_t correlation_id{0};
    std::uint8_t reason{0};
    std::string token;
    std::string error_message;
};

/// ShmDriverShutdown.
struct ShutdownNotice {
    std::uint64_t timestamp_ns{0};
    ShutdownReason reason{ShutdownReason::Normal};
    std::string error_message;
};

} // namespace tp::driver
