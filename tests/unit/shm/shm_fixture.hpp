// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test fixture: a region set created with the canonical layout in a per-test temporary directory,
// a writer attached to it and helpers to craft slot contents.

#include "process_harness.hpp"

#include "common/bits.hpp"
#include "shm/path_policy.hpp"
#include "shm/shm_layout.hpp"
#include "shm/shm_reader.hpp"
#include "shm/shm_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace tp::shm::test {

inline constexpr std::uint64_t TEST_EPOCH = 7;
inline constexpr std::uint32_t TEST_STREAM = 10000;

/// Regions under a TempDir: header ring of `nslots`, pools given as (id, stride).
class RegionFixture {
public:
    explicit RegionFixture(std::uint32_t nslots = 8, std::vector<PoolParams> pools = {{1, 1024}, {2, 4096}},
                           const std::string& parent = "")
        : m_dir("tp-shm-", parent) {
        LayoutConfig cfg;
        cfg.base_dir = m_dir.path();
        cfg.user = "tester";
        auto layout = ShmLayout::create(cfg);
        EXPECT_TRUE(layout) << layout.error().to_string();
        m_layout.emplace(std::move(*layout));
        RegionSetParams params{TEST_STREAM, TEST_EPOCH, nslots, std::move(pools), 0};
        auto created = m_layout->create_regions(params, 1'000'000);
        EXPECT_TRUE(created) << created.error().to_string();
        m_spec = created->spec;
        m_created.emplace(std::move(*created));
        auto policy = PathPolicy::create({m_dir.path()});
        EXPECT_TRUE(policy) << policy.error().to_string();
        m_policy.emplace(std::move(*policy));
        auto writer = ShmWriter::attach(m_spec, *m_policy);
        EXPECT_TRUE(writer) << writer.error().to_string();
        m_writer.emplace(std::move(*writer));
    }

    [[nodiscard]] auto dir() const -> const tp::test::TempDir& { return m_dir; }
    [[nodiscard]] auto layout() const -> const ShmLayout& { return *m_layout; }
    [[nodiscard]] auto spec() const -> const RegionSetSpec& { return m_spec; }
    [[nodiscard]] auto policy() const -> const PathPolicy& { return *m_policy; }
    [[nodiscard]] auto writer() -> ShmWriter& { return *m_writer; }

    /// A reader mapping the same files read-only.
    [[nodiscard]] auto reader() const -> ShmReader {
        auto r = ShmReader::map(m_spec, *m_policy, 1'000'000);
        EXPECT_TRUE(r) << r.error().to_string();
        return std::move(*r);
    }

    /// Commits a valid 1-D UINT8 frame of `len` bytes filled with `fill`.
    auto commit_bytes(std::uint64_t seq, std::uint32_t len, std::byte fill = std::byte{0x5A}) -> CommitResult {
        SlotClaim claim = m_writer->try_claim(seq, len);
        EXPECT_TRUE(claim) << to_string(claim.status());
        for (auto& b : claim.payload()) {
            b = fill;
        }
        claim.set_timestamp_ns(1000 + seq);
        return m_writer->commit(std::move(claim));
    }

    /// The writer's mapping of slot `index` (read-write), for crafting bad slots.
    [[nodiscard]] auto slot(std::uint32_t index) -> std::byte* { return m_writer->view().slot(index); }

    /// Overwrites a field of slot `index` in place (the slot stays committed).
    template <typename T>
    void poke(std::uint32_t index, std::size_t offset, T value) {
        common::store_unaligned(slot(index) + offset, value);
    }

private:
    tp::test::TempDir m_dir;
    std::optional<ShmLayout> m_layout;
    RegionSetSpec m_spec;
    std::optional<CreatedRegionSet> m_created;
    std::optional<PathPolicy> m_policy;
    std::optional<ShmWriter> m_writer;
};

/// True if `path` appears in /proc/self/maps (is mapped by this process).
inline auto is_mapped(const std::string& path) -> bool {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.find(path) != std::string::npos) {
            return true;
        }
    }
    return false;
}

/// Writes `size` bytes of `fill` to a new file with `mode`.
inline void write_file(const std::string& path, std::size_t size, unsigned mode = 0660, char fill = 0) {
    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        std::string data(size, fill);
        f.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

} // namespace tp::shm::test
