// SPDX-License-Identifier: Apache-2.0
// One golden vector per run (CTest registers one test per .bin):
//   tp_golden_vector_test FILE.bin           check FILE.bin against FILE.json
//   tp_golden_vector_test --missing DIR [--ci]
//                                            the vector folder is absent: skip (exit 77), or fail
//                                            when CI=true now or at configure time (--ci)
#include "codec/golden_check.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

constexpr int EXIT_SKIP = 77; // SKIP_RETURN_CODE of the CTest entry

auto ci_environment() -> bool {
    const char* ci = std::getenv("CI");
    if (ci == nullptr) {
        return false;
    }
    const std::string_view v{ci};
    return v == "true" || v == "TRUE" || v == "True" || v == "1";
}

auto report_missing(int argc, char** argv) -> int {
    const char* dir = argc > 2 ? argv[2] : "(unset)";
    const bool ci = ci_environment() || (argc > 3 && std::string_view{argv[3]} == "--ci");
    if (ci) {
        std::fprintf(stderr, "golden vectors not found at %s; CI=true requires them\n", dir);
        return 1;
    }
    std::printf("golden vectors not found at %s: skipped (set TP_GOLDEN_DIR to check them)\n", dir);
    return EXIT_SKIP;
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view{argv[1]} == "--missing") {
        return report_missing(argc, argv);
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE.bin | --missing DIR [--ci]\n", argv[0]);
        return 2;
    }
    const tp::codec::GoldenReport report = tp::codec::check_golden_vector(argv[1]);
    for (const std::string& failure : report.failures) {
        std::fprintf(stderr, "FAIL %s: %s\n", argv[1], failure.c_str());
    }
    std::printf("%s %s/%s: %zu checks, %zu failed\n", report.passed() ? "PASS" : "FAIL", report.schema.c_str(),
                report.message.c_str(), report.checks, report.failures.size());
    return report.passed() ? 0 : 1;
}
