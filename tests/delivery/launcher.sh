#!/usr/bin/env bash
# --cc-launcher: compiles go through the launcher (ccache here: its statistics count
# them), a second build from an empty lp-build cache (a fresh CI job) takes the original
# object from the shared ccache, the modules are byte-identical to one built without a
# launcher; a launcher that does not exist, or that runs another compiler than the
# kernel's, is exit 2. About 15 s.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch launcher
command -v ccache >/dev/null || { echo "FAIL: ccache missing (scripts/install-deps.sh --tests)"; exit 1; }
export CCACHE_DIR="$WORK/ccache"
kdir=$("$LPB_REPO/scripts/kernel/build-kernel.sh" | tail -n1)
patch="$LPB_REPO/testdata/patches/proc-string/patch.diff"
stat_of() { ccache --print-stats | awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }
hits() { echo $(( $(stat_of direct_cache_hit) + $(stat_of preprocessed_cache_hit) )); }

"$LPB" "$patch" -o "$WORK/plain.ko" 2>"$WORK/plain.log"
check "build without a launcher" [ $? = 0 ]
LPB_CACHE="$WORK/job1" "$LPB" "$patch" -s "$kdir" -o "$WORK/job1.ko" --cc-launcher ccache 2>"$WORK/job1.log"
check "job 1 builds through ccache" [ $? = 0 ]
misses=$(stat_of cache_miss)
check "ccache compiled both sides (misses: $misses)" [ "$misses" -ge 2 ]
LPB_CACHE="$WORK/job2" "$LPB" "$patch" -s "$kdir" -o "$WORK/job2.ko" --cc-launcher "ccache" 2>"$WORK/job2.log"
check "job 2 builds through ccache" [ $? = 0 ]
check "job 2's original object came from ccache (hits: $(hits))" [ "$(hits)" -ge 1 ]
check "same module as without the launcher" cmp "$WORK/plain.ko" "$WORK/job1.ko"
check "same module from the cache" cmp "$WORK/plain.ko" "$WORK/job2.ko"
"$LPB" "$patch" -o "$WORK/none.ko" --cc-launcher "no-such-launcher --x" >"$WORK/none.log" 2>&1
rc=$?
cat "$WORK/none.log"
check "a missing launcher: exit 2, one line, no module" \
  sh -c "[ $rc = 2 ] && [ \$(wc -l < '$WORK/none.log') = 1 ] && grep -q 'no-such-launcher' '$WORK/none.log' && test ! -e '$WORK/none.ko'"
# The compiler-identity check looks through the launcher: one that swaps the kernel's
# compiler for another is refused before anything is compiled.
cat >"$WORK/swapping-launcher" <<'SH'
#!/bin/sh
shift
exec clang-16 "$@"
SH
chmod +x "$WORK/swapping-launcher"
"$LPB" "$patch" -o "$WORK/swapped.ko" --cc-launcher "$WORK/swapping-launcher" >"$WORK/swapped.log" 2>&1
rc=$?
tail -n1 "$WORK/swapped.log"
check "a launcher running another compiler: exit 2, no module" \
  sh -c "[ $rc = 2 ] && grep -q 'swapping-launcher: runs .*clang' '$WORK/swapped.log' && test ! -e '$WORK/swapped.ko'"
summary launcher
