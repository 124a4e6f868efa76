// SPDX-License-Identifier: Apache-2.0
// The built-in UDP transport on loopback: delivery, limits, loss / reorder accounting, images.

#include "transport_test_util.hpp"

#include "transport/builtin/udp/udp_frame.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tp::transport::test {
namespace {

using namespace std::chrono_literals;

class UdpTransport : public ::testing::Test {
protected:
    void SetUp() override {
        TransportConfig c;
        c.directory = m_dir.path();
        c.publisher_liveness_timeout = 1000ms;
        auto ctx = TransportContext::create(c);
        ASSERT_TRUE(ctx) << ctx.error().to_string();
        m_ctx = std::make_unique<TransportContext>(std::move(*ctx));
    }

    auto subscribe(const std::string& params = "") -> std::unique_ptr<Subscription> {
        auto sub = m_ctx->add_subscription("aeron:udp?endpoint=127.0.0.1:0" + params, 3000, m_images.on_available(),
                                           m_images.on_unavailable());
        EXPECT_TRUE(sub) << sub.error().to_string();
        return sub ? std::move(*sub) : nullptr;
    }

    static auto port_of(const Subscription& sub) -> std::uint16_t {
        auto uri = ChannelUri::parse(sub.resolved_channel());
        EXPECT_TRUE(uri) << sub.resolved_channel();
        return uri ? uri->endpoint()->port : 0;
    }

    /// Sends raw bytes to the subscription's port from a plain socket.
    static void inject(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        ASSERT_GE(fd, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
                  static_cast<ssize_t>(bytes.size()));
        ::close(fd);
    }

    static auto datagram(std::uint8_t type, std::int32_t session, std::int32_t stream, std::uint64_t seq,
                         std::size_t payload = 24) -> std::vector<std::uint8_t> {
        std::vector<std::uint8_t> d(udp::DATAGRAM_HEADER_LENGTH + (type == udp::DATAGRAM_DATA ? payload : 0));
        udp::encode_header(d.data(),
                           udp::DatagramHeader{type, session, stream, seq, static_cast<std::int64_t>((seq + 1) * 64)});
        if (type == udp::DATAGRAM_DATA) {
            const auto m = make_message(9, seq, payload - MESSAGE_HEADER);
            std::copy(m.begin(), m.end(), d.begin() + udp::DATAGRAM_HEADER_LENGTH);
        }
        return d;
    }

    tp::test::TempDir m_dir{"tp-udp-", "/dev/shm"};
    std::unique_ptr<TransportContext> m_ctx;
    ImageLog m_images;
};

TEST_F(UdpTransport, DeliversInOrderOnLoopback) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    const std::uint16_t port = port_of(*sub);
    ASSERT_NE(port, 0);
    auto pub = m_ctx->add_publication("aeron:udp?endpoint=127.0.0.1:" + std::to_string(port), 3000);
    ASSERT_TRUE(pub) << pub.error().to_string();
    EXPECT_TRUE((*pub)->is_connected()) << "UDP publications report connected (no receiver feedback)";

    Collector collector;
    std::int64_t last = 0;
    constexpr std::uint64_t COUNT = 2000;
    for (std::uint64_t seq = 0; seq < COUNT; ++seq) {
        std::int64_t rc = 0;
        ASSERT_TRUE(wait_for([&] {
            rc = (*pub)->offer(make_message(1, seq, seq % 500));
            return rc != BACK_PRESSURED;
        }));
        ASSERT_GT(rc, last);
        last = rc;
        if (seq % 50 == 49) { // stay within the socket buffer: loopback drops nothing then
            ASSERT_TRUE(wait_for([&] {
                sub->poll(collector, 64);
                return collector.received.size() == seq + 1;
            }));
        }
    }
    ASSERT_EQ(collector.received.size(), COUNT);
    for (std::uint64_t i = 0; i < COUNT; ++i) {
        ASSERT_EQ(collector.received[i].seq, i);
        ASSERT_TRUE(collector.received[i].intact);
        ASSERT_EQ(collector.received[i].session_id, (*pub)->session_id());
        ASSERT_EQ(collector.received[i].stream_id, 3000);
    }
    EXPECT_EQ(collector.received.back().position, last);
    ASSERT_EQ(m_images.available.size(), 1U);
    EXPECT_EQ(m_images.available[0].session_id, (*pub)->session_id());
    EXPECT_EQ(m_images.available[0].source.rfind("127.0.0.1:", 0), 0U) << m_images.available[0].source;
    EXPECT_TRUE(sub->is_connected());
    const auto counters = sub->counters();
    EXPECT_EQ(counters.messages, COUNT);
    EXPECT_EQ(counters.gaps, 0U);
    EXPECT_EQ(counters.out_of_order, 0U);
    EXPECT_EQ(counters.malformed, 0U);
}

