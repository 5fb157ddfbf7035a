#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang-16 with ASan and UBSan, in build-fuzz/)
# and runs each on seeds from the behaviour cases and the conformance corpus.
# Usage: scripts/fuzz.sh [SECONDS-PER-HARNESS] [HARNESS...]     (default 600 s, every harness)
#        scripts/fuzz.sh --ci   a fixed number of inputs per harness from a fixed random seed
#                               (about 20 s each, the same inputs on every run): the test suite
# A finding (crash, sanitizer report, an exception that is not an input error) stops the
# harness and leaves the input in build-fuzz/fuzz/findings/<harness>/; exit 1.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Inputs per harness for --ci: about 20 s each here (the differ is the slow one).
declare -A ci_runs=([fuzz_diff]=3000 [fuzz_elf]=30000 [fuzz_patch]=40000 [fuzz_symvers]=40000 [fuzz_cmd]=40000
                   [fuzz_recipe]=20000 [fuzz_model]=30000)
ci=0
if [ "${1:-}" = --ci ]; then ci=1; shift; fi
secs="${1:-600}"; shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_diff fuzz_elf fuzz_patch fuzz_symvers fuzz_cmd fuzz_recipe fuzz_model)
bdir="$top/build-fuzz"
mkdir -p "$bdir"
{ cmake -S "$top" -B "$bdir" -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=Debug -DLPB_FUZZ=ON >/dev/null &&
  nice -n 5 cmake --build "$bdir" -j"$(nproc)" --target "${harnesses[@]}"; } >"$bdir/fuzz-build.log" 2>&1 ||
  { tail -n 30 "$bdir/fuzz-build.log"; echo "fuzz.sh: the harnesses do not build (log: $bdir/fuzz-build.log)" >&2; exit 2; }
seeds="$bdir/fuzz/seeds"
rm -rf "$seeds"
python3 "$top/tests/fuzz/make_seeds.py" "$seeds" || exit 2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for h in "${harnesses[@]}"; do
  found="$bdir/fuzz/findings/$h"; work="$bdir/fuzz/corpus/$h"
  rm -rf "$found" "$work"; mkdir -p "$found" "$work"
  if [ "$ci" = 1 ]; then limit=(-runs="${ci_runs[$h]}" -seed=1); else limit=(-max_total_time="$secs"); fi
  t0=$(date +%s)
  "$bdir/fuzz/$h" "${limit[@]}" -max_len=262144 -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$found/" "$work" "$seeds/$h" >"$found/log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$found/log" | grep -o '[0-9]*$')
  if [ "$rc" = 0 ]; then
    echo "fuzz: $h: ${runs:-?} runs in $(( $(date +%s) - t0 )) s, 0 findings"
  else
    status=1
    echo "fuzz: $h: FINDING after ${runs:-?} runs (exit $rc): $(ls "$found" | grep -v '^log$' | head -n1)"
    grep -m3 -E 'ERROR|finding|runtime error|terminate' "$found/log"
  fi
done
exit $status
