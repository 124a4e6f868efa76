// SPDX-License-Identifier: Apache-2.0
// Writes seed inputs for fuzz_driver_handlers: sequences of length-prefixed driver requests
// encoded with the project's own encoders. Usage: make_driver_corpus <dir>
#include "codec/message_convert.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace tp::driver;

struct Seq {
    std::vector<std::uint8_t> bytes;
    template <typename M>
    auto add(const M& m) -> Seq& {
        std::array<std::uint8_t, 4096> buf{};
        const auto n = tp::codec::encode(m, buf);
        bytes.push_back(static_cast<std::uint8_t>(n & 0xFF));
        bytes.push_back(static_cast<std::uint8_t>(n >> 8));
        bytes.insert(bytes.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        return *this;
    }
};

auto attach(std::int64_t corr, std::uint32_t client, std::uint8_t role, std::uint32_t stream = 10000,
            std::uint8_t mode = 1) -> AttachRequest {
    AttachRequest r;
    r.correlation_id = corr;
    r.client_id = client;
    r.role = role;
    r.stream_id = stream;
    r.publish_mode = mode;
    r.expected_layout_version = 1;
    return r;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: make_driver_corpus <dir>\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::vector<std::pair<std::string, Seq>> seeds;
    seeds.emplace_back("attach_producer", Seq{}.add(attach(1, 7, 1)));
    seeds.emplace_back(
        "attach_keepalive_detach",
        Seq{}.add(attach(1, 7, 1)).add(Keepalive{1, 10000, 7, 1, 0}).add(DetachRequest{2, 1, 10000, 7, 1}));
    seeds.emplace_back("two_producers_consumer", Seq{}.add(attach(1, 7, 1)).add(attach(2, 8, 1)).add(attach(3, 9, 2)));
    seeds.emplace_back("dynamic_streams",
                       Seq{}.add(attach(1, 7, 1, 5, 2)).add(attach(2, 8, 1, 6, 2)).add(attach(3, 9, 2, 20000, 1)));
    seeds.emplace_back("shutdown", Seq{}.add(attach(1, 7, 2)).add(ShutdownRequest{5, 1, "tok", "bye"}));
    seeds.emplace_back("bad_values", Seq{}.add(attach(1, 0, 9, 0, 77)).add(Keepalive{0, 0, 0, 0, 0}));
    for (const auto& [name, seq] : seeds) {
        std::ofstream out(dir + "/" + name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(seq.bytes.data()), static_cast<std::streamsize>(seq.bytes.size()));
    }
    std::printf("wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
    return 0;
}
