// Receives frames of stream 10000 zero-copy until `count` frames arrived (default 100).
// Needs a running driver (`tensorpool driver`); see minimal_producer.cpp for the environment.
#include <tensorpool/consumer.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
    const std::uint64_t wanted = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100;
    tp::ConsumerOptions options;
    options.context = tp::ClientContext::from_environment();
    options.stream_id = 10000;

    auto consumer = tp::Consumer::create(options);
    if (!consumer) {
        std::fprintf(stderr, "%s\n", consumer.error().to_string().c_str());
        return 1;
    }
    std::uint64_t received = 0;
    std::uint64_t checksum = 0;
    auto on_frame = [&](const tp::Frame& frame) {
        // The payload is read in place, in the producer's shared memory.
        std::uint64_t sum = 0;
        for (std::byte b : frame.payload) {
            sum += static_cast<std::uint8_t>(b);
        }
        if (frame.still_valid()) { // the slot was not reused while we read it
            checksum += sum;
            ++received;
        }
    };
    while (received < wanted) {
        if (consumer->poll(on_frame) == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    const auto stats = consumer->stats();
    std::printf("received %llu frames (checksum %llu), drops gap %llu late %llu\n",
                static_cast<unsigned long long>(received), static_cast<unsigned long long>(checksum),
                static_cast<unsigned long long>(stats.drops_gap), static_cast<unsigned long long>(stats.drops_late));
    return 0;
}
