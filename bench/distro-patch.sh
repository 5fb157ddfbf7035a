#!/usr/bin/env bash
# Times `lp-build build` on a one-file fix to Debian's own kernel (the cloud-amd64 kernel
# of the installed linux-source-6.12's version), never built here:
#   cold: an empty lp-build cache (the tree preparation, vmlinux's units, the original
#         compile, the link recipe); fetching and extracting the packages is reported apart
#   warm: a second fix to the same file, medians of REPEAT, against the floor (the
#         kernel's own compile of the touched unit alone, in the prepared tree)
# Budgets (issue 10): cold under 60 s; warm at most 1.5 x the floor.
# Usage: bench/distro-patch.sh [LP_BUILD] [REPEAT]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/lp-build}
repeat=${2:-7}
[ -x "$bin" ] || { echo "bench: $bin not built (cmake --build build)" >&2; exit 2; }
now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

t0=$(now_us)
root=$("$here/scripts/kernel/fetch-distro-kernel.sh" 2>/dev/null)
src=$("$here/scripts/kernel/build-kernel.sh" --source-only 2>/dev/null | tail -n1)
echo "packages (download + extraction, or the cached copy): $(secs "$t0" "$(now_us)") s"
rel=$(basename "$(dirname "$root")")
out=$(mktemp -d /var/tmp/lpb-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
k=(--kernel "$rel" --kernel-root "$root" -s "$src")

first="$here/testdata/distro/proc-string/patch.diff"
# The second fix to the same file: another string in the same handler.
sed 's/Character devices (major name):/Character devices (major, name):/' "$first" >"$out/second.diff"

t0=$(now_us)
LPB_CACHE="$out/cache" "$bin" build "$first" "${k[@]}" -o "$out/cold.ko" --json "$out/cold.json" >/dev/null 2>&1
echo "cold (empty cache): $(secs "$t0" "$(now_us)") s  (budget 60 s)"

tree=$(ls -d "$out"/cache/trees/distro-*/ | head -n1)
obj=fs/proc/devices.o
cmd=$(sed -n "s#^savedcmd_$obj := ##p" "$tree/fs/proc/.devices.o.cmd" | sed 's/-Wp,-MMD,[^ ]*//; s/;.*$//')
cmd=${cmd/ -o $obj / -o $out/floor.o }
floors=() totals=()
for ((i = 0; i < repeat; i++)); do
  t0=$(now_us); (cd "$tree" && eval "$cmd") >/dev/null 2>&1; floors+=($(( $(now_us) - t0 )))
  t0=$(now_us)
  LPB_CACHE="$out/cache" "$bin" build "$out/second.diff" "${k[@]}" -o "$out/warm.ko" >/dev/null 2>&1
  totals+=($(( $(now_us) - t0 )))
done
f=$(printf '%s\n' "${floors[@]}" | median); t=$(printf '%s\n' "${totals[@]}" | median)
awk -v f="$f" -v t="$t" 'BEGIN { printf "warm (second fix to the same file): floor %.2f s, total %.2f s, ratio %.2f  (budget 1.5)\n", f/1e6, t/1e6, t/f }'
