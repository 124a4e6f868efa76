// SPDX-License-Identifier: Apache-2.0
// Security: path containment and safe open (W §15.21a.5, §15.22; D-21). Every refusal also checks
// that nothing was mapped.
#include "shm_fixture.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace tp::shm {
namespace {

using test::is_mapped;
using test::write_file;

constexpr std::uint64_t SIZE = 4096;

struct PolicyEnv {
    tp::test::TempDir root{"tp-policy-"};
    std::string allowed = root.file("allowed");
    std::string outside = root.file("outside");
    PathPolicy policy = [&] {
        std::filesystem::create_directory(allowed);
        std::filesystem::create_directory(outside);
        auto p = PathPolicy::create({allowed});
        EXPECT_TRUE(p) << p.error().to_string();
        return std::move(*p);
    }();
};

auto map(const PathPolicy& policy, const std::string& path, bool hugepages = false, Access access = Access::ReadOnly)
    -> Expected<MappedRegion> {
    return policy.map_region(RegionUri{path, hugepages}, SIZE, access);
}

void expect_refused(const Expected<MappedRegion>& r, const std::string& path, ErrorCode code,
                    const std::string& needle) {
    ASSERT_FALSE(r) << "mapped " << path;
    EXPECT_EQ(r.error().code, code) << r.error().to_string();
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().to_string();
    EXPECT_FALSE(is_mapped(path));
}

TEST(PathPolicy, D21_RegularFileInsideAllowedDirMapsReadOnly) {
    PolicyEnv env;
    const std::string f = env.allowed + "/region";
    write_file(f, SIZE, 0660, 'x');
    auto r = map(env.policy, f);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->access(), Access::ReadOnly);
    EXPECT_EQ(static_cast<char>(r->data()[0]), 'x');
    EXPECT_TRUE(is_mapped(f));
    // D-21 step 6: the consumer's mapping is read-only.
    std::ifstream maps("/proc/self/maps");
    std::string line;
    bool found_ro = false;
    while (std::getline(maps, line)) {
        if (line.find(f) != std::string::npos && line.find(" r--s ") != std::string::npos) {
            found_ro = true;
        }
    }
    EXPECT_TRUE(found_ro);
    r->reset();
    EXPECT_FALSE(is_mapped(f));
}

TEST(PathPolicy, W15_21a5_3_AllowedDirsAreCanonicalised) {
    tp::test::TempDir root;
    std::filesystem::create_directory(root.file("real"));
    std::filesystem::create_directory_symlink(root.file("real"), root.file("alias"));
    auto p = PathPolicy::create({root.file("alias") + "/"});
    ASSERT_TRUE(p);
    ASSERT_EQ(p->allowed_dirs().size(), 1U);
    char buf[PATH_MAX];
    ASSERT_NE(::realpath(root.file("real").c_str(), buf), nullptr);
    EXPECT_EQ(p->allowed_dirs()[0], std::string(buf));
}

TEST(PathPolicy, W15_21a5_3_BadAllowedDirsRejected) {
    tp::test::TempDir root;
    EXPECT_FALSE(PathPolicy::create({}));
    EXPECT_FALSE(PathPolicy::create({"relative/dir"}));
    EXPECT_FALSE(PathPolicy::create({root.file("missing")}));
    write_file(root.file("file"), 1);
    EXPECT_FALSE(PathPolicy::create({root.file("file")}));
}

TEST(PathPolicy, W15_21a5_4_ContainmentIsByPathComponent) {
    PolicyEnv env;
    const std::string& base = env.policy.allowed_dirs()[0];
    EXPECT_TRUE(env.policy.contains(base + "/x"));
    EXPECT_FALSE(env.policy.contains(base));
    EXPECT_FALSE(env.policy.contains(base + "x/y"));
    EXPECT_FALSE(env.policy.contains(base.substr(0, base.size() - 1)));
}

TEST(PathPolicy, W15_21a5_1_RelativePathRefused) {
    PolicyEnv env;
    write_file(env.allowed + "/region", SIZE);
    auto r = env.policy.map_region(RegionUri{"region", false}, SIZE, Access::ReadOnly);
    expect_refused(r, env.allowed + "/region", ErrorCode::InvalidArgument, "not absolute");
}

TEST(PathPolicy, W15_21a5_4_PathOutsideAllowedDirsRefused) {
    PolicyEnv env;
    const std::string f = env.outside + "/region";
    write_file(f, SIZE);
    expect_refused(map(env.policy, f), f, ErrorCode::PermissionDenied, "outside the allowed base dirs");
}

