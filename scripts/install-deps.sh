#!/usr/bin/env bash
# Installs everything lp-build needs to build and test, from Debian's packages only.
# Usage: scripts/install-deps.sh [--tests]   (--tests adds the cross compilers the test suite uses)
set -euo pipefail
want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

pkgs=(build-essential cmake pkg-config python3 binutils
      libelf-dev libdwarf-dev libfmt-dev libcli11-dev doctest-dev
      nlohmann-json3-dev libxxhash-dev libzydis-dev patch)
if [ "$want_tests" = 1 ]; then
  # Objects for every supported architecture are compiled at test time:
  # GCC cross compilers for ppc64le, aarch64 and s390x, Clang 16 for loongarch64
  # (Debian 12 has no loongarch64 GCC).
  pkgs+=(gcc-powerpc64le-linux-gnu gcc-aarch64-linux-gnu gcc-s390x-linux-gnu clang-16
         binutils-powerpc64le-linux-gnu binutils-aarch64-linux-gnu binutils-s390x-linux-gnu)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
