#!/usr/bin/env bash
# The same inputs give a byte-identical module: two builds of two catalogue fixes (a
# vmlinux fix and a module fix with klp relocations), a second apart, in different work
# directories and from different caches: the second records kbuild's link recipe and
# compiles the original objects anew. About 20 s.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch reproducible
kdir=$("$LPB_REPO/scripts/kernel/build-kernel.sh" | tail -n1)
for fix in proc-string module-klp-reloc; do
  patch="$LPB_REPO/testdata/patches/$fix/patch.diff"
  mkdir -p "$WORK/a" "$WORK/b"
  LPB_WORK="$WORK/work-a" "$LPB" "$patch" -n "livepatch-$fix" -o "$WORK/a/$fix.ko" 2>"$WORK/a-$fix.log"
  ra=$?
  sleep 1.1
  LPB_CACHE="$WORK/cache-b-$fix" "$LPB" "$patch" -s "$kdir" -n "livepatch-$fix" -o "$WORK/b/$fix.ko" -j 1 \
    2>"$WORK/b-$fix.log"
  rb=$?
  check "$fix: both builds succeed" [ "$ra" = 0 ] && [ "$rb" = 0 ]
  check "$fix: byte-identical .ko" cmp "$WORK/a/$fix.ko" "$WORK/b/$fix.ko"
  check "$fix: no work directory in the module" sh -c "! grep -qF -e '$WORK' -e '/lp-build-' '$WORK/b/$fix.ko'"
done
summary reproducible