TEST(PathPolicy, W15_21a5_DotDotTraversalRefused) {
    PolicyEnv env;
    const std::string f = env.outside + "/region";
    write_file(f, SIZE);
    // Escapes the allowed dir...
    expect_refused(map(env.policy, env.allowed + "/../outside/region"), f, ErrorCode::InvalidArgument, "'..'");
    // ...and even a ".." that stays inside is refused (announced paths are canonical).
    std::filesystem::create_directory(env.allowed + "/sub");
    write_file(env.allowed + "/in", SIZE);
    expect_refused(map(env.policy, env.allowed + "/sub/../in"), env.allowed + "/in", ErrorCode::InvalidArgument,
                   "'..'");
    expect_refused(map(env.policy, env.allowed + "/./in"), env.allowed + "/in", ErrorCode::InvalidArgument, "'.'");
}

TEST(PathPolicy, W15_21a5_6_SymlinkRefusedEvenToAFileInside) {
    PolicyEnv env;
    const std::string target = env.allowed + "/real";
    const std::string link = env.allowed + "/link";
    write_file(target, SIZE);
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    expect_refused(map(env.policy, link), target, ErrorCode::PermissionDenied, "symbolic link");
}

TEST(PathPolicy, W15_21a5_4_SymlinkToOutsideRefused) {
    PolicyEnv env;
    const std::string target = env.outside + "/secret";
    const std::string link = env.allowed + "/link";
    write_file(target, SIZE);
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    expect_refused(map(env.policy, link), target, ErrorCode::PermissionDenied, "outside the allowed base dirs");
}

TEST(PathPolicy, W15_21a5_6_SwapToSymlinkBetweenResolveAndOpenRefused) {
    PolicyEnv env;
    const std::string path = env.allowed + "/region";
    const std::string other = env.allowed + "/other";
    write_file(path, SIZE);
    write_file(other, SIZE);
    auto resolved = env.policy.resolve(path);
    ASSERT_TRUE(resolved) << resolved.error().to_string();
    // The race: the checked name becomes a symlink after realpath.
    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::symlink(other.c_str(), path.c_str()), 0);
    auto opened = env.policy.open(*resolved, OpenRequirements{Access::ReadOnly, SIZE, false});
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().message.find("symbolic link"), std::string::npos) << opened.error().to_string();
    EXPECT_FALSE(is_mapped(other));
}

TEST(PathPolicy, W15_21a5_6_SwapToAnotherFileBetweenResolveAndOpenRefused) {
    PolicyEnv env;
    const std::string path = env.allowed + "/region";
    const std::string replacement = env.allowed + "/replacement";
    write_file(path, SIZE);
    write_file(replacement, SIZE);
    auto resolved = env.policy.resolve(path);
    ASSERT_TRUE(resolved);
    ASSERT_EQ(::rename(replacement.c_str(), path.c_str()), 0); // same name, different inode
    auto opened = env.policy.open(*resolved, OpenRequirements{Access::ReadOnly, SIZE, false});
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().message.find("device/inode"), std::string::npos) << opened.error().to_string();
    EXPECT_FALSE(is_mapped(path));
}

TEST(PathPolicy, W15_21a5_6_SwapOfParentDirectoryToSymlinkRefused) {
    PolicyEnv env;
    std::filesystem::create_directory(env.allowed + "/epoch");
    const std::string path = env.allowed + "/epoch/header.ring";
    write_file(path, SIZE);
    write_file(env.outside + "/header.ring", SIZE);
    auto resolved = env.policy.resolve(path);
    ASSERT_TRUE(resolved);
    // An intermediate component swapped for a symlink: O_NOFOLLOW does not cover it, the
    // device/inode re-check does.
    std::filesystem::rename(env.allowed + "/epoch", env.allowed + "/epoch.old");
    ASSERT_EQ(::symlink(env.outside.c_str(), (env.allowed + "/epoch").c_str()), 0);
    auto opened = env.policy.open(*resolved, OpenRequirements{Access::ReadOnly, SIZE, false});
    ASSERT_FALSE(opened);
    EXPECT_FALSE(is_mapped(env.outside + "/header.ring"));
}

TEST(PathPolicy, W15_21a5_5_FifoRefusedWithoutBlocking) {
    PolicyEnv env;
    const std::string fifo = env.allowed + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0660), 0);
    expect_refused(map(env.policy, fifo), fifo, ErrorCode::PermissionDenied, "a FIFO");
}