TEST_F(UdpTransport, MessageSizeIsBoundByTheMtu) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    const auto channel = "aeron:udp?endpoint=127.0.0.1:" + std::to_string(port_of(*sub)) + "|mtu=1408";
    auto pub = m_ctx->add_publication(channel, 3000);
    ASSERT_TRUE(pub);
    EXPECT_EQ((*pub)->max_message_length(), 1408U - 32U);
    EXPECT_EQ((*pub)->offer(make_message(0, 0, 1377 - MESSAGE_HEADER)), PUBLICATION_ERROR);
    ASSERT_GT((*pub)->offer(make_message(0, 0, 1376 - MESSAGE_HEADER)), 0);
    BufferClaim claim;
    ASSERT_GT((*pub)->try_claim(1376, claim), 0);
    const auto m = make_message(0, 1, 1376 - MESSAGE_HEADER);
    std::copy(m.begin(), m.end(), claim.buffer().begin());
    ASSERT_TRUE(claim.commit());
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return collector.received.size() == 2;
    }));
    EXPECT_EQ(collector.received[0].length, 1376U);
    EXPECT_TRUE(collector.received[1].intact);
    EXPECT_EQ(collector.received[1].seq, 1U);
}

TEST_F(UdpTransport, LossAndReorderAreDetectedAndCounted) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    const std::uint16_t port = port_of(*sub);
    constexpr std::int32_t SESSION = 77;
    // seq 0, 1, 3 (2 lost so far), 2 (late: dropped), 4, then a heartbeat announcing next = 7 (5, 6 lost).
    for (std::uint64_t seq : {0U, 1U, 3U, 2U, 4U}) {
        inject(port, datagram(udp::DATAGRAM_DATA, SESSION, 3000, seq));
    }
    inject(port, datagram(udp::DATAGRAM_HEARTBEAT, SESSION, 3000, 7));
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return sub->counters().gaps == 3;
    }));
    ASSERT_EQ(collector.received.size(), 4U);
    EXPECT_EQ(collector.received[0].seq, 0U);
    EXPECT_EQ(collector.received[1].seq, 1U);
    EXPECT_EQ(collector.received[2].seq, 3U);
    EXPECT_EQ(collector.received[3].seq, 4U);
    const auto counters = sub->counters();
    EXPECT_EQ(counters.gaps, 3U) << "seq 2 skipped, then 5 and 6 announced by the heartbeat";
    EXPECT_EQ(counters.out_of_order, 1U) << "seq 2 arrived after 3";
    EXPECT_EQ(counters.messages, 4U);
    EXPECT_EQ(counters.malformed, 0U);
    // The next in-order message after the heartbeat is 7.
    inject(port, datagram(udp::DATAGRAM_DATA, SESSION, 3000, 7));
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return collector.received.size() == 5;
    }));
    EXPECT_EQ(sub->counters().gaps, 3U);
}

TEST_F(UdpTransport, MalformedDatagramsAreCountedNotDelivered) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    const std::uint16_t port = port_of(*sub);
    auto bad_magic = datagram(udp::DATAGRAM_DATA, 5, 3000, 0);
    bad_magic[0] ^= 0xFF;
    auto bad_type = datagram(udp::DATAGRAM_DATA, 5, 3000, 0);
    bad_type[udp::TYPE_OFFSET] = 9;
    auto heartbeat_with_payload = datagram(udp::DATAGRAM_DATA, 5, 3000, 0);
    heartbeat_with_payload[udp::TYPE_OFFSET] = udp::DATAGRAM_HEARTBEAT;
    inject(port, std::vector<std::uint8_t>(10, 0xAB)); // too short
    inject(port, bad_magic);
    inject(port, bad_type);
    inject(port, heartbeat_with_payload);
    inject(port, datagram(udp::DATAGRAM_DATA, 5, 4000, 0)); // another stream
    inject(port, datagram(udp::DATAGRAM_DATA, 5, 3000, 0)); // a good one last
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return collector.received.size() == 1;
    }));
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return sub->counters().malformed == 5;
    }));
    EXPECT_EQ(collector.received.size(), 1U);
    EXPECT_TRUE(collector.received[0].intact);
}

