// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared pieces of the CLI system tests: the executable, a driver in per-test directories,
// publishers on well-known streams, and parsing of the commands' JSON output.

#include "control_client.hpp"
#include "process_harness.hpp"
#include "tensorpool/transport.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tp::test::cli {

inline constexpr const char* CHANNEL = "aeron:ipc?term-length=4m";

inline auto tensorpool_exe() -> std::string {
    return binary_dir() + "/apps/tensorpool/tensorpool";
}

/// Every complete JSON object on its own line (tap output; other lines are skipped).
inline auto json_lines(const std::string& text) -> std::vector<nlohmann::json> {
    std::vector<nlohmann::json> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) {
            break; // a line still being written
        }
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.front() == '{') {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_discarded()) {
                out.push_back(std::move(j));
            }
        }
    }
    return out;
}

/// The one multi-line JSON document in `text` (stat --json output): from a line "{" to the last "}".
inline auto json_document(const std::string& text) -> nlohmann::json {
    std::size_t start = text.compare(0, 2, "{\n") == 0 ? 0 : text.find("\n{\n");
    const std::size_t end = text.rfind("\n}");
    if (start == std::string::npos || end == std::string::npos) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    start += start == 0 ? 0 : 1;
    if (end < start) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return nlohmann::json::parse(text.substr(start, end + 2 - start), nullptr, false);
}

/// Lowercase hex of bytes (as tap prints them).
inline auto hex(std::span<const std::uint8_t> bytes) -> std::string {
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t b : bytes) {
        out.push_back(DIGITS[b >> 4]);
        out.push_back(DIGITS[b & 15]);
    }
    return out;
}

/// A publication on one stream of the test's transport directory.
class StreamPublisher {
public:
    StreamPublisher(const std::string& transport_dir, const std::string& channel, std::int32_t stream_id) {
        transport::TransportConfig cfg;
        cfg.directory = transport_dir;
        auto ctx = transport::TransportContext::create(cfg);
        EXPECT_TRUE(ctx) << ctx.error().to_string();
        if (!ctx) {
            return;
        }
        m_ctx = std::make_unique<transport::TransportContext>(std::move(*ctx));
        auto pub = m_ctx->add_publication(channel, stream_id);
        EXPECT_TRUE(pub) << pub.error().to_string();
        if (pub) {
            m_pub = std::move(*pub);
        }
    }

    /// Offers until accepted; false when nobody subscribes or the offer keeps failing.
    auto offer(std::span<const std::uint8_t> bytes) -> bool {
        if (!m_pub) {
            return false;
        }
        for (int i = 0; i < 100000; ++i) {
            const std::int64_t rc = m_pub->offer(bytes);
            if (rc >= 0) {
                return true;
            }
            if (rc != transport::BACK_PRESSURED && rc != transport::ADMIN_ACTION) {
                return false;
            }
        }
        return false;
    }

    /// True once a subscriber (the command under test) has joined.
    [[nodiscard]] auto connected() const -> bool { return m_pub && m_pub->is_connected(); }

private:
    std::unique_ptr<transport::TransportContext> m_ctx;
    std::unique_ptr<transport::Publication> m_pub;
};

/// A driver with a fast announce period in per-test directories, and helpers to run the CLI.
class CliSystemTest : public ::testing::Test {
protected:
    void SetUp() override {
        transport_dir = dir.file("transport");
        shm_dir = dir.file("shm");
        std::filesystem::create_directories(shm_dir);
    }

    void write_config() {
        std::ofstream out(dir.file("driver.toml"));
        out << "[driver]\ntransport_dir = \"" << transport_dir << "\"\n"
            << "[shm]\nbase_dir = \"" << shm_dir << "\"\n"
            << "[policies]\nannounce_period_ms = 100\nlease_keepalive_interval_ms = 1000\n"
            << "lease_expiry_grace_intervals = 10\nshutdown_timeout_ms = 100\nshutdown_token = \"s3cret\"\n"
            << "prefault_shm = false\n"
            << "[profiles.cam]\nheader_nslots = 16\n"
            << "payload_pools = [ { pool_id = 1, stride_bytes = 4096 }, { pool_id = 2, stride_bytes = 65536 } ]\n"
            << "[streams.cam]\nstream_id = 10000\nprofile = \"cam\"\n";
    }

    auto start_driver() -> ChildProcess {
        write_config();
        return ChildProcess::spawn(tensorpool_exe(), {"driver", "--config", dir.file("driver.toml")},
                                   dir.file("driver.log"));
    }

    /// Runs `tensorpool <args...> --transport-dir <dir>`; output (stdout and stderr) to `log`.
    auto spawn_cli(std::vector<std::string> args, const std::string& log) -> ChildProcess {
        args.emplace_back("--transport-dir");
        args.push_back(transport_dir);
        return ChildProcess::spawn(tensorpool_exe(), args, dir.file(log));
    }

    /// Waits until the child's output contains `needle`.
    static auto wait_output(ChildProcess& child, const std::string& needle,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) -> bool {
        return wait_until([&] { return child.output().find(needle) != std::string::npos; }, timeout,
                          std::chrono::milliseconds(2));
    }

    TempDir dir{"tp-cli-sys-"};
    std::string transport_dir;
    std::string shm_dir;
};

} // namespace tp::test::cli
