// SPDX-License-Identifier: Apache-2.0
#pragma once

// The contract every transport backend passes: a typed test suite over a backend traits type.
//
// A backend traits type provides:
//   static bool available();                          // false: every test is skipped
//   static std::string skip_reason();
//   static tp::transport::TransportConfig config(const std::string& dir);  // short liveness timeouts
//   static std::string ipc_channel(const std::string& term_length);        // e.g. "aeron:ipc?term-length=64k"
//   static constexpr bool reports_ipc_counters;       // counters().unblocked / rejoins are meaningful
//   static std::uint64_t publication_window(std::uint32_t term_length); // bytes a publisher may be
//                                                       // ahead of the slowest subscriber
//   static constexpr bool publications_share_a_session; // publications of one stream share a log and a
//                                                       // session id (Aeron) instead of one each
//   static std::string released_subscriber_channel(const std::string& term_length);
//       // the channel of a subscriber that stops holding publishers back when it stalls or dies
//       // (built-in: any; Aeron: an untethered subscription)
//
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, TransportContract, ::testing::Types<Traits>).

#include "transport_test_util.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <unistd.h>

namespace tp::transport::test {

using namespace std::chrono_literals;

template <typename Backend>
class TransportContract : public ::testing::Test {
protected:
    void SetUp() override {
        if (!Backend::available()) {
            GTEST_SKIP() << Backend::skip_reason();
        }
        m_dir = std::make_unique<tp::test::TempDir>("tp-transport-", "/dev/shm");
    }

    auto config() const -> TransportConfig { return Backend::config(m_dir->path()); }
    auto make_context() const -> TransportContext {
        auto ctx = TransportContext::create(config());
        if (!ctx) {
            ADD_FAILURE() << ctx.error().to_string();
            std::abort();
        }
        return std::move(*ctx);
    }
    static auto channel(const std::string& term = "64k") -> std::string { return Backend::ipc_channel(term); }
    auto marker(const std::string& name) const -> std::string { return m_dir->file(name); }

    std::unique_ptr<tp::test::TempDir> m_dir;
};

TYPED_TEST_SUITE_P(TransportContract);

TYPED_TEST_P(TransportContract, DeliversWholeMessagesInOrder) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel(), 1001);
    ASSERT_TRUE(sub) << sub.error().to_string();
    auto pub = ctx.add_publication(this->channel(), 1001);
    ASSERT_TRUE(pub) << pub.error().to_string();
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));

    constexpr std::uint64_t COUNT = 20'000;
    Collector collector;
    std::int64_t last_position = 0;
    std::uint64_t sent = 0;
    const auto deadline = deadline_in(20s);
    while (collector.received.size() < COUNT && std::chrono::steady_clock::now() < deadline) {
        if (sent < COUNT) {
            const auto message = make_message(7, sent, static_cast<std::size_t>(sent % 301));
            const std::int64_t rc = (*pub)->offer(message);
            if (rc > 0) {
                EXPECT_GT(rc, last_position);
                last_position = rc;
                ++sent;
            } else {
                ASSERT_TRUE(rc == BACK_PRESSURED || rc == ADMIN_ACTION) << to_string(to_offer_result(rc));
            }
        }
        (*sub)->poll(collector.handler(), 64);
    }
    ASSERT_EQ(collector.received.size(), COUNT);
    for (std::uint64_t i = 0; i < COUNT; ++i) {
        ASSERT_EQ(collector.received[i].seq, i);
        ASSERT_EQ(collector.received[i].length, MESSAGE_HEADER + i % 301) << "message " << i;
        ASSERT_TRUE(collector.received[i].intact) << "message " << i;
        ASSERT_EQ(collector.received[i].session_id, (*pub)->session_id());
        ASSERT_EQ(collector.received[i].stream_id, 1001);
    }
    EXPECT_EQ(collector.received.back().position, last_position);
    EXPECT_EQ((*pub)->counters().messages, COUNT);
    EXPECT_EQ((*sub)->counters().messages, COUNT);
}

