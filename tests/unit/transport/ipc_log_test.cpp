// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_log.hpp"

#include "process_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

namespace tp::transport::ipc {
namespace {

using namespace std::chrono_literals;

auto options(const std::string& dir, std::int32_t stream, std::uint32_t term = 64 * 1024) -> IpcLogOptions {
    IpcLogOptions o;
    o.directory = dir;
    o.stream_id = stream;
    o.term_length = term;
    o.file_mode = 0660;
    return o;
}

TEST(IpcLog, CreatesAFullyInitialisedLogWithRestrictivePermissions) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    auto log = IpcLog::open(options(dir.path(), 7));
    ASSERT_TRUE(log) << log.error().to_string();
    struct stat st {};
    ASSERT_EQ(::stat(IpcLog::log_path(dir.path(), 7).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777U, 0660U);
    EXPECT_EQ(static_cast<std::size_t>(st.st_size), METADATA_LENGTH + 64U * 1024U);
    EXPECT_EQ(log->term_length(), 64U * 1024U);
    EXPECT_EQ(log->stamp_key() & STAMP_STATE_MASK, 0U);
    EXPECT_EQ(*field<std::uint64_t>(log->base(), MAGIC_OFFSET), LOG_MAGIC);
    EXPECT_EQ(*field<std::int32_t>(log->base(), STREAM_ID_OFFSET), 7);
    EXPECT_EQ(*log->tail(), 0);
    // No temporary file is left behind.
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1);
}

TEST(IpcLog, SecondHandleSharesTheLogAndTermLengthMismatchIsRefused) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    auto first = IpcLog::open(options(dir.path(), 8, 128 * 1024));
    ASSERT_TRUE(first) << first.error().to_string();
    *first->tail() = 4096;

    auto second = IpcLog::open(options(dir.path(), 8, 64 * 1024)); // no requirement: takes the existing one
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_EQ(second->term_length(), 128U * 1024U);
    EXPECT_EQ(*second->tail(), 4096);
    EXPECT_EQ(second->stamp_key(), first->stamp_key());

    auto o = options(dir.path(), 8, 64 * 1024);
    o.required_term_length = 64 * 1024;
    auto mismatch = IpcLog::open(o);
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(mismatch.error().message.find("D-01"), std::string::npos) << mismatch.error().message;
}

TEST(IpcLog, LastCloseRemovesTheFile) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    const auto path = IpcLog::log_path(dir.path(), 9);
    {
        auto a = IpcLog::open(options(dir.path(), 9));
        ASSERT_TRUE(a);
        {
            auto b = IpcLog::open(options(dir.path(), 9));
            ASSERT_TRUE(b);
        }
        EXPECT_TRUE(std::filesystem::exists(path)) << "still used by the first handle";
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(IpcLog, LogOfADeadProcessIsStaleAndRemoved) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    const auto path = IpcLog::log_path(dir.path(), 10);
    auto child = test::ChildProcess::fork_function([&] {
        auto log = IpcLog::open(options(dir.path(), 10));
        if (!log) {
            return 1;
        }
        *log->tail() = 12345;
        ::_exit(0); // dies holding the log: no destructor, no unlink
    });
    ASSERT_TRUE(child.wait(10s).ok());
    ASSERT_TRUE(std::filesystem::exists(path));

    // A live handle keeps a log from being removed.
    auto held = IpcLog::open(options(dir.path(), 11));
    ASSERT_TRUE(held);
    EXPECT_EQ(IpcLog::remove_stale(dir.path()), 1);
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(std::filesystem::exists(IpcLog::log_path(dir.path(), 11)));
}

TEST(IpcLog, OpeningAStaleLogStartsAFreshOne) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    auto child = test::ChildProcess::fork_function([&] {
        auto log = IpcLog::open(options(dir.path(), 12));
        if (!log) {
            return 1;
        }
        *log->tail() = 999 * 32;
        ::_exit(0);
    });
    ASSERT_TRUE(child.wait(10s).ok());
    auto log = IpcLog::open(options(dir.path(), 12));
    ASSERT_TRUE(log) << log.error().to_string();
    EXPECT_EQ(*log->tail(), 0) << "the dead process's log was replaced, not reused";
}

TEST(IpcLog, SlotsAreExclusiveAcrossHandlesAndFreedByDeath) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    auto a = IpcLog::open(options(dir.path(), 13));
    auto b = IpcLog::open(options(dir.path(), 13));
    ASSERT_TRUE(a && b);
    auto s1 = a->claim_sub_slot();
    auto s2 = b->claim_sub_slot();
    ASSERT_TRUE(s1 && s2);
    EXPECT_NE(*s1, *s2);
    EXPECT_TRUE(b->sub_slot_in_use(*s1));
    a->release_sub_slot(*s1);
    EXPECT_FALSE(b->sub_slot_in_use(*s1));

    auto child = test::ChildProcess::fork_function([&] {
        auto log = IpcLog::open(options(dir.path(), 13));
        if (!log) {
            return 1;
        }
        auto slot = log->claim_sub_slot();
        if (!slot || *slot != *s1) {
            return 2;
        }
        ::_exit(0);
    });
    ASSERT_TRUE(child.wait(10s).ok()) << child.wait(0ms).describe();
    EXPECT_FALSE(b->sub_slot_in_use(*s1)) << "the kernel released the dead child's slot lock";
    auto again = a->claim_sub_slot();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *s1);
}

TEST(IpcLog, RejectsAForeignFile) {
    test::TempDir dir("tp-ipclog-", "/dev/shm");
    auto holder = IpcLog::open(options(dir.path(), 14));
    ASSERT_TRUE(holder);
    *field<std::uint64_t>(holder->base(), MAGIC_OFFSET) = 0x1234; // corrupt while in use
    auto other = IpcLog::open(options(dir.path(), 14));
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message.find("bad magic"), std::string::npos) << other.error().message;
}

} // namespace
} // namespace tp::transport::ipc
