#!/usr/bin/env bash
# Installs what lp-build needs, from Debian's packages only.
# Usage: scripts/install-deps.sh [--tests] [--kernel]
#   --tests   the cross compilers the test suite compiles its cases with
#   --kernel  kernel source, its build dependencies, QEMU and busybox (scripts/kernel, tests/kernel)
set -euo pipefail
pkgs=(build-essential cmake pkg-config python3 binutils
      libelf-dev libdwarf-dev libfmt-dev libcli11-dev doctest-dev
      nlohmann-json3-dev libxxhash-dev libzydis-dev zlib1g-dev patch jq
      libclang-cpp16-dev libclang-16-dev llvm-16-dev)  # Clang 16 LibTooling: lp-build check
need_npm=0
for arg in "$@"; do
  case "$arg" in
    # Objects for every supported architecture are compiled at test time: GCC cross
    # compilers for ppc64le, aarch64 and s390x, Clang 16 for loongarch64 (Debian 12 has no
    # loongarch64 GCC).
    # The delivery tests (tests/delivery): ccache for --cc-launcher, rsync and git for
    # gitlab-ci-local, groff for the man page, dpkg-dev for the package, libFuzzer and the
    # sanitizer runtimes for the fuzz harnesses (tests/fuzz); npm (below).
    --tests) pkgs+=(gcc-powerpc64le-linux-gnu gcc-aarch64-linux-gnu gcc-s390x-linux-gnu clang-16
                    clang-19 lld-19 llvm-19  # LoongArch kernel objects (tests/kernel/objects.sh): kbuild wants LLVM 18+
                    binutils-powerpc64le-linux-gnu binutils-aarch64-linux-gnu binutils-s390x-linux-gnu
                    ccache rsync git groff-base dpkg-dev libfuzzer-16-dev libclang-rt-16-dev
                    universal-ctags)  # scripts/long-functions.sh (the style test)
             need_npm=1 ;;
    --kernel) pkgs+=(linux-source-6.12 flex bison bc libssl-dev dwarves cpio xz-utils gzip kmod
                     qemu-system-x86 qemu-system-ppc qemu-system-arm qemu-system-misc busybox-static util-linux coreutils file procps openssl) ;;
    *) echo "install-deps.sh: unknown option $arg (--tests, --kernel)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# npm (for gitlab-ci-local and action-validator, installed by the tests into the cache):
# Debian's, unless the machine already has a Node.js with npm.
if [ "$need_npm" = 1 ] && ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
