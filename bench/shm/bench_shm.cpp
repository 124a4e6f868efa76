// SPDX-License-Identifier: Apache-2.0
// SHM data-plane benchmark. Measured in one run, on the same mapped pool slots:
//   - commit path (try_claim + memcpy of the payload into the claimed slot + commit) against a plain
//     memcpy of the same bytes into the same slots, for header-only, 4 KiB, 1 MiB and 16 MiB frames;
//   - read path (read_frame: seqlock loads, header snapshot and validation) and still_valid().
// Each figure is the best of several alternating trials (bandwidth on a shared machine is noisy;
// the best trial is the least disturbed one). Prints a table and, with --json FILE, writes JSON.
//
// usage: bench_shm [--json FILE] [--trials N]

#include "common/clock.hpp"
#include "shm/path_policy.hpp"
#include "shm/shm_layout.hpp"
#include "shm/shm_reader.hpp"
#include "shm/shm_writer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace {

using namespace tp;
using namespace tp::shm;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t NSLOTS = 4;
constexpr std::uint64_t EPOCH = 1;

// Keeps the compiler from discarding work whose result is otherwise unused.
template <typename T>
void keep(const T& value) {
    asm volatile("" : : "r,m"(value) : "memory");
}

struct Case {
    const char* name;
    std::uint32_t bytes;
};

struct Row {
    std::string name;
    std::uint32_t bytes{0};
    double commit_ns{0};
    double memcpy_ns{0};
};

class TempBase {
public:
    TempBase() {
        std::string tmpl = (std::filesystem::is_directory("/dev/shm") ? std::string("/dev/shm") : std::string("/tmp")) +
                           "/tp-bench-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) {
            std::perror("mkdtemp");
            std::exit(1);
        }
        m_path = buf.data();
    }
    TempBase(const TempBase&) = delete;
    auto operator=(const TempBase&) -> TempBase& = delete;
    ~TempBase() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    [[nodiscard]] auto path() const -> const std::string& { return m_path; }

private:
    std::string m_path;
};

template <typename F>
auto time_per_iter_ns(std::uint64_t iters, F&& body) -> double {
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < iters; ++i) {
        body(i);
    }
    const auto t1 = Clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(iters);
}

auto iterations_for(std::uint32_t bytes) -> std::uint64_t {
    if (bytes <= 4096) {
        return 400'000;
    }
    return std::max<std::uint64_t>(16, (256ULL << 20) / bytes); // ~256 MiB per trial
}

} // namespace

