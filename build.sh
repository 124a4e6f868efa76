#!/usr/bin/env bash
# TensorPool C++ build entry point.
#
#   ./build.sh demo    install missing Debian packages, build (release), run the main job
#   ./build.sh test    install missing Debian packages, build, run the whole test suite
#                      (fuzz corpus replay under ASan+UBSan, ThreadSanitizer stress, then ctest)
#   ./build.sh deps    only install missing Debian packages
#   ./build.sh build [preset]   configure and build one CMake preset (default: release)
#
# Environment: JOBS (parallel build jobs, default: number of cores), TP_GOLDEN_DIR (golden vectors,
# default ../shared/golden), CI=true (a missing golden folder fails instead of skipping).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config python3 git
          libgtest-dev libgmock-dev libbenchmark-dev
          libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libcfitsio-dev
          clang-14 libclang-rt-14-dev)
JOBS="${JOBS:-$(nproc)}"

log() { printf '\n== %s\n' "$*"; }

deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_build() {
    local preset="${1:-release}"
    shift || true
    log "configure + build: $preset"
    local extra=()
    if [ -n "${TP_GOLDEN_DIR:-}" ]; then
        extra+=("-DTP_GOLDEN_DIR=${TP_GOLDEN_DIR}")
    fi
    cmake --preset "$preset" "${extra[@]}" >/dev/null
    cmake --build --preset "$preset" -j "$JOBS" "$@"
}

fuzz_replay() {
    if [ ! -f fuzz/CMakeLists.txt ]; then
        return 0
    fi
    configure_build fuzz --target fuzz_all
    log "fuzz corpus replay under ASan+UBSan (clang 14, libFuzzer)"
    local failed=0
    for target in build/fuzz/fuzz/fuzz_*; do
        [ -x "$target" ] || continue
        local name corpus
        name=$(basename "$target")
        corpus="fuzz/corpus/${name#fuzz_}"
        if [ ! -d "$corpus" ]; then
            echo "missing seed corpus $corpus for $name"
            failed=1
            continue
        fi
        # New inputs found while mutating go to a scratch dir (libFuzzer writes to the first dir).
        local scratch="build/fuzz/scratch-$name"
        rm -rf "$scratch" && mkdir -p "$scratch"
        if "$target" -runs=0 -artifact_prefix="build/fuzz/$name-" "$corpus" >"build/fuzz/$name.log" 2>&1 &&
           "$target" -max_total_time=3 -seed=1 -max_len=4096 -artifact_prefix="build/fuzz/$name-" "$scratch" "$corpus" >>"build/fuzz/$name.log" 2>&1; then
            echo "fuzz replay ok: $name ($(find "$corpus" -type f | wc -l) seeds + 3 s of mutation)"
        else
            echo "fuzz replay FAILED: $name"
            tail -40 "build/fuzz/$name.log"
            failed=1
        fi
    done
    return $failed
}

tsan_stress() {
    # The tests labelled `tsan` (threaded stress of the seqlock and the IPC log) under ThreadSanitizer.
    log "ThreadSanitizer stress tests"
    cmake --preset tsan >/dev/null
    cmake --build build/tsan -j "$JOBS" --target tsan_tests
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build/tsan -L tsan --output-on-failure --timeout 600
}

cmd="${1:-help}"
case "$cmd" in
    deps)
        deps
        ;;
    build)
        deps
        configure_build "${2:-release}"
        ;;
    demo)
        deps
        configure_build release --target tensorpool
        log "tensorpool demo"
        exec ./build/release/apps/tensorpool/tensorpool demo "${@:2}"
        ;;
    test)
        deps
        fuzz_replay
        tsan_stress
        configure_build release
        log "tests"
        ctest --test-dir build/release -j "$JOBS" --output-on-failure --timeout 600
        ;;
    *)
        sed -n '2,12p' "$0"
        ;;
esac
