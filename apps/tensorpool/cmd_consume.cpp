// SPDX-License-Identifier: Apache-2.0
// `tensorpool consume`: receives frames zero-copy, optionally verifies the `produce` pattern, prints
// rates and drops, and can save frames as .npy files.
#include "common_options.hpp"
#include "stop_signal.hpp"
#include "subcommands.hpp"

#include "common/clock.hpp"
#include "tensorpool/consumer.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tp::apps {

auto seq_pattern_word(std::uint64_t seq, std::size_t i) -> std::uint64_t; // cmd_produce.cpp

namespace {

struct ConsumeArgs {
    ClientOptions client;
    std::vector<std::string> allowed_dirs;
    std::uint32_t announce_period_ms{1000};
    std::uint32_t stream_id{10000};
    std::uint64_t count{0};
    double duration_s{0};
    std::string verify{"none"};
    std::string save_dir;
    std::uint64_t save_max{10};
    std::uint32_t rate_limit_hz{0};
    bool quiet{false};
};

auto npy_descr(Dtype d) -> const char* {
    switch (d) {
    case Dtype::Uint8:
        return "|u1";
    case Dtype::Int8:
        return "|i1";
    case Dtype::Uint16:
        return "<u2";
    case Dtype::Int16:
        return "<i2";
    case Dtype::Uint32:
        return "<u4";
    case Dtype::Int32:
        return "<i4";
    case Dtype::Uint64:
        return "<u8";
    case Dtype::Int64:
        return "<i8";
    case Dtype::Float32:
        return "<f4";
    case Dtype::Float64:
        return "<f8";
    case Dtype::Boolean:
        return "|b1";
    default:
        return "|u1";
    }
}

/// Writes a frame as NumPy .npy (format 1.0); the payload copy was re-checked by the caller.
auto save_npy(const std::string& path, const Frame& f, const std::vector<std::byte>& data) -> bool {
    std::string shape = "(";
    for (std::size_t i = 0; i < f.ndims; ++i) {
        shape += std::to_string(f.dims[i]) + (f.ndims == 1 ? "," : (i + 1 < f.ndims ? ", " : ""));
    }
    shape += ")";
    std::string header = std::string("{'descr': '") + npy_descr(f.dtype) +
                         "', 'fortran_order': " + (f.major_order == MajorOrder::Column ? "True" : "False") +
                         ", 'shape': " + shape + ", }";
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto hlen = static_cast<std::uint16_t>(header.size());
    out.put(static_cast<char>(hlen & 0xFF));
    out.put(static_cast<char>(hlen >> 8));
    out << header;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(out);
}

auto run_consume(ConsumeArgs a) -> int {
    install_stop_handlers();
    ConsumerOptions o;
    o.context = to_client_context(a.client);
    if (!a.allowed_dirs.empty()) {
        o.context.allowed_base_dirs = a.allowed_dirs;
    }
    set_announce_period(o.context, a.announce_period_ms);
    o.stream_id = a.stream_id;
    if (a.rate_limit_hz > 0) {
        o.mode = ConsumerMode::RateLimited;
        o.max_rate_hz = a.rate_limit_hz;
    }
    if (!a.save_dir.empty()) {
        std::filesystem::create_directories(a.save_dir);
    }
    auto c = Consumer::create(o);
    if (!c) {
        std::fprintf(stderr, "tensorpool consume: %s\n", c.error().to_string().c_str());
        return exit_code_for(c.error());
    }
    std::uint64_t received = 0;
    std::uint64_t verified = 0;
    std::uint64_t corrupt = 0;
    std::uint64_t saved = 0;
    std::uint64_t bytes = 0;
    std::vector<std::byte> copy;
    auto on_frame = [&](const Frame& f) {
        if (a.count != 0 && received >= a.count) {
            return; // the rest of this poll's batch is beyond --count
        }
        bool ok = true;
        if (a.verify == "seq") {
            const auto* w = reinterpret_cast<const std::uint64_t*>(f.payload.data());
            for (std::size_t i = 0; i < f.payload.size() / 8; ++i) {
                if (w[i] != seq_pattern_word(f.seq, i)) {
                    ok = false;
                    break;
                }
            }
        }
        if (!a.save_dir.empty() && saved < a.save_max) {
            copy.resize(f.payload.size());
            if (f.copy_to(copy)) {
                save_npy(a.save_dir + "/frame_" + std::to_string(f.epoch) + "_" + std::to_string(f.seq) + ".npy", f,
                         copy);
                ++saved;
            }
        }
        if (!f.still_valid()) {
            return; // overwritten while read: counted by the consumer as a late drop
        }
        ++received;
        bytes += f.payload.size();
        if (a.verify != "none") {
            ok ? ++verified : ++corrupt;
        }
    };
    const auto start = std::chrono::steady_clock::now();
    auto last_report = start;
    std::uint64_t last_received = 0;
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    while (!stop_requested() && (a.count == 0 || received < a.count) &&
           (a.duration_s <= 0 || elapsed() < a.duration_s)) {
        if (c->poll(on_frame, 64) == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        const auto now = std::chrono::steady_clock::now();
        if (!a.quiet && now - last_report >= std::chrono::seconds(1)) {
            const auto s = c->stats();
            const double dt = std::chrono::duration<double>(now - last_report).count();
            std::fprintf(stderr, "%s epoch %llu: %.0f frames/s, received %llu, drops gap %llu late %llu\n",
                         to_string(c->state()), static_cast<unsigned long long>(s.epoch),
                         static_cast<double>(received - last_received) / dt, static_cast<unsigned long long>(received),
                         static_cast<unsigned long long>(s.drops_gap), static_cast<unsigned long long>(s.drops_late));
            last_received = received;
            last_report = now;
        }
    }
    const auto s = c->stats();
    std::printf("consumed %llu frames (%llu bytes) in %.1f s; verified %llu, corrupt %llu; drops gap %llu late %llu; "
                "saved %llu\n",
                static_cast<unsigned long long>(received), static_cast<unsigned long long>(bytes), elapsed(),
                static_cast<unsigned long long>(verified), static_cast<unsigned long long>(corrupt),
                static_cast<unsigned long long>(s.drops_gap), static_cast<unsigned long long>(s.drops_late),
                static_cast<unsigned long long>(saved));
    if (corrupt != 0) {
        return EXIT_FAILURE_RUNTIME;
    }
    if (a.count != 0 && received < a.count) {
        std::fprintf(stderr, "tensorpool consume: received %llu of %llu frames\n",
                     static_cast<unsigned long long>(received), static_cast<unsigned long long>(a.count));
        return EXIT_FAILURE_RUNTIME;
    }
    return EXIT_OK;
}

const SubcommandRegistration REG{
    "consume", "Receive frames zero-copy; verify a pattern, print rates and drops, save frames as .npy",
    [](CLI::App& app) {
        auto a = std::make_shared<ConsumeArgs>();
        app.add_option("-s,--stream", a->stream_id, "logical stream id (default 10000)")
            ->check(CLI::Range(1U, 0x7FFFFFFFU));
        app.add_option("-n,--count", a->count, "exit after this many frames (0 = until interrupted)");
        app.add_option("-d,--duration", a->duration_s, "exit after this many seconds (0 = no limit)")
            ->check(CLI::Range(0.0, 1e6));
        app.add_option("--verify", a->verify, "check payloads: seq (the pattern of `produce --pattern seq`) or none")
            ->check(CLI::IsMember({"none", "seq"}));
        app.add_option("--save", a->save_dir, "directory to save frames in as .npy");
        app.add_option("--save-max", a->save_max, "frames to save at most (default 10)");
        app.add_option("--rate-limit", a->rate_limit_hz, "RATE_LIMITED mode at this many frames per second");
        app.add_flag("-q,--quiet", a->quiet, "no per-second status on stderr");
        add_client_options(app, a->client);
        add_mapping_options(app, a->allowed_dirs, a->announce_period_ms);
        return SubcommandRunner{[a] { return run_consume(*a); }};
    }};

} // namespace
} // namespace tp::apps
