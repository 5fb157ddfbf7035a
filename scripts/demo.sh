#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs lp-build's differ on the bundled example:
# testdata/diff/string-change (a message fixed in one function), compiled original and
# patched with the kernel's x86_64 flags, then `lp-build diff` with a JSON report.
# Usage: scripts/demo.sh [CASE]     (any directory under testdata/diff)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
case=${1:-string-change}
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O2 -c -nostdinc -ffreestanding -fno-strict-aliasing -fno-common -fno-PIE -ffunction-sections
       -fdata-sections -mcmodel=kernel -mno-red-zone -pg -mfentry -mrecord-mcount -I testdata/include)
for v in orig patched; do
  mkdir -p "$work/$v"
  cp "testdata/diff/$case/$v.c" "$work/$v/$case.c"
  gcc "${flags[@]}" "$work/$v/$case.c" -o "$work/$v/$case.o"
done
echo "== lp-build diff $case (x86_64)"
set +e
build/lp-build diff "$work/orig/$case.o" "$work/patched/$case.o" -o "$work/out.o" --json "$work/report.json"
rc=$?
set -e
echo "exit status: $rc (0 patchable, 1 refused, 3 no change)"
echo "== report"
cat "$work/report.json"
if [ "$rc" = 0 ]; then
  echo "== symbols of the patch object"
  nm "$work/out.o"
  echo "== what the klp-relocation stage gets (.lp_build.symbols)"
  readelf -p .lp_build.symbols "$work/out.o" | sed -n '3,$p'
fi
