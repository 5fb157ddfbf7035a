#!/usr/bin/env bash
# The user's kernel tree is never modified, even when lp-build is killed half-way.
#
# Fingerprints the default kernel tree (source and build directory: every file's path,
# size, mtime and inode, plus the contents of the files the patch touches), then runs
# `lp-build build` on a patch and SIGKILLs it at increasing delays that land in each
# stage (shadow tree, compiles, diff, kbuild link, klp rewrite): odd rounds kill only
# lp-build (its compilers and make run on to the end), even rounds its whole process
# group. Two more rounds use an empty cache (LPB_CACHE), so that the kill lands while
# lp-build records kbuild's link recipe for the tree (one `make M=` of a probe module);
# a run on that cache afterwards must recover. After each round, once every process of
# the run has ended, the fingerprint must be unchanged. A final run to completion must
# leave it unchanged too, and must have removed the work directories of the killed runs.
# Usage: tests/kernel/tree-untouched.sh [PATCH]   (default: testdata/patches/module-fix)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
LPB_BIN="${LPB_BIN:-$LPB_REPO/build/lp-build}"
patch="${1:-$LPB_REPO/testdata/patches/module-fix/patch.diff}"
lpb_setup_out
lpb_kernel
src="$(readlink -f "$KDIR/source")"
cache="${LPB_CACHE:-/var/cache/lp-build}"

fingerprint() {
  {
    find "$src" "$KDIR" -path "$KDIR/source" -prune -o -printf '%p\t%s\t%T@\t%i\n' | LC_ALL=C sort
    sed -n 's#^+++ b/##p' "$patch" | while read -r f; do sha256sum "$src/$f"; done
  } | sha256sum | cut -d' ' -f1
}

before="$(fingerprint)"
echo "tree fingerprint: $before"
killed_pids=()
round=0
# kill_round DELAY [ENV...]: one build, SIGKILLed after DELAY seconds.
kill_round() {
  local delay=$1; shift
  round=$((round + 1))
  env "$@" setsid "$LPB_BIN" build "$patch" -s "$KDIR" -n livepatch-killtest -o "$OUT/killed.ko" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if [ $((round % 2)) = 1 ]; then kill -KILL "$pid" 2>/dev/null; what="lp-build"; else kill -KILL -- "-$pid" 2>/dev/null; what="process group"; fi
  wait "$pid" 2>/dev/null
  # Children that outlive lp-build (gcc, make) must finish before the tree is compared.
  for _ in $(seq 1 300); do pgrep -g "$pid" >/dev/null || break; sleep 0.1; done
  killed_pids+=("$pid")
  lpb_check "SIGKILL ($what) after ${delay}s${1:+ ($*)}: tree unchanged" test "$(fingerprint)" = "$before"
}
# A build on a warm cache takes about a second: these delays land in each stage.
for delay in 0.02 0.05 0.1 0.2 0.3 0.45 0.6 0.8 1.0; do kill_round "$delay"; done
# An empty cache: the kills land in the recording of kbuild's link recipe. (-s: the
# default kernel is cached under LPB_CACHE too, and must not be built again.)
fresh="$OUT/fresh-cache"
mkdir -p "$fresh"
kill_round 1.2 LPB_CACHE="$fresh"
kill_round 2.0 LPB_CACHE="$fresh"
LPB_CACHE="$fresh" "$LPB_BIN" build "$patch" -s "$KDIR" -n livepatch-killtest -o "$OUT/fresh.ko" >/dev/null 2>&1
lpb_check "a run on the cache of killed recordings writes the module" test -s "$OUT/fresh.ko"
lpb_check "... and leaves a complete link recipe" test -n "$(ls "$fresh"/recipes/*/recipe.json 2>/dev/null)"

"$LPB_BIN" build "$patch" -n livepatch-killtest -o "$OUT/final.ko" >/dev/null 2>&1
lpb_check "a complete run after the kills writes the module" test -s "$OUT/final.ko"
lpb_check "a complete run leaves the tree unchanged" test "$(fingerprint)" = "$before"
left=0
# Work directories are on /dev/shm when it is a tmpfs (see cli/Commands.cpp), else in the cache.
for p in "${killed_pids[@]}"; do
  for w in "$cache/work" "/dev/shm/lp-build-$(id -u)/work" "$fresh/work"; do
    [ -e "$w/livepatch-killtest-$p" ] && left=$((left + 1))
  done
done
lpb_check "work directories of killed runs are removed by the next run ($left left)" test "$left" = 0
# A run killed late may have finished first; what it left must then be a whole module.
complete_or_absent() { [ ! -e "$OUT/killed.ko" ] || [ "$(modinfo -F livepatch "$OUT/killed.ko" 2>/dev/null)" = Y ]; }
lpb_check "no partial module where a killed run would have written it" complete_or_absent
lpb_summary tree-untouched
