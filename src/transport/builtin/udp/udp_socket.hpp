// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tensorpool/channel_uri.hpp"
#include "tensorpool/error.hpp"

#include <string>

#include <sys/socket.h>

namespace tp::transport::udp {

/// A resolved socket address.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length{0};
    [[nodiscard]] auto family() const noexcept -> int { return storage.ss_family; }
    [[nodiscard]] auto get() const noexcept -> const sockaddr* { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// Resolves an endpoint (numeric or by name). Multicast addresses are Unsupported (unicast only).
[[nodiscard]] auto resolve_endpoint(const Endpoint& endpoint) -> Expected<SocketAddress>;

/// "address:port" of a socket address ("[address]:port" for IPv6) into `out` (NUL-terminated,
/// truncated to fit). No allocation.
void format_address(const sockaddr* address, char* out, std::size_t capacity) noexcept;

/// An owned socket descriptor.
class SocketFd {
public:
    SocketFd() = default;
    explicit SocketFd(int fd) noexcept : m_fd(fd) {}
    SocketFd(SocketFd&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    auto operator=(SocketFd&& other) noexcept -> SocketFd&;
    SocketFd(const SocketFd&) = delete;
    auto operator=(const SocketFd&) -> SocketFd& = delete;
    ~SocketFd();
    [[nodiscard]] auto get() const noexcept -> int { return m_fd; }

private:
    int m_fd{-1};
};

/// Applies `so-sndbuf` / `so-rcvbuf` from the channel, when present.
[[nodiscard]] auto apply_buffer_sizes(int fd, const ChannelUri& uri) -> Expected<void>;

} // namespace tp::transport::udp