TEST(PathPolicy, W15_21a5_5_FifoSwappedInAfterResolveRefusedWithoutBlocking) {
    PolicyEnv env;
    const std::string path = env.allowed + "/region";
    write_file(path, SIZE);
    auto resolved = env.policy.resolve(path);
    ASSERT_TRUE(resolved);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::mkfifo(path.c_str(), 0660), 0);
    // O_NONBLOCK: a FIFO with no writer must not hang the open.
    auto opened = env.policy.open(*resolved, OpenRequirements{Access::ReadOnly, SIZE, false});
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().message.find("a FIFO"), std::string::npos) << opened.error().to_string();
}

TEST(PathPolicy, W15_21a5_5_CharacterDeviceRefused) {
    auto policy = PathPolicy::create({"/dev"});
    ASSERT_TRUE(policy);
    expect_refused(map(*policy, "/dev/null"), "/dev/null", ErrorCode::PermissionDenied, "a character device");
}

TEST(PathPolicy, W15_21a5_5_UnixSocketRefused) {
    PolicyEnv env;
    const std::string sock_path = env.allowed + "/sock";
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path.c_str());
    ASSERT_EQ(::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    expect_refused(map(env.policy, sock_path), sock_path, ErrorCode::PermissionDenied, "a socket");
    ::close(s);
}

TEST(PathPolicy, W15_21a5_5_DirectoryRefused) {
    PolicyEnv env;
    std::filesystem::create_directory(env.allowed + "/d");
    expect_refused(map(env.policy, env.allowed + "/d"), env.allowed + "/d", ErrorCode::PermissionDenied, "a directory");
}

TEST(PathPolicy, D21_3_OtherPermissionBitsRefused) {
    PolicyEnv env;
    for (unsigned mode : {0664U, 0662U, 0661U, 0604U}) {
        const std::string f = env.allowed + "/region" + std::to_string(mode);
        write_file(f, SIZE, mode);
        expect_refused(map(env.policy, f), f, ErrorCode::PermissionDenied, "'other' permission bits");
    }
    const std::string ok = env.allowed + "/ok";
    write_file(ok, SIZE, 0640);
    EXPECT_TRUE(map(env.policy, ok));
}

TEST(PathPolicy, D21_4_FileSmallerThanExpectedRefused) {
    PolicyEnv env;
    const std::string f = env.allowed + "/small";
    write_file(f, SIZE - 1);
    expect_refused(map(env.policy, f), f, ErrorCode::Rejected, "smaller than the expected");
}

TEST(PathPolicy, W15_22_RequireHugepagesOnTmpfsRefused) {
    if (!std::filesystem::is_directory("/dev/shm")) {
        GTEST_SKIP() << "no /dev/shm";
    }
    tp::test::TempDir dir("tp-huge-", "/dev/shm");
    auto policy = PathPolicy::create({dir.path()});
    ASSERT_TRUE(policy);
    const std::string f = dir.file("region");
    write_file(f, SIZE);
    expect_refused(map(*policy, f, true), f, ErrorCode::PermissionDenied, "not on hugetlbfs");
    // The same file without the flag maps.
    EXPECT_TRUE(map(*policy, f, false));
}

TEST(PathPolicy, D21_MissingFileIsNotFound) {
    PolicyEnv env;
    auto r = map(env.policy, env.allowed + "/absent");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST(PathPolicy, WriterOpensReadWrite) {
    PolicyEnv env;
    const std::string f = env.allowed + "/region";
    write_file(f, SIZE);
    auto r = map(env.policy, f, false, Access::ReadWrite);
    ASSERT_TRUE(r) << r.error().to_string();
    r->data()[0] = std::byte{0x42};
    r->reset();
    auto again = map(env.policy, f);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->data()[0], std::byte{0x42});
}

TEST(MappedRegion, MoveKeepsAddressAndUnmapsOnce) {
    PolicyEnv env;
    const std::string f = env.allowed + "/region";
    write_file(f, SIZE);
    auto r = map(env.policy, f);
    ASSERT_TRUE(r);
    std::byte* addr = r->data();
    MappedRegion moved = std::move(*r);
    EXPECT_EQ(moved.data(), addr);
    EXPECT_FALSE(r->valid());
    EXPECT_TRUE(is_mapped(f));
    moved = MappedRegion{};
    EXPECT_FALSE(is_mapped(f));
}

} // namespace
} // namespace tp::shm