TYPED_TEST_P(TransportContract, NotConnectedWithoutSubscriber) {
    auto ctx = this->make_context();
    auto pub = ctx.add_publication(this->channel(), 1002);
    ASSERT_TRUE(pub) << pub.error().to_string();
    const auto message = make_message(1, 0, 16);
    EXPECT_FALSE((*pub)->is_connected());
    EXPECT_EQ((*pub)->offer(message), NOT_CONNECTED);
    BufferClaim claim;
    EXPECT_EQ((*pub)->try_claim(16, claim), NOT_CONNECTED);
    EXPECT_FALSE(claim.is_active());
    {
        auto sub = ctx.add_subscription(this->channel(), 1002);
        ASSERT_TRUE(sub) << sub.error().to_string();
        ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
        EXPECT_GT((*pub)->offer(message), 0);
    }
    ASSERT_TRUE(wait_for([&] { return !(*pub)->is_connected(); }));
    ASSERT_TRUE(wait_for([&] { return (*pub)->offer(message) == NOT_CONNECTED; }));
    EXPECT_GE((*pub)->counters().not_connected, 2U);
}

TYPED_TEST_P(TransportContract, SeveralPublishersInSeveralProcessesKeepTheirOrder) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel("128k"), 1003);
    ASSERT_TRUE(sub) << sub.error().to_string();
    constexpr int PUBLISHERS = 3;
    constexpr std::uint64_t PER_PUBLISHER = 3000;
    const auto config = this->config();
    const auto channel = this->channel("128k");
    std::vector<tp::test::ChildProcess> children;
    for (int id = 0; id < PUBLISHERS; ++id) {
        children.push_back(tp::test::ChildProcess::fork_function([config, channel, id] {
            auto child_ctx = TransportContext::create(config);
            if (!child_ctx) {
                return 10;
            }
            auto pub = child_ctx->add_publication(channel, 1003);
            if (!pub) {
                return 11;
            }
            if (!wait_for([&] { return (*pub)->is_connected(); })) {
                return 12;
            }
            const auto deadline = deadline_in(20s);
            for (std::uint64_t seq = 0; seq < PER_PUBLISHER;) {
                const auto message = make_message(static_cast<std::uint32_t>(id), seq, 8 + seq % 200);
                const std::int64_t rc = (*pub)->offer(message);
                if (rc > 0) {
                    ++seq;
                } else if ((rc != BACK_PRESSURED && rc != ADMIN_ACTION) ||
                           std::chrono::steady_clock::now() > deadline) {
                    return 13;
                } else {
                    std::this_thread::yield();
                }
            }
            return 0;
        }));
    }
    Collector collector;
    const auto deadline = deadline_in(30s);
    while (collector.received.size() < PUBLISHERS * PER_PUBLISHER && std::chrono::steady_clock::now() < deadline) {
        if ((*sub)->poll(collector.handler(), 100) == 0) {
            std::this_thread::yield();
        }
    }
    for (auto& child : children) {
        const auto status = child.wait(20s);
        EXPECT_TRUE(status.ok()) << status.describe();
    }
    ASSERT_EQ(collector.received.size(), PUBLISHERS * PER_PUBLISHER);
    std::map<std::uint32_t, std::uint64_t> next;
    std::map<std::uint32_t, std::int32_t> session_of;
    for (const auto& m : collector.received) {
        ASSERT_TRUE(m.intact);
        ASSERT_EQ(m.seq, next[m.publisher]) << "publisher " << m.publisher << " out of order";
        ++next[m.publisher];
        auto [it, inserted] = session_of.emplace(m.publisher, m.session_id);
        ASSERT_EQ(it->second, m.session_id) << "one session per publication";
    }
    EXPECT_EQ(next.size(), static_cast<std::size_t>(PUBLISHERS));
    std::set<std::int32_t> sessions;
    for (const auto& [publisher, session] : session_of) {
        sessions.insert(session);
    }
    if constexpr (TypeParam::publications_share_a_session) {
        EXPECT_EQ(sessions.size(), 1U) << "one shared log per stream";
    } else {
        EXPECT_EQ(sessions.size(), static_cast<std::size_t>(PUBLISHERS)) << "distinct session ids";
    }
}

