// SPDX-License-Identifier: Apache-2.0
// `tensorpool bench`: the driver process and the producer / consumer processes of each scenario
// (bench_system.hpp). Frames carry perf/pattern.hpp's pattern: a consumer that reads every byte
// knows whether the frame is the one the descriptor named.
#include "bench_system.hpp"

#include "common/clock.hpp"
#include "concurrent/atomic_ops.hpp"
#include "concurrent/idle_strategy.hpp"
#include "perf/pattern.hpp"
#include "tensorpool/consumer.hpp"
#include "tensorpool/driver.hpp"
#include "tensorpool/producer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <sys/resource.h>
#include <time.h>

namespace tp::apps::bench {

// ---- shared control block -----------------------------------------------------------------------

namespace {

/// MEASURE + k is the k-th sub-window of the measurement; every value from MEASURE on measures.
enum Phase : int { SETUP = 0, WARMUP = 1, STOP = 2, MEASURE = 3 };
enum State : int { STARTING = 0, READY = 1, DONE = 2, FAILED = 3 };
constexpr int SUB_WINDOWS = 8;

/// One process's figures. The plain fields are written before `state` is stored DONE (release) and
/// read by the parent after it loads DONE (acquire).
struct RoleSlot {
    std::atomic<int> state{STARTING};
    std::uint64_t frames{0};
    std::uint64_t bytes{0};
    std::uint64_t corrupt{0};
    std::uint64_t drops_gap{0};
    std::uint64_t drops_late{0};
    std::uint64_t failures{0};
    std::uint64_t credit_timeouts{0};
    std::uint64_t window_ns{0};
    std::uint64_t cpu_ns{0};
    std::uint64_t page_faults{0};
    double best_frames_per_s{0};
    double best_bytes_per_s{0};
    perf::Percentiles latency;
};

/// The best rate over the sub-windows of the measurement (the parent advances the phase at
/// each sub-window boundary).
class SubWindows {
public:
    /// At a phase change seen while measuring, and at the end: closes the current sub-window.
    void close(std::uint64_t now_ns, std::uint64_t frames, std::uint64_t bytes) noexcept {
        if (m_started && now_ns > m_start_ns) {
            const double dt = static_cast<double>(now_ns - m_start_ns);
            m_best_fps = std::max(m_best_fps, static_cast<double>(frames - m_frames) * 1e9 / dt);
            m_best_bps = std::max(m_best_bps, static_cast<double>(bytes - m_bytes) * 1e9 / dt);
        }
        m_started = true;
        m_start_ns = now_ns;
        m_frames = frames;
        m_bytes = bytes;
    }
    void store(RoleSlot& slot) const noexcept {
        slot.best_frames_per_s = m_best_fps;
        slot.best_bytes_per_s = m_best_bps;
    }

private:
    bool m_started{false};
    std::uint64_t m_start_ns{0};
    std::uint64_t m_frames{0};
    std::uint64_t m_bytes{0};
    double m_best_fps{0};
    double m_best_bps{0};
};

} // namespace

struct SystemRig::Control {
    alignas(64) std::atomic<int> phase{SETUP};
    alignas(64) std::atomic<std::uint64_t> done_seq{0}; ///< consumer 0: seq + 1 of its last finished frame
    alignas(64) std::atomic<int> consumers_ready{0};
    alignas(64) std::atomic<std::uint64_t> published{0}; ///< frames the producer committed, from the start
    alignas(64) RoleSlot producer;
    RoleSlot consumer[MAX_CONSUMERS];
};

namespace {

auto minor_faults() noexcept -> std::uint64_t {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    return static_cast<std::uint64_t>(u.ru_minflt);
}

auto thread_cpu_ns() noexcept -> std::uint64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// relaxed: the phase only gates when counting starts and stops; no data is published through it.
auto phase_of(const SystemRig::Control* c) noexcept -> int {
    return c->phase.load(std::memory_order_relaxed);
}

void finish(RoleSlot& slot, int state) noexcept {
    // SYNC POINT(bench-result): release pairs with the parent's acquire of the state; publishes the
    // plain result fields.
    slot.state.store(state, std::memory_order_release);
}

auto client_context(const std::string& dir) -> ClientContext {
    ClientContext c;
    c.transport_dir = dir + "/transport";
    c.allowed_base_dirs = {dir + "/shm"};
    c.announce_period_ns = 200'000'000ULL; // the driver's policies.announce_period_ms
    c.keepalive_interval_ns = 200'000'000ULL;
    c.hello_interval_ns = 200'000'000ULL;
    c.qos_interval_ns = 200'000'000ULL;
    c.attach_retry_ns = 50'000'000ULL;
    c.attach_timeout_ns = 500'000'000ULL;
    return c;
}

auto producer_main(const std::string& dir, const Scenario& s, SystemRig::Control* c) -> int {
    RoleSlot& slot = c->producer;
    ProducerOptions o;
    o.context = client_context(dir);
    o.stream_id = s.stream_id;
    o.name = "bench-" + s.name;
    auto p = Producer::create(o);
    if (!p) {
        std::fprintf(stderr, "tensorpool bench: producer: %s\n", p.error().to_string().c_str());
        finish(slot, FAILED);
        return 1;
    }
    if (!p->wait_ready(20000)) {
        std::fprintf(stderr, "tensorpool bench: producer: no lease for stream %u\n", s.stream_id);
        finish(slot, FAILED);
        return 1;
    }
    slot.state.store(READY, std::memory_order_relaxed); // relaxed: a progress flag, publishes nothing
    const auto setup_deadline = common::monotonic_ns() + 60'000'000'000ULL;
    while (phase_of(c) == SETUP) {
        p->do_work();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (common::monotonic_ns() > setup_deadline) {
            finish(slot, FAILED);
            return 1;
        }
    }
    const std::int32_t shape[] = {static_cast<std::int32_t>(s.frame_bytes)};
    const auto period_ns = s.pace == Pace::Rate ? static_cast<std::uint64_t>(1e9 / s.rate_hz) : 0;
    std::uint64_t next_ns = common::monotonic_ns();
    std::uint64_t frames = 0;
    std::uint64_t failures = 0;
    std::uint64_t credit_timeouts = 0;
    std::uint64_t t0 = 0;
    std::uint64_t cpu0 = 0;
    std::uint64_t faults0 = 0;
    std::uint64_t iter = 0;
    std::uint64_t last_work_ns = 0;
    perf::SpinYield pacing;
    std::uint64_t published = 0;
    bool measuring = false;
    int last_phase = SETUP;
    SubWindows windows;
    for (;;) {
        const int ph = phase_of(c);
        if (ph != last_phase) {
            last_phase = ph;
            if (ph >= MEASURE && !measuring) {
                measuring = true;
                t0 = common::monotonic_ns();
                cpu0 = thread_cpu_ns();
                faults0 = minor_faults();
            }
            if (measuring) {
                windows.close(common::monotonic_ns(), frames, frames * s.frame_bytes);
            }
        }
        if (ph == STOP) {
            break;
        }
        // The duty cycle (keepalives, QoS, consumer hellos) every 16 frames or 1 ms, whichever
        // comes first: it polls three streams, which a hot publish loop need not do per frame,
        // and it keeps the lease alive however long frames take to fill.
        const std::uint64_t now = common::monotonic_ns();
        if (++iter >= 16 || now - last_work_ns >= 1'000'000ULL) {
            p->do_work();
            iter = 0;
            last_work_ns = now;
        }
        if (s.pace == Pace::Rate) {
            if (now < next_ns) {
                if (next_ns - now > 200'000) {
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
                } else {
                    pacing.idle();
                }
                continue;
            }
            next_ns = now > next_ns + 100 * period_ns ? now + period_ns : next_ns + period_ns; // no bursts
        }
        FrameClaim claim = p->try_claim(s.frame_bytes);
        if (!claim.is_valid()) {
            failures += measuring ? 1 : 0;
            continue;
        }
        if (s.pace == Pace::Credit) {
            // SYNC POINT(bench-credit): acquire pairs with consumer 0's release of done_seq: the
            // slot this claim reuses was read to the end.
            const auto give_up = common::monotonic_ns() + 100'000'000ULL;
            perf::SpinYield spin;
            while (claim.seq() >= c->done_seq.load(std::memory_order_acquire) + s.window && phase_of(c) != STOP) {
                spin.idle();
                if (common::monotonic_ns() - last_work_ns >= 1'000'000ULL) {
                    p->do_work();
                    last_work_ns = common::monotonic_ns();
                }
                if (common::monotonic_ns() > give_up) {
                    ++credit_timeouts;
                    break;
                }
            }
        }
        perf::fill_pattern(claim.payload().data(), s.frame_bytes, claim.seq(), s.stores);
        claim.set_dtype(Dtype::Uint8).set_shape(shape).set_timestamp_ns(common::monotonic_ns());
        const auto r = p->commit(std::move(claim));
        // relaxed: a progress count for the parent's warm-up check, publishes nothing.
        c->published.store(++published, std::memory_order_relaxed);
        if (measuring) {
            r == PublishResult::Ok ? ++frames : ++failures;
        }
    }
    slot.cpu_ns = measuring ? thread_cpu_ns() - cpu0 : 0;
    slot.page_faults = measuring ? minor_faults() - faults0 : 0;
    slot.window_ns = measuring ? common::monotonic_ns() - t0 : 0;
    slot.frames = frames;
    slot.bytes = frames * s.frame_bytes;
    windows.store(slot);
    slot.failures = failures;
    slot.credit_timeouts = credit_timeouts;
    finish(slot, DONE);
    return 0;
}

auto consumer_main(const std::string& dir, const Scenario& s, int idx, SystemRig::Control* c) -> int {
    RoleSlot& slot = c->consumer[idx];
    ConsumerOptions o;
    o.context = client_context(dir);
    o.stream_id = s.stream_id;
    auto con = Consumer::create(o);
    if (!con || !con->wait_mapped(20000)) {
        std::fprintf(stderr, "tensorpool bench: consumer %d: not mapped\n", idx);
        finish(slot, FAILED);
        return 1;
    }
    std::vector<std::uint64_t> latency;
    if (s.latency) {
        const double expected = (s.pace == Pace::Rate ? s.rate_hz : 1e6) * s.measure_s * 1.5 + 1000;
        latency.reserve(static_cast<std::size_t>(std::min(expected, 8e6)));
    }
    bool measuring = false;
    std::uint64_t frames = 0;
    std::uint64_t corrupt = 0;
    const bool credit = idx == 0 && s.pace == Pace::Credit;
    auto on_frame = [&](const Frame& f) {
        const std::uint64_t now = common::monotonic_ns();
        const bool good = s.work == Work::Checksum
                              ? perf::check_pattern(f.payload.data(), f.payload.size(), f.seq)
                              : perf::spot_check_pattern(f.payload.data(), f.payload.size(), f.seq);
        if (!f.still_valid()) {
            return; // overwritten while read: the consumer counts a late drop
        }
        if (credit) {
            // SYNC POINT(bench-credit): release pairs with the producer's acquire; our reads of
            // this slot are done.
            c->done_seq.store(f.seq + 1, std::memory_order_release);
        }
        if (!measuring) {
            return;
        }
        ++frames;
        corrupt += good && f.payload.size() == s.frame_bytes ? 0 : 1;
        if (s.latency && latency.size() < latency.capacity() && now > f.timestamp_ns) {
            latency.push_back(now - f.timestamp_ns);
        }
    };
    c->consumers_ready.fetch_add(1, std::memory_order_relaxed); // relaxed: a count, publishes nothing
    slot.state.store(READY, std::memory_order_relaxed);
    // Many consumers on few cores: spin briefly, then sleep (no yields: a yielding process stays
    // runnable and takes its share of the producer's core).
    concurrent::BackoffIdleStrategy backoff(10, 0, std::chrono::microseconds(50), std::chrono::milliseconds(1));
    ConsumerStats before{};
    std::uint64_t t0 = 0;
    std::uint64_t faults0 = 0;
    const auto setup_deadline = common::monotonic_ns() + 60'000'000'000ULL;
    int last_phase = SETUP;
    SubWindows windows;
    perf::SpinYield spin;
    for (;;) {
        const int ph = phase_of(c);
        if (ph != last_phase) {
            last_phase = ph;
            if (ph >= MEASURE && !measuring) {
                measuring = true;
                before = con->stats();
                t0 = common::monotonic_ns();
                faults0 = minor_faults();
            }
            if (measuring) {
                windows.close(common::monotonic_ns(), frames, frames * s.frame_bytes);
            }
        }
        if (ph == STOP) {
            break;
        }
        const int n = con->poll(on_frame, 64);
        if (ph == SETUP) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            if (common::monotonic_ns() > setup_deadline) {
                finish(slot, FAILED);
                return 1;
            }
        } else if (s.idle == Idle::Spin) {
            n == 0 ? spin.idle() : spin.reset();
        } else {
            backoff.idle(n);
        }
    }
    const ConsumerStats after = con->stats();
    slot.window_ns = measuring ? common::monotonic_ns() - t0 : 0;
    slot.page_faults = measuring ? minor_faults() - faults0 : 0;
    slot.frames = frames;
    slot.bytes = frames * s.frame_bytes;
    windows.store(slot);
    slot.corrupt = corrupt;
    slot.drops_gap = after.drops_gap - before.drops_gap;
    slot.drops_late = after.drops_late - before.drops_late;
    slot.latency = perf::percentiles_of(latency);
    finish(slot, DONE);
    return 0;
}

auto driver_toml(const std::string& dir, const std::vector<StreamProfile>& streams) -> std::string {
    std::string t = "[driver]\ninstance_id = \"bench-driver\"\ntransport_dir = \"" + dir +
                    "/transport\"\n[shm]\nbase_dir = \"" + dir +
                    "/shm\"\n[policies]\nannounce_period_ms = 200\nlease_keepalive_interval_ms = 200\n"
                    "shutdown_timeout_ms = 0\nprefault_shm = true\n";
    for (const auto& s : streams) {
        const std::string name = "s" + std::to_string(s.stream_id);
        t += "[profiles." + name + "]\nheader_nslots = " + std::to_string(s.nslots) +
             "\npayload_pools = [ { pool_id = 1, stride_bytes = " + std::to_string(s.stride_bytes) + " } ]\n";
        t += "[streams." + name + "]\nstream_id = " + std::to_string(s.stream_id) + "\nprofile = \"" + name + "\"\n";
    }
    return t;
}

/// Sleeps `seconds` in small steps; false if a stop was requested meanwhile.
auto sleep_unless_stopped(double seconds, const std::atomic<bool>& stop) -> bool {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (stop.load(std::memory_order_relaxed)) { // relaxed: a request flag
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

} // namespace

// ---- SystemRig ----------------------------------------------------------------------------------

SystemRig::SystemRig(std::string dir, const std::vector<StreamProfile>& streams, const std::atomic<bool>& stop)
    : m_dir(std::move(dir)), m_stop(stop) {
    if (!m_driver_state.valid() || !m_driver_stop.valid()) {
        m_error = "cannot map shared memory";
        return;
    }
    const std::string toml = driver_toml(m_dir, streams);
    std::atomic<int>* state = m_driver_state.get();
    std::atomic<bool>* driver_stop = m_driver_stop.get();
    m_driver = perf::Child::fork([toml, state, driver_stop] {
        auto drv = Driver::create_from_toml(toml);
        if (!drv) {
            std::fprintf(stderr, "tensorpool bench: driver: %s\n", drv.error().to_string().c_str());
            state->store(FAILED);
            return 1;
        }
        state->store(READY);
        drv->run(*driver_stop); // backoff idle strategy: an idle driver leaves the CPUs to the clients
        state->store(DONE);
        return 0;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (m_driver_state->load() == STARTING && m_driver.running() && std::chrono::steady_clock::now() < deadline &&
           !m_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (m_driver_state->load() != READY) {
        m_error = "the driver did not start";
    }
}

SystemRig::~SystemRig() {
    if (m_driver_stop.valid()) {
        m_driver_stop->store(true);
    }
    (void)m_driver.wait(std::chrono::seconds(5));
}

auto SystemRig::run(const Scenario& s) -> ScenarioResult {
    ScenarioResult r;
    perf::SharedMapping<Control> ctl;
    if (!ctl.valid() || s.consumers < 1 || s.consumers > MAX_CONSUMERS) {
        r.error = "bad scenario";
        return r;
    }
    if (!m_driver.running()) {
        r.error = "the driver process exited";
        return r;
    }
    Control* c = ctl.get();
    const std::string dir = m_dir;
    perf::Child producer = perf::Child::fork([dir, s, c] { return producer_main(dir, s, c); });
    auto wait_for = [&](auto&& done, const char* what) -> bool {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!done()) {
            if (m_stop.load() || std::chrono::steady_clock::now() > deadline || !producer.running() ||
                !m_driver.running()) {
                r.error = std::string(m_stop.load() ? "interrupted" : "timed out") + " waiting for " + what;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return true;
    };
    if (!wait_for([&] { return c->producer.state.load() == READY; }, "the producer's lease")) {
        return r;
    }
    std::vector<perf::Child> consumers;
    for (int i = 0; i < s.consumers; ++i) {
        consumers.push_back(perf::Child::fork([dir, s, i, c] { return consumer_main(dir, s, i, c); }));
    }
    if (!wait_for([&] { return c->consumers_ready.load() == s.consumers; }, "the consumers to map the stream")) {
        return r;
    }
    c->phase.store(WARMUP);
    bool completed = sleep_unless_stopped(s.warmup_s, m_stop);
    // The first lap through the slots maps pages into each process (page faults, expensive on
    // virtual machines): measure from the third lap on.
    if (completed && !wait_for([&] { return c->published.load() >= 2ULL * s.nslots; }, "two laps of warm-up")) {
        c->phase.store(STOP);
        return r;
    }
    // SUB_WINDOWS sub-windows: each process reports its mean rate and its best sub-window's.
    for (int k = 0; k < SUB_WINDOWS && completed; ++k) {
        c->phase.store(MEASURE + k);
        completed = sleep_unless_stopped(s.measure_s / SUB_WINDOWS, m_stop);
    }
    c->phase.store(STOP);
    bool children_ok = producer.wait(std::chrono::seconds(20));
    for (auto& ch : consumers) {
        children_ok = ch.wait(std::chrono::seconds(20)) && children_ok;
    }
    if (!completed) {
        r.error = "interrupted";
        return r;
    }
    // SYNC POINT(bench-result): acquire pairs with each child's release of its state.
    if (!children_ok || c->producer.state.load(std::memory_order_acquire) != DONE) {
        r.error = "a producer or consumer process failed";
        return r;
    }
    const auto& ps = c->producer;
    r.producer_frames = ps.frames;
    r.producer_frames_per_s =
        ps.window_ns > 0 ? static_cast<double>(ps.frames) * 1e9 / static_cast<double>(ps.window_ns) : 0;
    r.producer_best_frames_per_s = ps.best_frames_per_s;
    r.producer_cpu_ns_per_frame = ps.frames > 0 ? static_cast<double>(ps.cpu_ns) / static_cast<double>(ps.frames) : 0;
    r.producer_failures = ps.failures;
    r.credit_timeouts = ps.credit_timeouts;
    r.producer_page_faults = ps.page_faults;
    for (int i = 0; i < s.consumers; ++i) {
        const auto& cs = c->consumer[i];
        if (cs.state.load(std::memory_order_acquire) != DONE) {
            r.error = "consumer " + std::to_string(i) + " failed";
            return r;
        }
        ConsumerFigures f;
        f.frames = cs.frames;
        const double secs = static_cast<double>(cs.window_ns) / 1e9;
        f.frames_per_s = secs > 0 ? static_cast<double>(cs.frames) / secs : 0;
        f.bytes_per_s = secs > 0 ? static_cast<double>(cs.bytes) / secs : 0;
        f.best_frames_per_s = cs.best_frames_per_s;
        f.best_bytes_per_s = cs.best_bytes_per_s;
        f.corrupt = cs.corrupt;
        f.drops_gap = cs.drops_gap;
        f.drops_late = cs.drops_late;
        f.latency_ns = cs.latency;
        f.page_faults = cs.page_faults;
        r.consumers.push_back(f);
    }
    r.ok = true;
    return r;
}

} // namespace tp::apps::bench
