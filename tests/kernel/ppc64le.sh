#!/usr/bin/env bash
# lp-build on ppc64le, end to end: the ppc64le test kernel (Debian's linux-source-6.12,
# tinyconfig + scripts/kernel/lpb-ppc64le.config: pseries, -O2, -mprofile-kernel, livepatch;
# cross-built with kbuild and cached: build-kernel.sh --arch ppc64le), every case of
# testdata/ppc64le/ built with `lp-build -s TREE` and observed in qemu-system-ppc64
# -M pseries (the machine and busybox-static:ppc64el come from arch/ through
# `lp-build targets`): before, patched, after, and late load for module cases.
#
# Usage: tests/kernel/ppc64le.sh [CASE...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
export LPB_ARCH=ppc64le
LPB_CASES="$LPB_REPO/testdata/ppc64le" LPB_BUILD_JOBS="${LPB_BUILD_JOBS:-2}" "$here/patches.sh" "$@"
