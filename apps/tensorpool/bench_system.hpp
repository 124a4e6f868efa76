// SPDX-License-Identifier: Apache-2.0
#pragma once

// `tensorpool bench`: the scenarios that run through the real system. A driver process, one
// producer process and N consumer processes (all forked) share a private transport and SHM
// directory; the parent sets the phases and collects the figures through a shared mapping.

#include "perf/pattern.hpp"
#include "perf/process.hpp"
#include "perf/timing.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tp::apps::bench {

inline constexpr int MAX_CONSUMERS = 4;

/// How a consumer waits when a poll found nothing.
enum class Idle : std::uint8_t {
    Spin,    ///< busy-spin with a pause hint and a yield every 256 idle polls (perf::SpinYield)
    Backoff, ///< a few spins, then park 50 us doubling to 1 ms; no yields (many consumers on few cores)
};

/// What a consumer does with each frame's payload.
enum class Work : std::uint8_t {
    Checksum, ///< reads every byte (sum of the 64-bit words) and checks it against the pattern
    Spot,     ///< checks the first and last word only
};

/// How the producer paces itself.
enum class Pace : std::uint8_t {
    Rate,      ///< fixed rate (rate_hz), timestamps taken just before commit
    Unlimited, ///< as fast as it can claim, fill and commit
    Credit,    ///< as fast as it can, but at most `window` frames ahead of consumer 0
};

/// One scenario through the real system.
struct Scenario {
    std::string name;
    std::uint32_t stream_id{0};
    std::uint32_t nslots{1024}; ///< slots of the stream: warm-up lasts until the producer went twice round
    std::size_t frame_bytes{64};
    int consumers{1};
    Pace pace{Pace::Rate};
    double rate_hz{10000};
    std::uint32_t window{8}; ///< Pace::Credit
    Work work{Work::Checksum};
    perf::Stores stores{perf::Stores::Regular}; ///< how the producer writes the payload
    Idle idle{Idle::Spin};
    bool latency{false}; ///< consumers record publish -> consume latency
    double warmup_s{0.5};
    double measure_s{2.0};
};

/// One consumer's figures over the measured window.
struct ConsumerFigures {
    std::uint64_t frames{0};
    double frames_per_s{0};
    double bytes_per_s{0};
    double best_frames_per_s{0}; ///< the best of 8 equal sub-windows
    double best_bytes_per_s{0};  ///< the best of 8 equal sub-windows
    std::uint64_t corrupt{0};
    std::uint64_t drops_gap{0};
    std::uint64_t drops_late{0};
    perf::Percentiles latency_ns;
    std::uint64_t page_faults{0}; ///< minor page faults while measuring
};

/// A scenario's figures.
struct ScenarioResult {
    bool ok{false};
    std::string error;
    std::uint64_t producer_frames{0};
    double producer_frames_per_s{0};
    double producer_best_frames_per_s{0};  ///< the best of 8 equal sub-windows
    double producer_cpu_ns_per_frame{0};   ///< producer thread CPU time / frames published
    std::uint64_t producer_failures{0};    ///< claims or commits that did not publish
    std::uint64_t credit_timeouts{0};      ///< Pace::Credit waits given up after 100 ms
    std::uint64_t producer_page_faults{0}; ///< minor page faults while measuring
    std::vector<ConsumerFigures> consumers;
};

/// One stream of the driver configuration the scenarios use.
struct StreamProfile {
    std::uint32_t stream_id{0};
    std::uint32_t nslots{0};
    std::uint32_t stride_bytes{0};
};

/// The driver process of a bench run and the private directory its files live in.
class SystemRig {
public:
    /// Starts a driver process (tp::Driver) for `streams` with its SHM and transport directories under
    /// `dir` and waits until it runs. Check ok() / error().
    SystemRig(std::string dir, const std::vector<StreamProfile>& streams, const std::atomic<bool>& stop);
    SystemRig(const SystemRig&) = delete;
    auto operator=(const SystemRig&) -> SystemRig& = delete;
    /// Stops the driver (graceful, then SIGKILL after 5 s).
    ~SystemRig();

    [[nodiscard]] auto ok() const -> bool { return m_error.empty(); }
    [[nodiscard]] auto error() const -> const std::string& { return m_error; }
    [[nodiscard]] auto transport_dir() const -> std::string { return m_dir + "/transport"; }
    [[nodiscard]] auto shm_dir() const -> std::string { return m_dir + "/shm"; }
    /// True while the driver process runs.
    [[nodiscard]] auto driver_running() -> bool { return m_driver.running(); }

    /// Runs one scenario: forks the producer and the consumers, runs warm-up and measurement, stops
    /// them and returns the figures. Children are killed if they do not finish in time.
    [[nodiscard]] auto run(const Scenario& s) -> ScenarioResult;

    /// The block a scenario's processes share (phases, credit, results).
    struct Control;

private:
    std::string m_dir;
    const std::atomic<bool>& m_stop;
    perf::SharedMapping<std::atomic<int>> m_driver_state; ///< 0 starting, 1 running, 2 done, 3 failed
    perf::SharedMapping<std::atomic<bool>> m_driver_stop;
    perf::Child m_driver;
    std::string m_error;
};

} // namespace tp::apps::bench
