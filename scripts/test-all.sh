#!/usr/bin/env bash
# Every test, in the builds that matter (called by `make test` after scripts/deps.sh):
#   build/       -Wall -Wextra -Werror, all tests but the libFuzzer runs, then the pool tests under valgrind
#   build-asan/  AddressSanitizer + UBSan: unit tests and the fuzz corpus replays
#   build-tsan/  ThreadSanitizer: concurrency tests
#   build-fuzz/  clang + libFuzzer: each fuzz target for a bounded time on its committed corpus
#   build-release/  GCC -O3 (Release), build-clang/  Clang: warnings as errors (optimisation-only and
#                   compiler-specific warnings), then the unit tests
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
ctest_run() { ctest --test-dir "$1" --output-on-failure --no-tests=error -j "$jobs" "${@:2}"; }
configure_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLP_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

echo "== plain build: every test except libFuzzer runs and valgrind"
configure_build build
ctest_run build -LE '^(fuzz|valgrind)$'

echo "== valgrind: pool tests"
ctest_run build -L '^valgrind$'

echo "== AddressSanitizer + UBSan: unit tests and fuzz corpus replays"
configure_build build-asan -DLP_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
ctest_run build-asan -L '^(unit|fuzz-replay)$'

echo "== ThreadSanitizer: concurrency tests"
configure_build build-tsan -DLP_SANITIZE=thread
# TSan needs the low-entropy address layout some kernels no longer give by default.
setarch "$(uname -m)" -R ctest --test-dir build-tsan --output-on-failure --no-tests=error -L '^concurrency$'

echo "== Release (-O3) with GCC, warnings as errors: every target, then the unit tests"
configure_build build-release -DCMAKE_BUILD_TYPE=Release
ctest_run build-release -L '^unit$'

echo "== Clang, warnings as errors: every target, then the unit tests"
configure_build build-clang -DCMAKE_C_COMPILER=clang
ctest_run build-clang -L '^unit$'

echo "== libFuzzer: bounded runs"
configure_build build-fuzz -DCMAKE_C_COMPILER=clang -DLP_FUZZ=ON -DLP_SANITIZE=address,undefined -DBUILD_TESTING=ON
ctest_run build-fuzz -L '^fuzz$'
echo "all test suites passed"
