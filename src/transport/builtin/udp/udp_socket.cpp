// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/udp/udp_socket.hpp"

#include <cstdio>
#include <cstring>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

namespace tp::transport::udp {

auto SocketFd::operator=(SocketFd&& other) noexcept -> SocketFd& {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

SocketFd::~SocketFd() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

auto resolve_endpoint(const Endpoint& endpoint) -> Expected<SocketAddress> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* result = nullptr;
    const std::string port = std::to_string(endpoint.port);
    const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0 || result == nullptr) {
        return make_error(ErrorCode::InvalidArgument,
                          "cannot resolve endpoint '" + endpoint.to_string() + "': " + ::gai_strerror(rc));
    }
    SocketAddress address;
    std::memcpy(&address.storage, result->ai_addr, result->ai_addrlen);
    address.length = result->ai_addrlen;
    ::freeaddrinfo(result);
    bool multicast = false;
    if (address.family() == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
        multicast = (ntohl(in4->sin_addr.s_addr) & 0xF0000000U) == 0xE0000000U;
    } else if (address.family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
        multicast = in6->sin6_addr.s6_addr[0] == 0xFF;
    }
    if (multicast) {
        return make_error(ErrorCode::Unsupported,
                          "endpoint '" + endpoint.to_string() +
                              "' is a multicast address; the built-in UDP transport is unicast");
    }
    return address;
}

void format_address(const sockaddr* address, char* out, std::size_t capacity) noexcept {
    if (capacity == 0) {
        return;
    }
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (address->sa_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(address);
        ::inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
        port = ntohs(in4->sin_port);
        std::snprintf(out, capacity, "%s:%u", host, port);
    } else if (address->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        std::snprintf(out, capacity, "[%s]:%u", host, port);
    } else {
        std::snprintf(out, capacity, "unknown");
    }
}

auto apply_buffer_sizes(int fd, const ChannelUri& uri) -> Expected<void> {
    for (const auto& [key, option] : {std::pair{"so-sndbuf", SO_SNDBUF}, std::pair{"so-rcvbuf", SO_RCVBUF}}) {
        if (auto value = uri.get(key)) {
            auto size = parse_size(*value); // validated by ChannelUri::parse
            const int bytes = size ? static_cast<int>(*size) : 0;
            if (bytes > 0 && ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) != 0) {
                return make_errno_error(ErrorCode::IoError, std::string("cannot set ") + key);
            }
        }
    }
    return {};
}

} // namespace tp::transport::udp
