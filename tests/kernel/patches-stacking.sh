#!/usr/bin/env bash
# How lp-build's modules combine (issue 3's -R and PATCH...), with two cases of
# testdata/patches (proc-string: /proc/devices heading; static-local: a second
# line in /proc/uptime), in one QEMU boot:
#   lp-a, lp-b  built with -R (klp_patch.replace = false): both apply together;
#   lp-c, lp-d  default (replace): loading lp-d reverts lp-c's change and removes it;
#   lp-e        one module from both patches (lp-build build A.diff B.diff).
# Usage: tests/kernel/patches-stacking.sh   (env: LPB_BIN, LPB_BUILD_JOBS and lib.sh's)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
LPB_BIN="${LPB_BIN:-$LPB_REPO/build/lp-build}"
if ! "$LPB_BIN" build --help >/dev/null 2>&1; then
  echo "SKIP: $LPB_BIN has no 'build' command"; exit 77
fi
unset LPB_QEMU_APPEND
lpb_setup_out
lpb_kernel
cases="$LPB_REPO/testdata/patches"
cp "$cases/proc-string/patch.diff" "$OUT/proc-string.diff"
cp "$cases/static-local/patch.diff" "$OUT/static-local.diff"
build() { # build NAME ARGS...
  local n="$1"; shift
  ( cd "$OUT" && nice -n 10 "$LPB_BIN" build "$@" -n "$n" -j "${LPB_BUILD_JOBS:-1}" -o "$n.ko" --json "$n.json" ) \
    >"$OUT/$n.log" 2>&1
  lpb_check "lp-build $n ($*) exits 0" test $? = 0
}
build lp-a -R proc-string.diff
build lp-b -R static-local.diff
build lp-c proc-string.diff
build lp-d static-local.diff
build lp-e proc-string.diff static-local.diff
lpb_check "lp-e patches both functions" \
  bash -c "jq -e '[.functions[] | select(.patch_target) | .name] | sort == [\"devinfo_show\", \"uptime_proc_show\"]' '$OUT/lp-e.json' >/dev/null"
log="$OUT/stacking.log"
lpb_boot "$here/guest/patches-stacking.sh" "$log" "$here/guest/common.sh" "$OUT"/lp-{a,b,c,d,e}.ko
qrc=$?
lpb_check "boot ran to the end, no Oops/BUG/WARNING/Call Trace (qemu-run status $qrc)" test "$qrc" = 0
U="Character devices:"; P="Character devices (major name):"
want() { # want KEY DEV UPTIME-LINES PATCHES
  local got; got="$(lpb_obs "$log" "$1")"
  [ "$got" = "dev=[$2] uptime-lines=$3 patches=[$4]" ] || { echo "  $1: got '$got'"; return 1; }
}
lpb_check "unpatched" want s0 "$U" 1 ""
lpb_check "-R: both patches active together" want s1-both-nonreplace "$P" 2 "lp_a lp_b "
lpb_check "-R: disabling lp-b leaves lp-a's change" want s1-b-off "$P" 1 "lp_a "
lpb_check "-R: all off" want s1-all-off "$U" 1 ""
lpb_check "replace: lp-c alone" want s2-c "$P" 1 "lp_c "
lpb_check "replace: lp-d replaces lp-c (its change reverted, its sysfs dir gone)" want s2-d-replaced-c "$U" 2 "lp_d "
lpb_check "replace: all off" want s2-off "$U" 1 ""
lpb_check "two patches, one module: both changes" want s3-e "$P" 2 "lp_e "
lpb_check "two patches, one module: off" want s3-off "$U" 1 ""
lpb_summary patches-stacking