TEST_F(UdpTransport, HeartbeatsKeepAnIdleImageAndCloseEndsIt) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    Collector collector;
    std::int32_t session = 0;
    {
        auto pub = m_ctx->add_publication("aeron:udp?endpoint=127.0.0.1:" + std::to_string(port_of(*sub)), 3000);
        ASSERT_TRUE(pub);
        session = (*pub)->session_id();
        // No message is sent: the conductor's heartbeats announce the session.
        ASSERT_TRUE(wait_for([&] {
            sub->poll(collector, 10);
            return sub->image_count() == 1;
        }));
        EXPECT_EQ(m_images.available.at(0).session_id, session);
        // Idle for two and a half liveness timeouts: heartbeats keep the image.
        const auto until = deadline_in(2500ms);
        while (std::chrono::steady_clock::now() < until) {
            sub->poll(collector, 10);
            ASSERT_EQ(sub->image_count(), 1) << "image lost while the publication was alive";
            std::this_thread::sleep_for(1ms);
        }
        EXPECT_TRUE(sub->is_connected());
    }
    ASSERT_TRUE(wait_for([&] {
        sub->poll(collector, 10);
        return sub->image_count() == 0;
    }));
    ASSERT_EQ(m_images.unavailable.size(), 1U);
    EXPECT_EQ(m_images.unavailable[0].session_id, session);
    EXPECT_FALSE(sub->is_connected());
    EXPECT_TRUE(collector.received.empty());
}

TEST_F(UdpTransport, SubscriptionsOfAContextShareAnEndpoint) {
    auto a = subscribe(); // stream 3000, binds a free port
    ASSERT_TRUE(a);
    const std::string endpoint = "aeron:udp?endpoint=127.0.0.1:" + std::to_string(port_of(*a));
    auto b = m_ctx->add_subscription(endpoint, 3001);
    ASSERT_TRUE(b) << b.error().to_string();
    auto c = m_ctx->add_subscription(endpoint, 3000); // a second subscription of stream 3000
    ASSERT_TRUE(c) << c.error().to_string();
    auto pub0 = m_ctx->add_publication(endpoint, 3000);
    auto pub1 = m_ctx->add_publication(endpoint, 3001);
    ASSERT_TRUE(pub0 && pub1);
    constexpr std::uint64_t COUNT = 100;
    for (std::uint64_t seq = 0; seq < COUNT; ++seq) {
        ASSERT_GT((*pub0)->offer(make_message(0, seq, 40)), 0);
        ASSERT_GT((*pub1)->offer(make_message(1, seq, 40)), 0);
    }
    // Only b polls at first: it drains the socket and queues stream 3000 for a and c.
    Collector cb;
    ASSERT_TRUE(wait_for([&] {
        (*b)->poll(cb, 10);
        return cb.received.size() == COUNT;
    }));
    Collector ca;
    Collector cc;
    ASSERT_TRUE(wait_for([&] {
        a->poll(ca, 10);
        (*c)->poll(cc, 10);
        return ca.received.size() == COUNT && cc.received.size() == COUNT;
    }));
    for (std::uint64_t i = 0; i < COUNT; ++i) {
        ASSERT_EQ(cb.received[i].publisher, 1U);
        ASSERT_EQ(cb.received[i].seq, i);
        ASSERT_EQ(ca.received[i].publisher, 0U);
        ASSERT_EQ(ca.received[i].seq, i);
        ASSERT_EQ(cc.received[i].seq, i);
        ASSERT_TRUE(ca.received[i].intact && cb.received[i].intact && cc.received[i].intact);
    }
    for (const Subscription* s : {a.get(), b->get(), c->get()}) {
        EXPECT_EQ(s->counters().gaps, 0U);
        EXPECT_EQ(s->counters().malformed, 0U);
    }
}

TEST_F(UdpTransport, AnotherContextCannotBindTheSameEndpoint) {
    auto sub = subscribe();
    ASSERT_TRUE(sub);
    TransportConfig c;
    c.directory = m_dir.path();
    auto other = TransportContext::create(c);
    ASSERT_TRUE(other);
    auto second = other->add_subscription("aeron:udp?endpoint=127.0.0.1:" + std::to_string(port_of(*sub)), 3000);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().to_string();
}

TEST_F(UdpTransport, UnsupportedAndInvalidEndpoints) {
    auto multicast = m_ctx->add_subscription("aeron:udp?endpoint=239.1.2.3:40456", 3000);
    ASSERT_FALSE(multicast);
    EXPECT_EQ(multicast.error().code, ErrorCode::Unsupported);
    auto port_zero = m_ctx->add_publication("aeron:udp?endpoint=127.0.0.1:0", 3000);
    ASSERT_FALSE(port_zero);
    EXPECT_EQ(port_zero.error().code, ErrorCode::InvalidArgument);
    auto mdc = m_ctx->add_publication("aeron:udp?endpoint=127.0.0.1:40000|control-mode=dynamic", 3000);
    ASSERT_FALSE(mdc);
    EXPECT_EQ(mdc.error().code, ErrorCode::Unsupported);
    auto unresolvable = m_ctx->add_publication("aeron:udp?endpoint=no-such-host.invalid:40000", 3000);
    ASSERT_FALSE(unresolvable);
}

} // namespace
} // namespace tp::transport::test
