// SPDX-License-Identifier: Apache-2.0
// `tensorpool inspect PATH` end to end: JSON for real regions, clear refusals for anything else.
#include "shm_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include <sys/stat.h>

namespace tp::shm {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct InspectRun {
    int exit_code{-1};
    std::string output;
};

auto run_inspect(const tp::test::TempDir& dir, const std::vector<std::string>& args) -> InspectRun {
    const std::string log =
        dir.file("inspect-" + std::to_string(::getpid()) + "-" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".log");
    std::vector<std::string> argv{"inspect"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = tp::test::ChildProcess::spawn(TP_TENSORPOOL_EXE, argv, log);
    const auto st = child.wait(10s);
    EXPECT_TRUE(st.exited) << st.describe();
    return InspectRun{st.exit_code, child.output()};
}

TEST(Inspect, HeaderRingPrintsSuperblockAndCommittedSlots) {
    test::RegionFixture fx(8, {{1, 1024}, {2, 4096}});
    ASSERT_EQ(fx.commit_bytes(1, 100), CommitResult::Ok);
    SlotClaim c = fx.writer().try_claim(2, 2 * 3 * 4);
    const std::int32_t dims[] = {2, 3};
    c.set_dtype(Dtype::Float32).set_shape(dims).set_timestamp_ns(99).set_meta_version(4);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    SlotClaim pending = fx.writer().try_claim(3, 8); // in progress: not listed
    ASSERT_TRUE(pending);

    const std::string ring = fx.layout().header_ring_path(test::TEST_STREAM, test::TEST_EPOCH);
    const InspectRun r = run_inspect(fx.dir(), {ring});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json doc = json::parse(r.output);
    EXPECT_EQ(doc["superblock"]["region_type"], "HEADER_RING");
    EXPECT_EQ(doc["superblock"]["epoch"], test::TEST_EPOCH);
    EXPECT_EQ(doc["superblock"]["stream_id"], test::TEST_STREAM);
    EXPECT_EQ(doc["superblock"]["nslots"], 8);
    EXPECT_EQ(doc["superblock"]["slot_bytes"], 256);
    EXPECT_EQ(doc["superblock"]["magic"], SuperblockDescriptor::MAGIC);
    EXPECT_EQ(doc["committed_slots"], 2);
    EXPECT_EQ(doc["in_progress_slots"], 1);
    ASSERT_EQ(doc["slots"].size(), 2U);
    const json& s = doc["slots"][1];
    EXPECT_EQ(s["index"], 2);
    EXPECT_EQ(s["seq"], 2);
    EXPECT_EQ(s["pool_id"], 1);
    EXPECT_EQ(s["values_len_bytes"], 24);
    EXPECT_EQ(s["timestamp_ns"], 99);
    EXPECT_EQ(s["meta_version"], 4);
    EXPECT_EQ(s["dtype"], "FLOAT32");
    EXPECT_EQ(s["major_order"], "ROW");
    EXPECT_EQ(s["dims"], json::array({2, 3}));
    EXPECT_EQ(s["header"], "Ok");
    pending.abandon();

    const InspectRun limited = run_inspect(fx.dir(), {ring, "--max-slots", "1"});
    ASSERT_EQ(limited.exit_code, 0) << limited.output;
    EXPECT_EQ(json::parse(limited.output)["slots"].size(), 1U);
}

TEST(Inspect, InvalidSlotHeaderIsReportedNotHidden) {
    test::RegionFixture fx;
    ASSERT_EQ(fx.commit_bytes(1, 8), CommitResult::Ok);
    fx.poke<std::int16_t>(1, SlotDescriptor::DTYPE_OFFSET, 12);
    const InspectRun r = run_inspect(fx.dir(), {fx.layout().header_ring_path(test::TEST_STREAM, test::TEST_EPOCH)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json doc = json::parse(r.output);
    EXPECT_EQ(doc["slots"][0]["dtype"], "INVALID");
    EXPECT_EQ(doc["slots"][0]["header"], "UnknownDtype");
}

TEST(Inspect, PoolPrintsSuperblockOnly) {
    test::RegionFixture fx;
    const InspectRun r = run_inspect(fx.dir(), {fx.layout().pool_path(test::TEST_STREAM, test::TEST_EPOCH, 2)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const json doc = json::parse(r.output);
    EXPECT_EQ(doc["superblock"]["region_type"], "PAYLOAD_POOL");
    EXPECT_EQ(doc["superblock"]["pool_id"], 2);
    EXPECT_EQ(doc["superblock"]["stride_bytes"], 4096);
    EXPECT_EQ(doc["expected_size"], 64 + 8 * 4096);
    EXPECT_FALSE(doc.contains("slots"));
}

TEST(Inspect, BadMagicRejected) {
    tp::test::TempDir dir;
    test::write_file(dir.file("junk"), 4096, 0600, 'j');
    const InspectRun r = run_inspect(dir, {dir.file("junk")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("bad magic"), std::string::npos) << r.output;
}

TEST(Inspect, TooSmallRejected) {
    tp::test::TempDir dir;
    test::write_file(dir.file("tiny"), 63, 0600);
    const InspectRun r = run_inspect(dir, {dir.file("tiny")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("too small"), std::string::npos) << r.output;
}

TEST(Inspect, NonRegularFilesRejected) {
    tp::test::TempDir dir;
    const InspectRun d = run_inspect(dir, {dir.path()});
    EXPECT_EQ(d.exit_code, 1);
    EXPECT_NE(d.output.find("not a regular file"), std::string::npos) << d.output;
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    const InspectRun f = run_inspect(dir, {dir.file("fifo")});
    EXPECT_EQ(f.exit_code, 1);
    EXPECT_NE(f.output.find("not a regular file"), std::string::npos) << f.output;
    const InspectRun n = run_inspect(dir, {"/dev/null"});
    EXPECT_EQ(n.exit_code, 1);
}

TEST(Inspect, SymlinkAndMissingFile) {
    test::RegionFixture fx;
    const std::string link = fx.dir().file("link");
    std::filesystem::create_symlink(fx.layout().header_ring_path(test::TEST_STREAM, test::TEST_EPOCH), link);
    const InspectRun l = run_inspect(fx.dir(), {link});
    EXPECT_EQ(l.exit_code, 1);
    EXPECT_NE(l.output.find("symbolic link"), std::string::npos) << l.output;
    const InspectRun m = run_inspect(fx.dir(), {fx.dir().file("absent")});
    EXPECT_EQ(m.exit_code, 3);
    EXPECT_NE(m.output.find("cannot open"), std::string::npos) << m.output;
}

TEST(Inspect, TruncatedRingRejected) {
    test::RegionFixture fx;
    const std::string ring = fx.layout().header_ring_path(test::TEST_STREAM, test::TEST_EPOCH);
    const std::string copy = fx.dir().file("truncated.ring");
    std::filesystem::copy_file(ring, copy);
    std::filesystem::resize_file(copy, 64 + 3 * 256);
    const InspectRun r = run_inspect(fx.dir(), {copy});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("inconsistent"), std::string::npos) << r.output;
}

TEST(Inspect, MissingArgumentIsUsageError) {
    tp::test::TempDir dir;
    const InspectRun r = run_inspect(dir, {});
    EXPECT_EQ(r.exit_code, 2);
}

} // namespace
} // namespace tp::shm
