// SPDX-License-Identifier: Apache-2.0
// Writes the fuzz seed corpora with the project's own encoders (tensorpool/codec/samples.hpp):
//   make_corpus OUT_DIR      -> OUT_DIR/<target>/<Message>__<kind>.bin for every fuzz target
// Each schema target gets every message of its schema as a typical, an all-null and an extreme
// sample, plus a truncated one; the dispatch target gets one of every message sent with a header and
// a few malformed inputs. Deterministic: rerunning gives the same files.
#include "tensorpool/codec/samples.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

using tp::codec::MessageType;
using tp::codec::samples::SampleKind;
using tp::codec::samples::SampleSpec;

auto write_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) -> bool {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
        return false;
    }
    const bool ok = std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && ok;
}

auto encode(const MessageType& type, SampleSpec spec) -> std::vector<std::uint8_t> {
    std::vector<std::uint8_t> buf(tp::codec::samples::MAX_SAMPLE_LENGTH);
    buf.resize(tp::codec::samples::encode_sample(type, spec, buf.data(), buf.size()));
    return buf;
}

auto kind_name(SampleKind k) -> const char* {
    switch (k) {
    case SampleKind::Typical:
        return "typical";
    case SampleKind::Nulls:
        return "nulls";
    case SampleKind::Extremes:
        return "extremes";
    }
    return "unknown";
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path root = argv[1];
    bool ok = true;
    std::size_t files = 0;
    auto emit = [&](const std::string& target, const std::string& name, const std::vector<std::uint8_t>& bytes) {
        std::error_code ec;
        std::filesystem::create_directories(root / target, ec);
        ok = write_file(root / target / (name + ".bin"), bytes.data(), bytes.size()) && ok;
        ++files;
    };

    for (const MessageType& type : tp::codec::MESSAGE_TYPES) {
        const std::string target(type.schema);
        const std::string base(type.name);
        for (const SampleKind kind : {SampleKind::Typical, SampleKind::Nulls, SampleKind::Extremes}) {
            const auto bytes = encode(type, {kind, 1});
            if (bytes.empty()) {
                std::fprintf(stderr, "make_corpus: %s does not encode\n", base.c_str());
                return 1;
            }
            emit(target, base + "__" + kind_name(kind), bytes);
            if (kind == SampleKind::Typical && !type.headerless) {
                emit("dispatch", std::string(type.schema) + "_" + base, bytes);
                auto cut = bytes;
                cut.resize(cut.size() - 1); // one byte short: a malformed body
                emit(target, base + "__truncated", cut);
            }
        }
    }
    // §3: a discovery request whose tags group says blockLength 4 (accepted).
    if (const MessageType* req = tp::codec::find_message_type(910, 1); req != nullptr) {
        auto bytes = encode(*req, {SampleKind::Typical, 2});
        bytes[40] = 4;
        emit("discovery", "DiscoveryRequest__tags_block4", bytes);
        emit("dispatch", "discovery_DiscoveryRequest_tags_block4", bytes);
    }
    // Drops for the dispatcher: too short, unknown schema, bad version, short block.
    if (const MessageType* fd = tp::codec::find_message_type(900, 4); fd != nullptr) {
        const auto bytes = encode(*fd, {SampleKind::Typical, 3});
        emit("dispatch", "drop_too_short", {bytes.begin(), bytes.begin() + 5});
        auto schema = bytes;
        schema[4] = 0x55;
        emit("dispatch", "drop_unknown_schema", schema);
        auto version = bytes;
        version[6] = 2;
        emit("dispatch", "drop_bad_version", version);
        auto block = bytes;
        block[0] = 39;
        emit("dispatch", "drop_bad_block_length", block);
    }
    std::printf("make_corpus: wrote %zu files under %s\n", files, root.c_str());
    return ok ? 0 : 1;
}
