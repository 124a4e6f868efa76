// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary control-stream bytes into the driver's handlers. The input is split
// into messages (2-byte length prefixes); each goes through the dispatcher into DriverState exactly
// as the conductor does, with a fake filesystem and a proxy that re-encodes every response (so the
// encoders see whatever state the fuzzer reaches). The clock advances between messages so leases
// expire and announces fire.
#include "codec/dispatch.hpp"
#include "codec/message_convert.hpp"
#include "driver/driver_state.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace {

using namespace tp::driver;

class FuzzProvisioner final : public RegionProvisioner {
public:
    auto provision(std::uint32_t stream_id, std::uint64_t epoch, const ProfileConfig& profile, bool /*huge*/)
        -> tp::Expected<StreamLayout> override {
        if ((epoch & 7U) == 3U) {
            return tp::make_error(tp::ErrorCode::IoError, "simulated failure");
        }
        StreamLayout l;
        l.stream_id = stream_id;
        l.epoch = epoch;
        l.header_nslots = profile.header_nslots;
        l.header_region_uri = "shm:file?path=/dev/shm/f/header.ring";
        for (const auto& p : profile.payload_pools) {
            l.pools.push_back({p.pool_id, profile.header_nslots, p.stride_bytes, "shm:file?path=/dev/shm/f/1.pool"});
        }
        return l;
    }
    [[nodiscard]] auto largest_existing_epoch(std::uint32_t) const -> std::uint64_t override { return 0; }
    void collect_epochs(std::uint32_t, std::uint64_t) override {}
    void remove_stream(std::uint32_t) override {}
    [[nodiscard]] auto base_is_hugetlbfs() const -> bool override { return false; }
};

class EncodingProxy final : public DriverProxy {
public:
    void send_attach_response(const AttachResponse& r) override { check(tp::codec::encode(r, m_buf)); }
    void send_detach_response(const DetachResponse& r) override { check(tp::codec::encode(r, m_buf)); }
    void send_lease_revoked(const LeaseRevoked& r) override { check(tp::codec::encode(r, m_buf)); }
    void send_announce(const PoolAnnounce& a) override { check(tp::codec::encode(tp::codec::to_control(a), m_buf)); }
    void send_shutdown(const ShutdownNotice& n) override { check(tp::codec::encode(n, m_buf)); }

private:
    void check(std::size_t n) {
        if (n == 0 || n > m_buf.size()) {
            __builtin_trap(); // every driver response must encode
        }
    }
    std::array<std::uint8_t, 64 * 1024> m_buf{};
};

struct Handlers {
    DriverState* state;
    void operator()(tp::codec::driver::ShmAttachRequest& m) { state->on_attach(tp::codec::decode(m)); }
    void operator()(tp::codec::driver::ShmDetachRequest& m) { state->on_detach(tp::codec::decode(m)); }
    void operator()(tp::codec::driver::ShmLeaseKeepalive& m) { state->on_keepalive(tp::codec::decode(m)); }
    void operator()(tp::codec::driver::ShmDriverShutdownRequest& m) {
        state->on_shutdown_request(tp::codec::decode(m));
    }
};

auto make_config() -> DriverConfig {
    auto c = DriverConfig::defaults();
    c.profiles[0].header_nslots = 8;
    c.policies.allow_dynamic_streams = true;
    c.driver.stream_id_range = tp::common::IdRange{20000, 20003};
    c.policies.shutdown_token = "tok";
    return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const DriverConfig config = make_config();
    FuzzProvisioner fs;
    EncodingProxy proxy;
    tp::common::ManualClock clock;
    DriverState state(config, fs, proxy, clock, 42);
    state.start();
    Handlers h{&state};
    tp::codec::DispatchCounters counters;
    std::size_t pos = 0;
    while (pos + 2 <= size) {
        std::uint16_t len = 0;
        std::memcpy(&len, data + pos, 2);
        pos += 2;
        const std::size_t n = std::min<std::size_t>(len, size - pos);
        (void)tp::codec::dispatch(std::span<const std::uint8_t>(data + pos, n), h, counters);
        pos += n;
        clock.advance_ns(std::uint64_t{len} * 1'000'000ULL);
        state.do_work();
    }
    return 0;
}
