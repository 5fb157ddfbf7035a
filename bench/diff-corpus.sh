#!/usr/bin/env bash
# Times `lp-build diff` as a whole process over the conformance corpus: each pair is run
# REPEAT times, and the script prints each pair's median and the median over all pairs.
# Budget (issue 2): 3.6 ms per pair or less on the 2-core CI machine.
# Usage: bench/diff-corpus.sh [LP_BUILD] [CORPUS_DIR] [REPEAT]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/lp-build}
corpus=${2:-$here/../shared/corpus/kpatch-unit}
repeat=${3:-7}
[ -x "$bin" ] || { echo "bench: $bin not built (cmake --build build)" >&2; exit 2; }
[ -f "$corpus/expected.tsv" ] || { echo "bench: no corpus at $corpus" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
medians=()
while IFS=$'\t' read -r arch case verdict sizes _; do
  [ "$arch" = arch ] && continue
  orig=$corpus/$arch/$case.ORIG.o
  patched=$corpus/$arch/$case.PATCHED.o
  [ "$verdict" = ok ] || patched=$corpus/$arch/$case.PATCHED.FAIL.o
  args=()
  IFS=, read -ra kv <<<"$sizes"
  for x in "${kv[@]}"; do args+=(--struct-size "$x"); done
  times=()
  for ((i = 0; i < repeat; i++)); do
    t0=${EPOCHREALTIME/./}  # microseconds, read without starting a process
    "$bin" diff "$orig" "$patched" -o "$out/o.o" "${args[@]}" 2>/dev/null || true
    t1=${EPOCHREALTIME/./}
    times+=($((t1 - t0)))
  done
  m=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p")
  medians+=("$m")
  printf '%-10s %-45s %8.2f ms\n' "$arch" "$case" "$(echo "$m / 1000" | bc -l)"
done <"$corpus/expected.tsv"
n=${#medians[@]}
overall=$(printf '%s\n' "${medians[@]}" | sort -n | sed -n "$(((n + 1) / 2))p")
total=0
for m in "${medians[@]}"; do total=$((total + m)); done
printf 'pairs: %d  median per pair: %.2f ms  mean per pair: %.2f ms  (budget 3.6 ms)\n' \
  "$n" "$(echo "$overall / 1000" | bc -l)" "$(echo "$total / $n / 1000" | bc -l)"
