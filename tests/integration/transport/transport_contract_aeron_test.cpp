// SPDX-License-Identifier: Apache-2.0
// The transport contract on the Aeron backend, through a real media driver (aeronmd) that this
// process starts in a temporary directory. Skipped when the build has no Aeron or no aeronmd.

#include "aeron_test_driver.hpp"
#include "transport_contract_suite.hpp"

namespace tp::transport::test {

struct AeronIpcBackend {
    static auto directory(std::string* why) -> std::string {
        if (!backend_available(TransportKind::Aeron)) {
            *why = "this build has no Aeron backend (configure with -DAERON_ROOT=<Aeron installation>)";
            return {};
        }
        return tp::test::shared_aeron_directory(why);
    }
    static auto available() -> bool {
        std::string why;
        return !directory(&why).empty();
    }
    static auto skip_reason() -> std::string {
        std::string why;
        (void)directory(&why);
        return why;
    }
    static auto config(const std::string& /*dir*/) -> TransportConfig {
        TransportConfig c;
        c.kind = TransportKind::Aeron;
        c.aeron_directory = tp::test::shared_aeron_directory();
        c.aeron_driver_timeout = std::chrono::seconds(5);
        return c;
    }
    static auto ipc_channel(const std::string& term_length) -> std::string {
        return "aeron:ipc?term-length=" + term_length;
    }
    // Aeron keeps a tethered subscriber's client alive while it stalls (its conductor thread
    // heartbeats); an untethered one is left behind after the driver's window-limit timeout.
    static auto released_subscriber_channel(const std::string& term_length) -> std::string {
        return ipc_channel(term_length) + "|tether=false";
    }
    static constexpr bool reports_ipc_counters = false;
    // Aeron's default IPC publication window is half a term.
    static auto publication_window(std::uint32_t term_length) -> std::uint64_t { return term_length / 2U; }
    static constexpr bool publications_share_a_session = true;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Aeron, TransportContract, ::testing::Types<AeronIpcBackend>);

// Backend specifics: connecting, the embedded media driver.

TEST(AeronBackend, NoMediaDriverIsATimeoutErrorNamingTheDirectory) {
    if (!backend_available(TransportKind::Aeron)) {
        GTEST_SKIP() << AeronIpcBackend::skip_reason();
    }
    const tp::test::TempDir dir("tp-no-aeronmd-", "/dev/shm");
    TransportConfig c;
    c.kind = TransportKind::Aeron;
    c.aeron_directory = dir.file("nobody-here");
    c.aeron_driver_timeout = std::chrono::milliseconds(300);
    auto ctx = TransportContext::create(c);
    ASSERT_FALSE(ctx);
    EXPECT_EQ(ctx.error().code, ErrorCode::Timeout) << ctx.error().to_string();
    EXPECT_NE(ctx.error().message.find(c.aeron_directory), std::string::npos) << ctx.error().message;
}

TEST(AeronBackend, ChannelsTheMediaDriverRefusesAreInvalidArguments) {
    std::string why;
    if (AeronIpcBackend::directory(&why).empty()) {
        GTEST_SKIP() << why;
    }
    auto ctx = TransportContext::create(AeronIpcBackend::config(""));
    ASSERT_TRUE(ctx) << ctx.error().to_string();
    // Valid for our parser (parameters we do not interpret pass through), refused by Aeron.
    auto sub = ctx->add_subscription("aeron:ipc?term-length=64k|tether=maybe", 2003);
    ASSERT_FALSE(sub);
    EXPECT_EQ(sub.error().code, ErrorCode::InvalidArgument) << sub.error().to_string();
    EXPECT_NE(sub.error().message.find("tether"), std::string::npos) << sub.error().message;
    auto pub = ctx->add_publication("aeron:ipc?term-length=64k|sparse=perhaps", 2003);
    ASSERT_FALSE(pub);
    EXPECT_EQ(pub.error().code, ErrorCode::InvalidArgument) << pub.error().to_string();
}

TEST(AeronBackend, EmbeddedMediaDriverServesThisAndOtherContexts) {
    if (!backend_available(TransportKind::Aeron) || !aeron_embedded_driver_available()) {
        GTEST_SKIP() << "this build has no Aeron driver library (libaeron_driver with aeronmd.h)";
    }
    const tp::test::TempDir dir("tp-embedded-", "/dev/shm");
    TransportConfig c;
    c.kind = TransportKind::Aeron;
    c.aeron_directory = dir.file("aeron");
    c.aeron_embedded_driver = true;
    c.aeron_driver_timeout = std::chrono::seconds(5);
    {
        auto host = TransportContext::create(c);
        ASSERT_TRUE(host) << host.error().to_string();
        EXPECT_TRUE(std::filesystem::exists(c.aeron_directory + "/cnc.dat"));

        // A second embedded driver cannot take a directory a live driver owns.
        auto rival = TransportContext::create(c);
        ASSERT_FALSE(rival);
        EXPECT_FALSE(rival.error().message.empty());

        // Another context (as another process would) connects to the embedded driver.
        TransportConfig guest_config = c;
        guest_config.aeron_embedded_driver = false;
        auto guest = TransportContext::create(guest_config);
        ASSERT_TRUE(guest) << guest.error().to_string();

        auto sub = host->add_subscription("aeron:ipc?term-length=64k", 2001);
        ASSERT_TRUE(sub) << sub.error().to_string();
        auto pub = guest->add_publication("aeron:ipc?term-length=64k", 2001);
        ASSERT_TRUE(pub) << pub.error().to_string();
        ASSERT_TRUE(wait_for([&] { return (*pub)->is_connected(); }));
        Collector collector;
        ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 500));
        ASSERT_EQ(collector.received.size(), 500U);
        EXPECT_EQ(collector.received.back().seq, 499U);
        EXPECT_TRUE(collector.received.back().intact);
    }
    // The driver stopped with its context and removed its directory.
    EXPECT_FALSE(std::filesystem::exists(c.aeron_directory + "/cnc.dat"));
}

TEST(AeronBackend, InvokerModeDeliversWithoutAConductorThread) {
    std::string why;
    const std::string aeron_dir = AeronIpcBackend::directory(&why);
    if (aeron_dir.empty()) {
        GTEST_SKIP() << why;
    }
    TransportConfig c = AeronIpcBackend::config("");
    c.use_conductor_thread = false;
    auto ctx = TransportContext::create(c);
    ASSERT_TRUE(ctx) << ctx.error().to_string();
    ImageLog images;
    auto sub = ctx->add_subscription("aeron:ipc?term-length=64k", 2002, images.on_available(), images.on_unavailable());
    ASSERT_TRUE(sub) << sub.error().to_string();
    auto pub = ctx->add_publication("aeron:ipc?term-length=64k", 2002);
    ASSERT_TRUE(pub) << pub.error().to_string();
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        ctx->do_work();
        (*sub)->poll(collector.handler(), 10);
        return (*pub)->is_connected() && images.available.size() == 1;
    }));
    EXPECT_EQ(images.available[0].session_id, (*pub)->session_id());
    EXPECT_EQ(images.available[0].source, "aeron:ipc");
    for (std::uint64_t seq = 0; seq < 50;) {
        ctx->do_work();
        if ((*pub)->offer(make_message(4, seq, 64)) > 0) {
            ++seq;
        }
    }
    ASSERT_TRUE(wait_for([&] {
        ctx->do_work();
        (*sub)->poll(collector.handler(), 10);
        return collector.received.size() == 50;
    }));
    EXPECT_EQ(collector.received.back().seq, 49U);
}

} // namespace tp::transport::test
