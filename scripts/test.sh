#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs lp-build's whole test suite: the ctest suite
# twice (the release build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer),
# then the kernel tests, which boot the default kernel in QEMU and load the modules
# `lp-build build` makes from testdata/patches/ (and the same for Debian's own kernel,
# testdata/distro/, for the ppc64le test kernels, testdata/ppc64le/, for the arm64 one on
# Linux 7.3, testdata/aarch64/, and for the s390x one, testdata/s390x/), then the delivery tests (tests/delivery:
# the CI job, its GitLab/GitHub templates, the package).
# Usage: scripts/test.sh            (from anywhere; needs root or sudo for apt-get)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh --tests --kernel
jobs=$(nproc)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPB_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLPB_SANITIZE=ON -DLPB_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

# The default kernel (Debian's linux-source-6.12, scripts/kernel/lpb-x86_64.config), built
# once and cached outside the repository; the pipeline tests in ctest build against it.
echo "== default kernel"
scripts/kernel/build-kernel.sh >/dev/null
# The same kernel built in its source directory (the pre-flight catalogue runs there too).
echo "== default kernel, built in-tree"
scripts/kernel/build-kernel.sh --in-tree >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j"$jobs" || status=1
echo "== tests (sanitizers)"
ctest --test-dir build-asan --output-on-failure -j"$jobs" || status=1
# One vCPU: under TCG, a second vCPU occasionally traps on an int3 of the kernel's own
# text_poke_bp (static-call updates at every livepatch transition) after QEMU has already
# retired it, an emulation race that real hardware does not have. LPB_QEMU_SMP=2 runs them SMP.
echo "== kernel tests (QEMU)"
LPB_QEMU_SMP="${LPB_QEMU_SMP:-1}" tests/kernel/run-all.sh || status=1
# The CI job and its templates, reproducible output, --cc-launcher, the Debian package
# (a Release build in build-release/).
echo "== delivery tests"
LPB_QEMU_SMP="${LPB_QEMU_SMP:-1}" tests/delivery/run-all.sh || status=1
# Bounded, fixed-seed fuzzing of the parsers and the differ (clang-16, ASan, UBSan; build-fuzz/).
echo "== fuzzing (scripts/fuzz.sh --ci)"
scripts/fuzz.sh --ci || status=1
exit $status