int main(int argc, char** argv) {
    std::string json_path;
    int trials = 7;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json" && i + 1 < argc) {
            json_path = argv[++i];
        } else if (a == "--trials" && i + 1 < argc) {
            trials = std::max(1, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: bench_shm [--json FILE] [--trials N]\n");
            return 2;
        }
    }

    TempBase base;
    LayoutConfig cfg;
    cfg.base_dir = base.path();
    cfg.user = "bench";
    cfg.prefault = true;
    auto layout = ShmLayout::create(cfg);
    if (!layout) {
        std::fprintf(stderr, "%s\n", layout.error().to_string().c_str());
        return 1;
    }
    auto created = layout->create_regions({1, EPOCH, NSLOTS, {{1, 4096}, {2, 1U << 20}, {3, 16U << 20}}, 0},
                                          common::monotonic_ns());
    if (!created) {
        std::fprintf(stderr, "%s\n", created.error().to_string().c_str());
        return 1;
    }
    auto policy = PathPolicy::create({base.path()});
    auto writer = ShmWriter::attach(created->spec, *policy);
    auto reader = ShmReader::map(created->spec, *policy, common::monotonic_ns());
    if (!writer || !reader) {
        std::fprintf(stderr, "attach failed: %s\n",
                     !writer ? writer.error().to_string().c_str() : reader.error().to_string().c_str());
        return 1;
    }

    std::unique_ptr<std::byte[]> src(new std::byte[16U << 20]);
    for (std::size_t i = 0; i < (16U << 20); ++i) {
        src[i] = static_cast<std::byte>(i * 131);
    }

    std::uint64_t seq = 0;
    // The producer passes its capture time, as D-15 expects; `clock_at_commit` leaves it unset so
    // commit reads CLOCK_MONOTONIC itself.
    auto commit_frame = [&](std::uint32_t bytes, bool clock_at_commit = false) {
        SlotClaim claim = writer->try_claim(seq, bytes);
        std::memcpy(claim.payload().data(), src.get(), bytes);
        const std::int32_t dims[] = {static_cast<std::int32_t>(bytes)};
        claim.set_shape(dims);
        if (!clock_at_commit) {
            claim.set_timestamp_ns(seq + 1);
        }
        if (writer->commit(std::move(claim)) != CommitResult::Ok) {
            std::fprintf(stderr, "commit failed\n");
            std::exit(1);
        }
        ++seq;
    };
    // The same destination slots the commit path uses: pool chosen by D-17, slot = seq & 3.
    auto memcpy_frame = [&](std::uint32_t bytes, std::uint64_t i) {
        const PoolView* pool = writer->select_pool(bytes);
        std::memcpy(pool->payload(i & (NSLOTS - 1)), src.get(), bytes);
        keep(pool);
    };

    const Case cases[] = {{"header-only", 0}, {"4 KiB", 4096}, {"1 MiB", 1U << 20}, {"16 MiB", 16U << 20}};
    std::vector<Row> rows;
    for (const Case& c : cases) {
        const std::uint64_t iters = iterations_for(c.bytes);
        // Warm-up: touch every slot of the pool through both paths.
        for (int w = 0; w < 8; ++w) {
            commit_frame(c.bytes);
            memcpy_frame(c.bytes, static_cast<std::uint64_t>(w));
        }
        Row row{c.name, c.bytes, 1e300, 1e300};
        for (int t = 0; t < trials; ++t) {
            row.memcpy_ns =
                std::min(row.memcpy_ns, time_per_iter_ns(iters, [&](std::uint64_t i) { memcpy_frame(c.bytes, i); }));
            row.commit_ns =
                std::min(row.commit_ns, time_per_iter_ns(iters, [&](std::uint64_t) { commit_frame(c.bytes); }));
        }
        rows.push_back(row);
    }
    double clock_commit_ns = 1e300;
    for (int t = 0; t < trials; ++t) {
        clock_commit_ns = std::min(clock_commit_ns,
                                   time_per_iter_ns(iterations_for(0), [&](std::uint64_t) { commit_frame(0, true); }));
    }

    // Read path: all NSLOTS slots hold committed frames (the last NSLOTS seqs).
    for (std::uint32_t k = 0; k < NSLOTS; ++k) {
        commit_frame(4096);
    }
    const std::uint64_t first_valid = seq - NSLOTS;
    double read_ns = 1e300;
    double read_valid_ns = 1e300;
    double reader_read_ns = 1e300;
    const RegionSetView view = reader->view();
    std::uint64_t failures = 0;
    for (int t = 0; t < trials; ++t) {
        read_ns = std::min(read_ns, time_per_iter_ns(2'000'000, [&](std::uint64_t i) {
                               FrameView f;
                               failures +=
                                   read_frame(view, EPOCH, first_valid + (i & (NSLOTS - 1)), f) != ReadResult::Ok;
                               keep(f.payload.data());
                           }));
        read_valid_ns = std::min(read_valid_ns, time_per_iter_ns(2'000'000, [&](std::uint64_t i) {
                                     FrameView f;
                                     failures +=
                                         read_frame(view, EPOCH, first_valid + (i & (NSLOTS - 1)), f) != ReadResult::Ok;
                                     failures += f.still_valid() ? 0 : 1;
                                 }));
        reader_read_ns = std::min(reader_read_ns, time_per_iter_ns(2'000'000, [&](std::uint64_t i) {
                                      FrameView f;
                                      failures +=
                                          reader->read(EPOCH, first_valid + (i & (NSLOTS - 1)), f) != ReadResult::Ok;
                                  }));
    }
    if (failures != 0) {
        std::fprintf(stderr, "read path: %llu unexpected drops\n", static_cast<unsigned long long>(failures));
        return 1;
    }

    std::printf("SHM data plane (best of %d trials; %u-slot ring, pools 4 KiB / 1 MiB / 16 MiB on %s)\n\n", trials,
                NSLOTS, base.path().c_str());
    std::printf("%-12s %14s %14s %12s %12s %8s\n", "frame", "commit ns", "memcpy ns", "commit GB/s", "memcpy GB/s",
                "ratio");
    bool floor_ok = true;
    for (const Row& r : rows) {
        if (r.bytes == 0) {
            std::printf("%-12s %14.1f %14s %12s %12s %8s\n", r.name.c_str(), r.commit_ns, "-", "-", "-", "-");
            continue;
        }
        const double commit_gbs = r.bytes / r.commit_ns;
        const double memcpy_gbs = r.bytes / r.memcpy_ns;
        const double ratio = commit_gbs / memcpy_gbs;
        std::printf("%-12s %14.1f %14.1f %12.2f %12.2f %8.3f\n", r.name.c_str(), r.commit_ns, r.memcpy_ns, commit_gbs,
                    memcpy_gbs, ratio);
        if (r.bytes >= (1U << 20) && ratio < 0.9) {
            floor_ok = false;
        }
    }
    std::printf("header-only with the timestamp read from CLOCK_MONOTONIC at commit: %.1f ns\n", clock_commit_ns);
    std::printf("\nread path: read_frame %.1f ns/frame, read_frame + still_valid %.1f ns/frame, "
                "ShmReader::read %.1f ns/frame\n",
                read_ns, read_valid_ns, reader_read_ns);
    std::printf("floor (commit >= 0.9 x memcpy bandwidth from 1 MiB up): %s\n", floor_ok ? "met" : "NOT met");

    if (!json_path.empty()) {
        std::FILE* f = std::fopen(json_path.c_str(), "w");
        if (f == nullptr) {
            std::perror(json_path.c_str());
            return 1;
        }
        std::fprintf(f, "{\n  \"trials\": %d,\n  \"commit\": [", trials);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row& r = rows[i];
            std::fprintf(f,
                         "%s\n    {\"frame\": \"%s\", \"bytes\": %u, \"commit_ns\": %.1f, \"memcpy_ns\": %.1f, "
                         "\"ratio\": %.4f}",
                         i == 0 ? "" : ",", r.name.c_str(), r.bytes, r.commit_ns, r.bytes == 0 ? 0.0 : r.memcpy_ns,
                         r.bytes == 0 ? 0.0 : r.memcpy_ns / r.commit_ns);
        }
        std::fprintf(f,
                     "\n  ],\n  \"read_frame_ns\": %.1f,\n  \"read_frame_still_valid_ns\": %.1f,\n"
                     "  \"shm_reader_read_ns\": %.1f,\n  \"header_only_clock_at_commit_ns\": %.1f,\n"
                     "  \"floor_met\": %s\n}\n",
                     read_ns, read_valid_ns, reader_read_ns, clock_commit_ns, floor_ok ? "true" : "false");
        std::fclose(f);
    }
    return 0;
}