TYPED_TEST_P(TransportContract, LateJoinerStartsAtTheEnd) {
    auto ctx = this->make_context();
    auto early = ctx.add_subscription(this->channel(), 1004);
    auto pub = ctx.add_publication(this->channel(), 1004);
    ASSERT_TRUE(early && pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    Collector early_collector;
    ASSERT_TRUE(publish_and_drain(**pub, {early->get()}, {&early_collector}, 0, 100));

    auto late = ctx.add_subscription(this->channel(), 1004);
    ASSERT_TRUE(late) << late.error().to_string();
    Collector late_collector;
    EXPECT_EQ((*late)->poll(late_collector.handler(), 1000), 0) << "no replay of earlier messages";
    ASSERT_TRUE(publish_and_drain(**pub, {early->get(), late->get()}, {&early_collector, &late_collector}, 100, 50));
    ASSERT_EQ(late_collector.received.size(), 50U);
    EXPECT_EQ(late_collector.received.front().seq, 100U);
    EXPECT_EQ(late_collector.received.back().seq, 149U);
    ASSERT_EQ(early_collector.received.size(), 150U);
}

TYPED_TEST_P(TransportContract, FanOutToSeveralSubscribers) {
    auto ctx = this->make_context();
    std::vector<std::unique_ptr<Subscription>> subs;
    for (int i = 0; i < 3; ++i) {
        auto sub = ctx.add_subscription(this->channel(), 1005);
        ASSERT_TRUE(sub) << sub.error().to_string();
        subs.push_back(std::move(*sub));
    }
    auto pub = ctx.add_publication(this->channel(), 1005);
    ASSERT_TRUE(pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    Collector c0;
    Collector c1;
    Collector c2;
    ASSERT_TRUE(publish_and_drain(**pub, {subs[0].get(), subs[1].get(), subs[2].get()}, {&c0, &c1, &c2}, 0, 2000));
    for (const Collector* c : {&c0, &c1, &c2}) {
        ASSERT_EQ(c->received.size(), 2000U);
        EXPECT_EQ(c->received.back().seq, 1999U);
    }
}

TYPED_TEST_P(TransportContract, BackPressureThenRecovery) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel("64k"), 1006);
    auto pub = ctx.add_publication(this->channel("64k"), 1006);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    // Fill without reading: offer returns BACK_PRESSURED instead of overwriting or blocking.
    std::uint64_t sent = 0;
    std::int64_t rc = 0;
    while ((rc = (*pub)->offer(make_message(0, sent, 100))) > 0 || rc == ADMIN_ACTION) {
        sent += rc > 0 ? 1 : 0;
        ASSERT_LT(sent, 10'000U) << "never back-pressured";
    }
    ASSERT_EQ(rc, BACK_PRESSURED);
    // 100-byte messages take 160 bytes of log with their headers.
    EXPECT_GT(sent * 160U, TypeParam::publication_window(64U * 1024U) * 3U / 4U) << "most of the window was usable";
    EXPECT_EQ((*pub)->offer(make_message(0, sent, 100)), BACK_PRESSURED);
    EXPECT_GE((*pub)->counters().back_pressured, 2U);

    // Reading frees space; everything arrives, in order, nothing lost or overwritten.
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 1);
        return (*pub)->offer(make_message(0, sent, 100)) > 0;
    }));
    ++sent;
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 100);
        return collector.received.size() >= sent;
    }));
    ASSERT_EQ(collector.received.size(), sent);
    for (std::uint64_t i = 0; i < sent; ++i) {
        ASSERT_EQ(collector.received[i].seq, i);
        ASSERT_TRUE(collector.received[i].intact);
    }
}

/// A child subscriber that keeps its heartbeat (polls with limit 0) without reading until told
/// to stop polling altogether; then it stalls forever.
inline auto stalled_subscriber(const TransportConfig& config, const std::string& channel, std::int32_t stream,
                               const std::string& stop_marker) -> tp::test::ChildProcess {
    return tp::test::ChildProcess::fork_function([=] {
        auto ctx = TransportContext::create(config);
        if (!ctx) {
            return 10;
        }
        auto sub = ctx->add_subscription(channel, stream);
        if (!sub) {
            return 11;
        }
        Collector ignored;
        while (!std::filesystem::exists(stop_marker)) {
            (*sub)->poll(ignored.handler(), 0); // heartbeat only
            std::this_thread::sleep_for(1ms);
        }
        while (true) {
            ::pause();
        }
    });
}

