// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers for transport tests: self-checking messages, a collecting handler, deadline waits.

#include "tensorpool/transport.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace tp::transport::test {

/// A test message: publisher id (u32), sequence (u64), filler length (u32), then filler bytes that
/// are a function of (publisher, sequence, index), so a torn or misplaced copy is detected.
inline constexpr std::size_t MESSAGE_HEADER = 16;

[[nodiscard]] inline auto filler_byte(std::uint32_t publisher, std::uint64_t seq, std::size_t i) -> std::uint8_t {
    return static_cast<std::uint8_t>((seq * 31U + i * 7U + publisher * 13U) & 0xFFU);
}

[[nodiscard]] inline auto make_message(std::uint32_t publisher, std::uint64_t seq, std::size_t filler)
    -> std::vector<std::uint8_t> {
    std::vector<std::uint8_t> m(MESSAGE_HEADER + filler);
    const auto filler32 = static_cast<std::uint32_t>(filler);
    std::memcpy(m.data(), &publisher, 4);
    std::memcpy(m.data() + 4, &seq, 8);
    std::memcpy(m.data() + 12, &filler32, 4);
    for (std::size_t i = 0; i < filler; ++i) {
        m[MESSAGE_HEADER + i] = filler_byte(publisher, seq, i);
    }
    return m;
}

/// What a handler saw of one message.
struct Received {
    std::uint32_t publisher{0};
    std::uint64_t seq{0};
    std::size_t length{0};
    bool intact{false};
    std::int32_t session_id{0};
    std::int32_t stream_id{0};
    std::int64_t position{0};
};

[[nodiscard]] inline auto decode_message(std::span<const std::uint8_t> bytes, const MessageHeader& header) -> Received {
    Received r;
    r.length = bytes.size();
    r.session_id = header.session_id;
    r.stream_id = header.stream_id;
    r.position = header.position;
    if (bytes.size() < MESSAGE_HEADER) {
        return r;
    }
    std::uint32_t filler = 0;
    std::memcpy(&r.publisher, bytes.data(), 4);
    std::memcpy(&r.seq, bytes.data() + 4, 8);
    std::memcpy(&filler, bytes.data() + 12, 4);
    r.intact = bytes.size() == MESSAGE_HEADER + filler;
    for (std::size_t i = 0; r.intact && i < filler; ++i) {
        r.intact = bytes[MESSAGE_HEADER + i] == filler_byte(r.publisher, r.seq, i);
    }
    return r;
}

/// A fragment handler that records every message.
struct Collector {
    std::vector<Received> received;
    void operator()(std::span<const std::uint8_t> bytes, const MessageHeader& header) {
        received.push_back(decode_message(bytes, header));
    }
    auto handler() -> Collector& { return *this; }
};

/// Image events, copied out of the callbacks.
struct ImageEvent {
    std::int32_t session_id{0};
    std::int32_t stream_id{0};
    std::int64_t join_position{0};
    std::string source;
};

struct ImageLog {
    std::vector<ImageEvent> available;
    std::vector<ImageEvent> unavailable;
    static auto copy(const ImageInfo& i) -> ImageEvent {
        return ImageEvent{i.session_id, i.stream_id, i.join_position, std::string(i.source_identity)};
    }
    auto on_available() -> ImageHandler {
        return [this](const ImageInfo& i) { available.push_back(copy(i)); };
    }
    auto on_unavailable() -> ImageHandler {
        return [this](const ImageInfo& i) { unavailable.push_back(copy(i)); };
    }
};

[[nodiscard]] inline auto deadline_in(std::chrono::milliseconds d) -> std::chrono::steady_clock::time_point {
    return std::chrono::steady_clock::now() + d;
}

/// Calls pred until it returns true or the deadline passes; yields between calls.
template <typename Pred>
[[nodiscard]] auto wait_for(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) -> bool {
    const auto deadline = deadline_in(timeout);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return pred();
        }
        std::this_thread::yield();
    }
    return true;
}

/// Publishes `count` messages (sequences first_seq..) with `filler` bytes, polling the
/// subscriptions meanwhile, until each collector has received them all. False on a deadline or
/// an offer error other than back-pressure.
[[nodiscard]] inline auto publish_and_drain(Publication& pub, std::initializer_list<Subscription*> subs,
                                            std::initializer_list<Collector*> collectors, std::uint64_t first_seq,
                                            std::uint64_t count, std::size_t filler = 64) -> bool {
    std::vector<std::size_t> targets;
    for (Collector* c : collectors) {
        targets.push_back(c->received.size() + count);
    }
    const auto deadline = deadline_in(std::chrono::seconds(20));
    std::uint64_t sent = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (sent < count) {
            const std::int64_t rc = pub.offer(make_message(0, first_seq + sent, filler));
            if (rc > 0) {
                ++sent;
            } else if (rc != BACK_PRESSURED && rc != ADMIN_ACTION) {
                return false;
            }
        }
        bool done = sent == count;
        std::size_t i = 0;
        auto sub_it = subs.begin();
        for (Collector* c : collectors) {
            (*sub_it)->poll(*c, 64);
            done = done && c->received.size() >= targets[i];
            ++sub_it;
            ++i;
        }
        if (done) {
            return true;
        }
    }
    return false;
}

} // namespace tp::transport::test
