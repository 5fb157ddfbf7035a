#!/usr/bin/env bash
# Two lp-build runs at once on one cache and one tree, as CI jobs sharing a machine do:
# the same patch twice, then two different patches, each pair from an empty cache so that
# both race to record kbuild's link recipe and to store the original objects. Both must
# succeed with valid modules (one may wait for the other's lock); the same patch gives
# the same module. About 30 s.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch concurrent
kdir=$("$LPB_REPO/scripts/kernel/build-kernel.sh" | tail -n1)
run_pair() {  # NAME PATCH-A PATCH-B
  local cache="$WORK/cache-$1"
  LPB_CACHE="$cache" "$LPB" "$LPB_REPO/testdata/patches/$2/patch.diff" -s "$kdir" -o "$WORK/$1-a.ko" -j 1 \
    2>"$WORK/$1-a.log" &
  local a=$!
  LPB_CACHE="$cache" "$LPB" "$LPB_REPO/testdata/patches/$3/patch.diff" -s "$kdir" -o "$WORK/$1-b.ko" -j 1 \
    2>"$WORK/$1-b.log" &
  local b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  [ "$ra" = 0 ] || tail -n3 "$WORK/$1-a.log"
  [ "$rb" = 0 ] || tail -n3 "$WORK/$1-b.log"
  check "$1: both runs succeed" [ "$ra" = 0 ] && [ "$rb" = 0 ]
  check "$1: both modules are livepatch modules" \
    sh -c "modinfo -F livepatch '$WORK/$1-a.ko' | grep -qx Y && modinfo -F livepatch '$WORK/$1-b.ko' | grep -qx Y"
  check "$1: one recipe recorded, no recording left half-done" \
    sh -c "[ \$(ls -d '$cache'/recipes/*/ | wc -l) = 1 ] && ! ls -d '$cache'/recipes/*.rec-* 2>/dev/null"
}
run_pair same proc-string proc-string
check "same: the same module" cmp "$WORK/same-a.ko" "$WORK/same-b.ko"
run_pair different proc-string static-local
summary concurrent