TYPED_TEST_P(TransportContract, StalledSubscriberStopsHoldingPublishersBack) {
    auto ctx = this->make_context();
    auto pub = ctx.add_publication(this->channel("64k"), 1007);
    ASSERT_TRUE(pub);
    auto child =
        stalled_subscriber(this->config(), TypeParam::released_subscriber_channel("64k"), 1007, this->marker("stop"));
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    auto sub = ctx.add_subscription(this->channel("64k"), 1007);
    ASSERT_TRUE(sub);
    Collector collector;
    // The live local subscriber keeps up; the child reads nothing, so the log fills.
    std::uint64_t sent = 0;
    ASSERT_TRUE(wait_for([&] {
        const std::int64_t rc = (*pub)->offer(make_message(0, sent, 200));
        if (rc > 0) {
            ++sent;
        }
        (*sub)->poll(collector.handler(), 100);
        return rc == BACK_PRESSURED;
    }));
    // The child stops polling: after the liveness timeout it no longer holds the publisher back.
    std::ofstream(this->marker("stop")).put('x');
    ASSERT_TRUE(wait_for([&] {
        const std::int64_t rc = (*pub)->offer(make_message(0, sent, 200));
        if (rc > 0) {
            ++sent;
        }
        (*sub)->poll(collector.handler(), 100);
        return sent > 1000;
    })) << "publisher still held back after the liveness timeout";
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 100);
        return collector.received.size() >= sent;
    }));
    ASSERT_EQ(collector.received.size(), sent) << "the live subscriber lost nothing";
    for (std::uint64_t i = 0; i < sent; ++i) {
        ASSERT_EQ(collector.received[i].seq, i);
    }
    child.kill(SIGKILL);
}

TYPED_TEST_P(TransportContract, KilledSubscriberStopsHoldingPublishersBack) {
    auto ctx = this->make_context();
    auto pub = ctx.add_publication(this->channel("64k"), 1008);
    ASSERT_TRUE(pub);
    auto child =
        stalled_subscriber(this->config(), TypeParam::released_subscriber_channel("64k"), 1008, this->marker("never"));
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    std::uint64_t sent = 0;
    ASSERT_TRUE(wait_for([&] {
        const std::int64_t rc = (*pub)->offer(make_message(0, sent, 200));
        sent += rc > 0 ? 1 : 0;
        return rc == BACK_PRESSURED;
    }));
    child.kill(SIGKILL);
    child.wait(10s);
    // No subscriber is left: once the dead one is no longer counted, offers say NOT_CONNECTED.
    ASSERT_TRUE(wait_for([&] { return (*pub)->offer(make_message(0, sent, 200)) == NOT_CONNECTED; }));
    EXPECT_FALSE((*pub)->is_connected());
}

TYPED_TEST_P(TransportContract, PublisherKilledMidMessageDoesNotWedgeOthers) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel(), 1009);
    ASSERT_TRUE(sub);
    const auto config = this->config();
    const auto channel = this->channel();
    const auto claimed = this->marker("claimed");
    auto child = tp::test::ChildProcess::fork_function([=] {
        auto child_ctx = TransportContext::create(config);
        if (!child_ctx) {
            return 10;
        }
        auto pub = child_ctx->add_publication(channel, 1009);
        if (!pub || !wait_for([&] { return (*pub)->is_connected(); })) {
            return 11;
        }
        BufferClaim claim;
        if ((*pub)->try_claim(500, claim) <= 0) {
            return 12;
        }
        std::ofstream(claimed).put('x');
        while (true) {
            ::pause(); // killed here, claim never committed
        }
    });
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 10);
        return std::filesystem::exists(claimed);
    }));
    child.kill(SIGKILL);
    child.wait(10s);

    auto pub = ctx.add_publication(this->channel(), 1009);
    ASSERT_TRUE(pub);
    ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 200));
    ASSERT_EQ(collector.received.size(), 200U);
    EXPECT_EQ(collector.received.front().seq, 0U);
    EXPECT_EQ(collector.received.back().seq, 199U);
    if constexpr (TypeParam::reports_ipc_counters) {
        EXPECT_GE((*sub)->counters().unblocked, 1U);
    }
}

