// Publishes 100 frames of 640x480 uint8 on stream 10000, then exits. Usage: [frames [--wait-consumer]]
// Needs a running driver (`tensorpool driver`); the environment may redirect the transport
// (TP_TRANSPORT_DIR) and the allowed SHM directories (TP_ALLOWED_BASE_DIRS).
#include <tensorpool/producer.hpp>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    const int frames = argc > 1 ? std::atoi(argv[1]) : 100;
    tp::ProducerOptions options;
    options.context = tp::ClientContext::from_environment();
    options.stream_id = 10000;
    options.name = "minimal-producer";

    auto producer = tp::Producer::create(options);
    if (!producer) {
        std::fprintf(stderr, "%s\n", producer.error().to_string().c_str());
        return 1;
    }
    if (!producer->wait_ready(10000)) {
        std::fprintf(stderr, "no lease from the driver within 10 s (is `tensorpool driver` running?)\n");
        return 1;
    }
    while (argc > 2 && producer->stats().consumers == 0) { // "--wait-consumer": until one says hello
        producer->do_work();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::int32_t shape[] = {480, 640};
    for (int i = 0; i < frames; ++i) {
        tp::FrameClaim frame = producer->try_claim(480 * 640); // zero-copy: write into shared memory
        if (!frame.is_valid()) {
            std::fprintf(stderr, "claim failed: %s\n", tp::to_string(frame.result()));
            return 1;
        }
        for (std::size_t px = 0; px < frame.payload().size(); ++px) {
            frame.payload()[px] = static_cast<std::byte>(i + static_cast<int>(px));
        }
        frame.set_dtype(tp::Dtype::Uint8).set_shape(shape);
        producer->commit(std::move(frame));
        producer->do_work(); // keepalives, QoS, metadata
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::printf("published %d frames, epoch %llu\n", frames, static_cast<unsigned long long>(producer->stats().epoch));
    return 0;
}
