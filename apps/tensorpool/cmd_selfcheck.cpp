// SPDX-License-Identifier: Apache-2.0
// `tensorpool selfcheck [--golden DIR]`: round-trips every message of every schema through the
// generated codecs, the dispatcher and the JSON reflection, then checks the golden vectors (from
// --golden, or ../shared/golden when it exists). Prints one row per schema; exit 0 only if all pass.
#include "subcommands.hpp"

#include "codec/dispatch.hpp"
#include "codec/golden_check.hpp"
#include "codec/message_json.hpp"
#include "tensorpool/codec/samples.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace tp::apps {
namespace {

using codec::MessageType;
using codec::samples::SampleKind;
using codec::samples::SampleSpec;

struct Tally {
    std::size_t messages{0};
    std::size_t passed{0};
    std::size_t failed{0};
    std::size_t golden_passed{0};
    std::size_t golden_failed{0};
};

struct Options {
    std::string golden;
    bool verbose{false};
};

class SelfCheck {
public:
    explicit SelfCheck(bool verbose) : m_verbose(verbose) {}

    void round_trips() {
        for (const codec::SchemaInfo& s : codec::SCHEMAS) {
            m_tally[s.id];
        }
        for (const MessageType& type : codec::MESSAGE_TYPES) {
            ++m_tally[type.schema_id].messages;
            for (const SampleSpec spec : {SampleSpec{SampleKind::Typical, 1}, SampleSpec{SampleKind::Typical, 2},
                                          SampleSpec{SampleKind::Nulls, 1}, SampleSpec{SampleKind::Extremes, 1}}) {
                check_sample(type, spec);
            }
        }
    }

    void golden(const std::filesystem::path& dir) {
        for (const std::filesystem::path& bin : codec::list_golden_vectors(dir)) {
            const codec::GoldenReport report = codec::check_golden_vector(bin);
            const codec::SchemaInfo* schema = nullptr;
            for (const codec::SchemaInfo& s : codec::SCHEMAS) {
                if (s.stem == report.schema) {
                    schema = &s;
                }
            }
            Tally& t = m_tally[schema == nullptr ? 0 : schema->id];
            ++m_golden_total;
            if (report.passed()) {
                ++t.golden_passed;
            } else {
                ++t.golden_failed;
                for (const std::string& f : report.failures) {
                    std::fprintf(stderr, "golden %s: %s\n", bin.c_str(), f.c_str());
                }
            }
        }
    }

    [[nodiscard]] auto print() const -> bool {
        std::printf("%-10s %5s %9s %8s %8s %8s %8s\n", "schema", "id", "messages", "checks", "failed", "golden",
                    "g.failed");
        bool all = true;
        for (const auto& [id, t] : m_tally) {
            const codec::SchemaInfo* s = codec::find_schema(id);
            std::printf("%-10s %5u %9zu %8zu %8zu %8zu %8zu\n",
                        s == nullptr ? "(unknown)" : std::string(s->name).c_str(), static_cast<unsigned>(id),
                        t.messages, t.passed + t.failed, t.failed, t.golden_passed + t.golden_failed, t.golden_failed);
            all = all && t.failed == 0 && t.golden_failed == 0;
        }
        return all;
    }

    [[nodiscard]] auto golden_total() const -> std::size_t { return m_golden_total; }

private:
    void expect(const MessageType& type, bool ok, const char* what, const SampleSpec& spec) {
        Tally& t = m_tally[type.schema_id];
        if (ok) {
            ++t.passed;
            return;
        }
        ++t.failed;
        std::fprintf(stderr, "FAIL %.*s.%.*s (sample kind %d seed %llu): %s\n", static_cast<int>(type.schema.size()),
                     type.schema.data(), static_cast<int>(type.name.size()), type.name.data(),
                     static_cast<int>(spec.kind), static_cast<unsigned long long>(spec.seed), what);
    }

    void check_sample(const MessageType& type, const SampleSpec& spec) {
        std::vector<std::uint8_t> buf(codec::samples::MAX_SAMPLE_LENGTH);
        const std::size_t n = codec::samples::encode_sample(type, spec, buf.data(), buf.size());
        expect(type, n > 0, "encode", spec);
        if (n == 0) {
            return;
        }
        buf.resize(n);
        expect(type, codec::samples::verify_sample(type, spec, buf.data(), n), "decode and verify every value", spec);

        if (!type.headerless) {
            bool verified = false;
            auto handler = [&](auto& message) { verified = codec::samples::verify_sample(message, spec); };
            codec::DispatchCounters counters;
            const auto outcome = codec::dispatch(buf, handler, counters);
            expect(type, outcome.result == codec::DispatchResult::Delivered && verified, "dispatch", spec);
            std::size_t ignored = 0;
            const auto cut = codec::check_message({buf.data(), n - 1}, ignored);
            expect(type, cut.reason == codec::DropReason::MalformedBody, "dispatch drops a truncated copy", spec);
        }

        codec::Json fields;
        std::size_t body = 0;
        const std::size_t offset = type.headerless ? 0 : codec::MESSAGE_HEADER_LENGTH;
        const auto e = codec::body_to_json(type, buf, offset, type.block_length, type.schema_version, fields, body);
        std::vector<std::uint8_t> out(n + 64);
        const auto written = codec::encode_from_json(type, fields, out, !type.headerless);
        const bool same = e == codec::CodecError::None && written.has_value() && *written == n &&
                          std::memcmp(out.data(), buf.data(), n) == 0;
        expect(type, same, "JSON round trip", spec);
        if (m_verbose && same) {
            std::printf("ok %.*s.%.*s kind %d: %zu bytes\n", static_cast<int>(type.schema.size()), type.schema.data(),
                        static_cast<int>(type.name.size()), type.name.data(), static_cast<int>(spec.kind), n);
        }
    }

    bool m_verbose;
    std::map<std::uint16_t, Tally> m_tally;
    std::size_t m_golden_total{0};
};

auto run(const Options& opt) -> int {
    SelfCheck check(opt.verbose);
    check.round_trips();
    std::error_code ec;
    std::filesystem::path golden = opt.golden;
    if (golden.empty() && std::filesystem::is_directory("../shared/golden", ec)) {
        golden = "../shared/golden";
    }
    if (!golden.empty()) {
        if (codec::list_golden_vectors(golden).empty()) {
            std::fprintf(stderr, "selfcheck: no golden vectors (*.bin) under %s\n", golden.c_str());
            return EXIT_IO;
        }
        check.golden(golden);
    }
    const bool ok = check.print();
    if (golden.empty()) {
        std::printf("golden vectors: not checked (pass --golden DIR)\n");
    } else {
        std::printf("golden vectors: %zu from %s\n", check.golden_total(), golden.c_str());
    }
    std::printf("selfcheck: %s\n", ok ? "all checks passed" : "FAILED");
    return ok ? EXIT_OK : EXIT_FAILURE_RUNTIME;
}

const SubcommandRegistration REG{
    "selfcheck", "Round-trip every message through the codecs and dispatcher; check golden vectors", [](CLI::App& app) {
        auto opt = std::make_shared<Options>();
        app.add_option("--golden", opt->golden, "Directory of golden vectors (default: ../shared/golden if present)");
        app.add_flag("-v,--verbose", opt->verbose, "Print every passing round trip");
        return SubcommandRunner{[opt] { return run(*opt); }};
    }};

} // namespace
} // namespace tp::apps
