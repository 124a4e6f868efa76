// SPDX-License-Identifier: Apache-2.0
// `tensorpool produce`: publishes synthetic frames (a verifiable pattern) or raw frames from a file.
#include "common_options.hpp"
#include "stop_signal.hpp"
#include "subcommands.hpp"

#include "common/clock.hpp"
#include "tensorpool/producer.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

namespace tp::apps {
namespace {

struct ProduceArgs {
    ClientOptions client;
    std::vector<std::string> allowed_dirs;
    std::uint32_t announce_period_ms{1000};
    std::uint32_t stream_id{10000};
    std::vector<std::int32_t> shape{480, 640};
    std::string dtype{"uint8"};
    double rate_hz{100.0};
    std::uint64_t count{0}; ///< 0 = until interrupted
    std::string pattern{"seq"};
    std::string file;
    std::string name{"tensorpool-produce"};
    bool create{false};
    double wait_s{10.0};
};

const std::map<std::string, Dtype> DTYPES = {
    {"uint8", Dtype::Uint8},     {"int8", Dtype::Int8},       {"uint16", Dtype::Uint16}, {"int16", Dtype::Int16},
    {"uint32", Dtype::Uint32},   {"int32", Dtype::Int32},     {"uint64", Dtype::Uint64}, {"int64", Dtype::Int64},
    {"float32", Dtype::Float32}, {"float64", Dtype::Float64}, {"bool", Dtype::Boolean},  {"bytes", Dtype::Bytes}};

} // namespace

/// The pattern `produce --pattern seq` writes and `consume --verify seq` checks: every 8-byte word
/// of frame `seq` holds seq * 0x9E3779B97F4A7C15 ^ word_index.
auto seq_pattern_word(std::uint64_t seq, std::size_t i) -> std::uint64_t {
    return (seq * 0x9E3779B97F4A7C15ULL) ^ static_cast<std::uint64_t>(i);
}

namespace {

auto run_produce(ProduceArgs a) -> int {
    install_stop_handlers();
    ProducerOptions o;
    o.context = to_client_context(a.client);
    if (!a.allowed_dirs.empty()) {
        o.context.allowed_base_dirs = a.allowed_dirs;
    }
    set_announce_period(o.context, a.announce_period_ms);
    o.stream_id = a.stream_id;
    o.name = a.name;
    o.create_stream = a.create;
    const Dtype dtype = DTYPES.at(a.dtype);
    std::size_t elems = 1;
    for (auto d : a.shape) {
        elems *= static_cast<std::size_t>(d);
    }
    const std::size_t bytes = elems * element_size(dtype);
    std::vector<std::byte> file_data;
    if (!a.file.empty()) {
        std::ifstream in(a.file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "tensorpool produce: cannot read '%s'\n", a.file.c_str());
            return EXIT_IO;
        }
        const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        file_data.resize(raw.size());
        std::memcpy(file_data.data(), raw.data(), raw.size());
        if (file_data.size() < bytes) {
            std::fprintf(stderr, "tensorpool produce: '%s' holds %zu bytes, less than one %zu-byte frame\n",
                         a.file.c_str(), file_data.size(), bytes);
            return EXIT_USAGE;
        }
    }
    auto p = Producer::create(o);
    if (!p) {
        std::fprintf(stderr, "tensorpool produce: %s\n", p.error().to_string().c_str());
        return exit_code_for(p.error());
    }
    if (!p->wait_ready(static_cast<std::uint64_t>(a.wait_s * 1000))) {
        std::fprintf(stderr,
                     "tensorpool produce: no lease for stream %u within %.0f s: is `tensorpool driver` running with "
                     "this stream and the same --transport-dir?\n",
                     a.stream_id, a.wait_s);
        return EXIT_FAILURE_RUNTIME;
    }
    std::fprintf(stderr, "producing stream %u: %zu-byte frames at %.1f Hz (epoch %llu)\n", a.stream_id, bytes,
                 a.rate_hz, static_cast<unsigned long long>(p->stats().epoch));
    const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / a.rate_hz));
    auto next = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    std::uint64_t failed = 0;
    const std::size_t frames_in_file = file_data.empty() ? 0 : file_data.size() / bytes;
    while (!stop_requested() && (a.count == 0 || sent < a.count)) {
        p->do_work();
        const auto now = std::chrono::steady_clock::now();
        if (now < next) {
            std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(next - now, std::chrono::microseconds(500)));
            continue;
        }
        next += period;
        FrameClaim c = p->try_claim(bytes);
        if (!c.is_valid()) {
            ++failed;
            continue;
        }
        auto payload = c.payload();
        if (!file_data.empty()) {
            std::memcpy(payload.data(), file_data.data() + (sent % frames_in_file) * bytes, bytes);
        } else if (a.pattern == "seq") {
            auto* w = reinterpret_cast<std::uint64_t*>(payload.data());
            for (std::size_t i = 0; i < payload.size() / 8; ++i) {
                w[i] = seq_pattern_word(c.seq(), i);
            }
        } else if (a.pattern == "ramp") {
            for (std::size_t i = 0; i < payload.size(); ++i) {
                payload[i] = static_cast<std::byte>((i + c.seq()) & 0xFF);
            }
        } else {
            std::memset(payload.data(), 0, payload.size());
        }
        c.set_dtype(dtype).set_shape(a.shape).set_timestamp_ns(common::monotonic_ns());
        if (p->commit(std::move(c)) == PublishResult::Ok) {
            ++sent;
        } else {
            ++failed;
        }
    }
    const auto s = p->stats();
    std::printf("produced %llu frames (%llu bytes), %llu not published, epoch %llu\n",
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(s.bytes_published),
                static_cast<unsigned long long>(failed), static_cast<unsigned long long>(s.epoch));
    return EXIT_OK;
}

const SubcommandRegistration REG{
    "produce", "Publish synthetic frames (shape, dtype, rate, pattern, count) or raw frames from a file",
    [](CLI::App& app) {
        auto a = std::make_shared<ProduceArgs>();
        app.add_option("-s,--stream", a->stream_id, "logical stream id (default 10000)")
            ->check(CLI::Range(1U, 0x7FFFFFFFU));
        app.add_option("--shape", a->shape, "dims, outermost first (default 480 640)")
            ->expected(1, 8)
            ->check(CLI::Range(0, 1 << 30));
        app.add_option("--dtype", a->dtype, "element type (default uint8)")
            ->check(CLI::IsMember({"uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32",
                                   "float64", "bool", "bytes"}));
        app.add_option("-r,--rate", a->rate_hz, "frames per second (default 100)")->check(CLI::Range(0.001, 1e6));
        app.add_option("-n,--count", a->count, "frames to publish, 0 = until interrupted (default 0)");
        app.add_option("--pattern", a->pattern, "payload: seq (verifiable by consume --verify seq), ramp, zero")
            ->check(CLI::IsMember({"seq", "ramp", "zero"}));
        app.add_option("--file", a->file, "raw frames to publish in a loop (frame size = shape x dtype)")
            ->check(CLI::ExistingFile);
        app.add_option("--name", a->name, "data source name (DataSourceAnnounce)");
        app.add_flag("--create", a->create, "EXISTING_OR_CREATE: let the driver create a dynamic stream");
        app.add_option("--wait", a->wait_s, "seconds to wait for a lease (default 10)")->check(CLI::Range(0.1, 3600.0));
        add_client_options(app, a->client);
        add_mapping_options(app, a->allowed_dirs, a->announce_period_ms);
        return SubcommandRunner{[a] { return run_produce(*a); }};
    }};

} // namespace
} // namespace tp::apps