TYPED_TEST_P(TransportContract, MaximumMessageSize) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel("64k"), 1010);
    auto pub = ctx.add_publication(this->channel("64k"), 1010);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    const std::size_t max = (*pub)->max_message_length();
    EXPECT_EQ(max, 64U * 1024U / 8U);
    EXPECT_EQ((*pub)->offer(make_message(0, 0, max + 1 - MESSAGE_HEADER)), PUBLICATION_ERROR);
    BufferClaim too_big;
    EXPECT_EQ((*pub)->try_claim((*pub)->max_payload_length() + 1, too_big), PUBLICATION_ERROR);
    EXPECT_FALSE(too_big.is_active());

    Collector collector;
    ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 5, max - MESSAGE_HEADER));
    ASSERT_EQ(collector.received.size(), 5U);
    for (const auto& m : collector.received) {
        EXPECT_EQ(m.length, max);
        EXPECT_TRUE(m.intact);
    }
}

TYPED_TEST_P(TransportContract, LargestMessageOfTheDefaultTermLength) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel("4m"), 1011);
    auto pub = ctx.add_publication(this->channel("4m"), 1011);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    EXPECT_EQ((*pub)->max_message_length(), 512U * 1024U);
    Collector collector;
    ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 20, 512U * 1024U - MESSAGE_HEADER));
    ASSERT_EQ(collector.received.size(), 20U);
    EXPECT_TRUE(collector.received.back().intact);
    EXPECT_EQ(collector.received.back().length, 512U * 1024U);
}

TYPED_TEST_P(TransportContract, TryClaimCommitAndAbort) {
    auto ctx = this->make_context();
    auto sub = ctx.add_subscription(this->channel(), 1012);
    auto pub = ctx.add_publication(this->channel(), 1012);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
    auto claim_and_fill = [&](std::uint64_t seq, BufferClaim& claim) {
        const auto message = make_message(3, seq, 40);
        const std::int64_t rc = (*pub)->try_claim(message.size(), claim);
        ASSERT_GT(rc, 0);
        ASSERT_TRUE(claim.is_active());
        ASSERT_EQ(claim.buffer().size(), message.size());
        std::copy(message.begin(), message.end(), claim.buffer().begin());
    };
    {
        BufferClaim claim;
        claim_and_fill(0, claim);
        EXPECT_TRUE(claim.commit());
        EXPECT_FALSE(claim.is_active());
        EXPECT_FALSE(claim.commit()) << "a claim commits once";
    }
    {
        BufferClaim claim;
        claim_and_fill(1, claim);
        claim.abort();
    }
    {
        BufferClaim claim;
        claim_and_fill(2, claim); // destroyed while active: aborted
    }
    {
        BufferClaim claim;
        claim_and_fill(3, claim);
        BufferClaim moved = std::move(claim);
        EXPECT_FALSE(claim.is_active()); // NOLINT(bugprone-use-after-move): checking the moved-from state
        EXPECT_TRUE(moved.commit());
    }
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 10);
        return collector.received.size() >= 2;
    }));
    for (int i = 0; i < 20; ++i) {
        (*sub)->poll(collector.handler(), 10);
    }
    ASSERT_EQ(collector.received.size(), 2U);
    EXPECT_EQ(collector.received[0].seq, 0U);
    EXPECT_EQ(collector.received[1].seq, 3U);
    EXPECT_TRUE(collector.received[1].intact);
}

