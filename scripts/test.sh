#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs lp-build's whole test suite, twice: the
# release build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh            (from anywhere; needs root or sudo for apt-get)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh --tests
jobs=$(nproc)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLPB_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$jobs" || status=1
echo "== tests (sanitizers)"
ctest --test-dir build-asan --output-on-failure -j"$jobs" || status=1
exit $status
