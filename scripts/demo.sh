#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs lp-build's main job on the built-in default:
# the bundled example fix testdata/patches/proc-string/patch.diff (a changed string in the
# /proc/devices handler) against the default kernel (Debian's linux-source-6.12, small
# livepatch-capable x86_64 config, built once and cached: ~5 minutes the first time).
# lp-build writes livepatch-proc-string.ko and its JSON report into OUTDIR (default
# ./lpb-demo, said at the end), then --verify boots the kernel in QEMU, loads the module,
# shows /proc/devices while it is enabled, disables it.
# Usage: scripts/demo.sh [PATCH [OUTDIR]]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
patch=$(readlink -f "${1:-$top/testdata/patches/proc-string/patch.diff}")
out=$(mkdir -p "${2:-lpb-demo}" && cd "${2:-lpb-demo}" && pwd)
"$top/scripts/install-deps.sh" --kernel
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)" --target lp-build >/dev/null
echo "== default kernel (built once, then cached in ${LPB_CACHE:-/var/cache/lp-build})"
"$top/scripts/kernel/build-kernel.sh" >/dev/null
echo "== lp-build $(basename "$patch") --verify"
"$top/build/lp-build" "$patch" -n livepatch-proc-string -o "$out/livepatch-proc-string.ko" \
  --json "$out/livepatch-proc-string.json" --verify \
  --verify-check 'echo "in the guest, patched: $(head -n1 /proc/devices)"'
echo "== report ($out/livepatch-proc-string.json)"
cat "$out/livepatch-proc-string.json"
echo "== the module ($out/livepatch-proc-string.ko)"
modinfo "$out/livepatch-proc-string.ko"
readelf -SW "$out/livepatch-proc-string.ko" | grep -E '\.klp\.rela' || true
readelf -sW "$out/livepatch-proc-string.ko" | grep -E '\.klp\.sym' || true
echo "== outputs in $out"