TYPED_TEST_P(TransportContract, ConnectionAndImageNotifications) {
    auto ctx = this->make_context();
    ImageLog images;
    auto sub = ctx.add_subscription(this->channel(), 1013, images.on_available(), images.on_unavailable());
    ASSERT_TRUE(sub);
    Collector collector;
    EXPECT_FALSE((*sub)->is_connected());
    EXPECT_EQ((*sub)->image_count(), 0);

    std::int32_t session = 0;
    {
        auto pub = ctx.add_publication(this->channel(), 1013);
        ASSERT_TRUE(pub);
        session = (*pub)->session_id();
        ASSERT_TRUE(wait_for([&] {
            (*sub)->poll(collector.handler(), 10);
            return images.available.size() == 1;
        }));
        EXPECT_EQ(images.available[0].session_id, session);
        EXPECT_EQ(images.available[0].stream_id, 1013);
        EXPECT_TRUE((*sub)->is_connected());
        EXPECT_EQ((*sub)->image_count(), 1);
        EXPECT_TRUE((*pub)->is_connected());
        ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 10));
    }
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 10);
        return images.unavailable.size() == 1;
    }));
    EXPECT_EQ(images.unavailable[0].session_id, session);
    EXPECT_EQ((*sub)->image_count(), 0);
    EXPECT_FALSE((*sub)->is_connected());

    // A publisher process that dies: its image goes after the publisher liveness timeout.
    const auto config = this->config();
    const auto channel = this->channel();
    auto child = tp::test::ChildProcess::fork_function([=] {
        auto child_ctx = TransportContext::create(config);
        if (!child_ctx) {
            return 10;
        }
        auto pub = child_ctx->add_publication(channel, 1013);
        if (!pub) {
            return 11;
        }
        while (true) {
            ::pause();
        }
    });
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 10);
        return images.available.size() == 2;
    }));
    EXPECT_NE(images.available[1].session_id, session);
    child.kill(SIGKILL);
    child.wait(10s);
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector.handler(), 10);
        return images.unavailable.size() == 2;
    }));
    EXPECT_EQ(images.unavailable[1].session_id, images.available[1].session_id);
    EXPECT_FALSE((*sub)->is_connected());
}

TYPED_TEST_P(TransportContract, MalformedChannelsAreRejected) {
    auto ctx = this->make_context();
    for (const char* bad : {"", "aeron:tcp?endpoint=a:1", "aeron:ipc?term-length=3m", "aeron:udp", "aeron:ipc?=x",
                            "ipc", "aeron:udp?endpoint=localhost:99999"}) {
        auto pub = ctx.add_publication(bad, 1014);
        ASSERT_FALSE(pub) << bad;
        EXPECT_EQ(pub.error().code, ErrorCode::ParseError) << bad;
        EXPECT_FALSE(pub.error().message.empty());
        auto sub = ctx.add_subscription(bad, 1014);
        ASSERT_FALSE(sub) << bad;
        EXPECT_EQ(sub.error().code, ErrorCode::ParseError) << bad;
    }
}

TYPED_TEST_P(TransportContract, TermLengthMustMatchTheExistingLog) {
    auto ctx = this->make_context();
    auto first = ctx.add_publication(this->channel("64k"), 1015);
    ASSERT_TRUE(first) << first.error().to_string();
    auto second = ctx.add_publication(this->channel("128k"), 1015);
    ASSERT_FALSE(second) << "D-01: a different explicit term-length is refused";
    EXPECT_NE(second.error().message.find("term-length"), std::string::npos) << second.error().message;
    auto same = ctx.add_publication(this->channel("64k"), 1015);
    EXPECT_TRUE(same) << same.error().to_string();
}

REGISTER_TYPED_TEST_SUITE_P(TransportContract, DeliversWholeMessagesInOrder, NotConnectedWithoutSubscriber,
                            SeveralPublishersInSeveralProcessesKeepTheirOrder, LateJoinerStartsAtTheEnd,
                            FanOutToSeveralSubscribers, BackPressureThenRecovery,
                            StalledSubscriberStopsHoldingPublishersBack, KilledSubscriberStopsHoldingPublishersBack,
                            PublisherKilledMidMessageDoesNotWedgeOthers, MaximumMessageSize,
                            LargestMessageOfTheDefaultTermLength, TryClaimCommitAndAbort,
                            ConnectionAndImageNotifications, MalformedChannelsAreRejected,
                            TermLengthMustMatchTheExistingLog);

} // namespace tp::transport::test
