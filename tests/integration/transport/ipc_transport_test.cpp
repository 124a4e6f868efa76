// SPDX-License-Identifier: Apache-2.0
// Behaviour specific to the built-in IPC log: files, permissions, stale cleanup, recovery paths.

#include "transport_test_util.hpp"

#include "transport/builtin/ipc/ipc_log.hpp"
#include "transport/transport_paths.hpp"

#include "concurrent/atomic_ops.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

namespace tp::transport::test {
namespace {

using namespace std::chrono_literals;

class IpcTransport : public ::testing::Test {
protected:
    auto config() const -> TransportConfig {
        TransportConfig c;
        c.directory = m_dir.path();
        c.subscriber_liveness_timeout = 1000ms;
        c.publisher_liveness_timeout = 1000ms;
        c.unblock_timeout = 500ms;
        return c;
    }
    auto make_context(TransportConfig c) -> TransportContext {
        auto ctx = TransportContext::create(std::move(c));
        EXPECT_TRUE(ctx) << ctx.error().to_string();
        return std::move(*ctx);
    }

    tp::test::TempDir m_dir{"tp-ipc-", "/dev/shm"};
};

TEST_F(IpcTransport, LogFileHasRestrictiveModeAndGoesWithItsLastUser) {
    auto ctx = make_context(config());
    const auto path = ipc::IpcLog::log_path(m_dir.path(), 2001);
    {
        auto pub = ctx.add_publication("aeron:ipc?term-length=64k", 2001);
        ASSERT_TRUE(pub);
        auto sub = ctx.add_subscription("aeron:ipc", 2001);
        ASSERT_TRUE(sub);
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777U, 0660U);
        EXPECT_EQ(st.st_mode & 0007U, 0U);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(IpcTransport, ConfigurationIsValidated) {
    auto c = config();
    c.file_mode = 0666;
    auto bad_mode = TransportContext::create(c);
    ASSERT_FALSE(bad_mode);
    EXPECT_EQ(bad_mode.error().code, ErrorCode::InvalidConfig);
    c = config();
    c.default_term_length = 3 * 1024 * 1024;
    EXPECT_FALSE(TransportContext::create(c));
    c = config();
    c.subscriber_liveness_timeout = 0ms;
    EXPECT_FALSE(TransportContext::create(c));
    c = config();
    c.aeron_driver_timeout = 0ms;
    EXPECT_FALSE(TransportContext::create(c));
    if (!backend_available(TransportKind::Aeron)) {
        c = config();
        c.kind = TransportKind::Aeron;
        auto aeron = TransportContext::create(c);
        ASSERT_FALSE(aeron);
        EXPECT_EQ(aeron.error().code, ErrorCode::Unsupported);
        EXPECT_NE(aeron.error().message.find("AERON_ROOT"), std::string::npos) << aeron.error().message;
    }
    EXPECT_EQ(*parse_transport_kind("builtin"), TransportKind::Builtin);
    EXPECT_EQ(*parse_transport_kind("aeron"), TransportKind::Aeron);
    EXPECT_FALSE(parse_transport_kind("zeromq"));
}

TEST_F(IpcTransport, DefaultDirectoryUsesTheSanitisedUser) {
    const std::string dir = default_transport_directory();
    EXPECT_EQ(dir.rfind("/dev/shm/tensorpool-", 0), 0U) << dir;
    EXPECT_TRUE(dir.ends_with("/transport")) << dir;
    EXPECT_EQ(dir, "/dev/shm/tensorpool-" + sanitized_user_name() + "/transport");
    EXPECT_EQ(sanitize_path_component("a b/c.d-e_f$"), "a_b_c.d-e_f_");
}

TEST_F(IpcTransport, DirectoryIsCreatedWithGroupAccess) {
    auto c = config();
    c.directory = m_dir.file("nested/transport");
    auto ctx = make_context(c);
    struct stat st {};
    ASSERT_EQ(::stat(c.directory.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777U, 0770U);
}

TEST_F(IpcTransport, StaleLogsAreRemovedWhenAContextStarts) {
    const auto path = ipc::IpcLog::log_path(m_dir.path(), 2002);
    const auto c = config();
    auto child = tp::test::ChildProcess::fork_function([c] {
        auto ctx = TransportContext::create(c);
        if (!ctx) {
            return 1;
        }
        auto pub = ctx->add_publication("aeron:ipc", 2002);
        if (!pub) {
            return 2;
        }
        ::_exit(0); // no destructors: the log stays behind
    });
    ASSERT_TRUE(child.wait(10s).ok());
    ASSERT_TRUE(std::filesystem::exists(path));
    auto ctx = make_context(config());
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(IpcTransport, ClaimThatWasNeverStampedIsSkipped) {
    auto ctx = make_context(config());
    auto sub = ctx.add_subscription("aeron:ipc?term-length=64k", 2003);
    auto pub = ctx.add_publication("aeron:ipc?term-length=64k", 2003);
    ASSERT_TRUE(sub && pub);
    Collector collector;
    ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 0, 10));
    // A publisher that died right after moving the tail, before writing anything.
    ipc::IpcLogOptions o;
    o.directory = m_dir.path();
    o.stream_id = 2003;
    o.term_length = 64 * 1024;
    auto log = ipc::IpcLog::open(o);
    ASSERT_TRUE(log);
    std::int64_t tail = concurrent::load_acquire(log->tail());
    ASSERT_TRUE(concurrent::compare_exchange_acq_rel(log->tail(), tail, tail + 96));

    ASSERT_TRUE(publish_and_drain(**pub, {sub->get()}, {&collector}, 10, 20));
    ASSERT_EQ(collector.received.size(), 30U);
    for (std::uint64_t i = 0; i < 30; ++i) {
        EXPECT_EQ(collector.received[i].seq, i);
        EXPECT_TRUE(collector.received[i].intact);
    }
    EXPECT_GE((*sub)->counters().unblocked, 1U);
}

TEST_F(IpcTransport, StalledSubscriberRestartsAtTheEndInsteadOfReadingOverwrittenFrames) {
    auto ctx = make_context(config());
    ImageLog images;
    auto stalled =
        ctx.add_subscription("aeron:ipc?term-length=64k", 2004, images.on_available(), images.on_unavailable());
    auto live = ctx.add_subscription("aeron:ipc?term-length=64k", 2004);
    auto pub = ctx.add_publication("aeron:ipc?term-length=64k", 2004);
    ASSERT_TRUE(stalled && live && pub);
    Collector stalled_collector;
    Collector live_collector;
    ASSERT_TRUE(publish_and_drain(**pub, {stalled->get(), live->get()}, {&stalled_collector, &live_collector}, 0, 10));
    ASSERT_EQ(images.available.size(), 1U);

    // `stalled` stops polling; the publisher is held back until it stops counting it, then laps it.
    std::uint64_t seq = 10;
    std::uint64_t bytes = 0;
    ASSERT_TRUE(wait_for([&] {
        const auto message = make_message(0, seq, 200);
        if ((*pub)->offer(message) > 0) {
            ++seq;
            bytes += message.size();
        }
        (*live)->poll(live_collector, 64);
        return bytes > 2 * 64 * 1024;
    }));
    (*stalled)->poll(stalled_collector, 1000);
    EXPECT_EQ(stalled_collector.received.size(), 10U) << "nothing from the lapped region is delivered";
    const auto counters = (*stalled)->counters();
    EXPECT_EQ(counters.rejoins, 1U);
    EXPECT_GT(counters.skipped_bytes, 64U * 1024U);
    EXPECT_EQ(images.unavailable.size(), 1U) << "the discontinuity is announced";
    EXPECT_EQ(images.available.size(), 2U);

    // From the new position on it receives everything again.
    ASSERT_TRUE(
        publish_and_drain(**pub, {stalled->get(), live->get()}, {&stalled_collector, &live_collector}, seq, 20));
    ASSERT_EQ(stalled_collector.received.size(), 30U);
    EXPECT_EQ(stalled_collector.received.back().seq, seq + 19);
    EXPECT_TRUE(stalled_collector.received.back().intact);
    EXPECT_EQ(live_collector.received.size(), seq + 20);
}

TEST_F(IpcTransport, InvokerModeKeepsImagesOnlyWhileDoWorkRuns) {
    auto c = config();
    c.use_conductor_thread = false;
    auto ctx = make_context(c);
    auto sub = ctx.add_subscription("aeron:ipc", 2005);
    auto pub = ctx.add_publication("aeron:ipc", 2005);
    ASSERT_TRUE(sub && pub);
    Collector collector;
    ASSERT_TRUE(wait_for([&] {
        ctx.do_work();
        (*sub)->poll(collector, 10);
        return (*sub)->image_count() == 1;
    }));
    const auto until = deadline_in(2500ms);
    while (std::chrono::steady_clock::now() < until) {
        ctx.do_work();
        (*sub)->poll(collector, 10);
        ASSERT_EQ((*sub)->image_count(), 1) << "heartbeats from do_work keep the publisher alive";
        std::this_thread::sleep_for(1ms);
    }
    // Without do_work the publication's heartbeat stops and its image goes.
    ASSERT_TRUE(wait_for([&] {
        (*sub)->poll(collector, 10);
        return (*sub)->image_count() == 0;
    }));
}

TEST_F(IpcTransport, SubscriberSlotsRunOutWithAClearError) {
    auto ctx = make_context(config());
    std::vector<std::unique_ptr<Subscription>> subs;
    for (std::uint32_t i = 0; i < ipc::SUB_SLOT_COUNT; ++i) {
        auto sub = ctx.add_subscription("aeron:ipc?term-length=64k", 2006);
        ASSERT_TRUE(sub) << i << ": " << sub.error().to_string();
        subs.push_back(std::move(*sub));
    }
    auto one_more = ctx.add_subscription("aeron:ipc?term-length=64k", 2006);
    ASSERT_FALSE(one_more);
    EXPECT_EQ(one_more.error().code, ErrorCode::State);
    EXPECT_NE(one_more.error().message.find("subscriber slots"), std::string::npos);
    subs.pop_back();
    EXPECT_TRUE(ctx.add_subscription("aeron:ipc?term-length=64k", 2006));
}

} // namespace
} // namespace tp::transport::test
