#!/usr/bin/env bash
# lp-build against a distro kernel no one here built: Debian's own cloud-amd64 kernel of
# the installed linux-source-6.12's version (scripts/kernel/fetch-distro-kernel.sh),
# from the pristine source with the distro's config, debug vmlinux, Module.symvers and
# installed modules. Each case of testdata/distro/ is built with
# `lp-build --kernel REL --kernel-root ROOT -s SRC` and observed in QEMU booting that
# very vmlinuz (patches.sh: before, patched, after, and late load for module cases).
# Then bad input (one line naming the file, exit 2) and the source tree left untouched.
#
# Usage: tests/kernel/distro.sh [CASE...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
LPB_BIN="${LPB_BIN:-$LPB_REPO/build/lp-build}"
root="$("$LPB_KSCRIPTS/fetch-distro-kernel.sh")" || { echo "FAIL: cannot fetch the distro kernel"; exit 1; }
rel="$(basename "$(dirname "$root")")"
src="$("$LPB_KSCRIPTS/build-kernel.sh" --source-only | tail -n1)"
echo "distro kernel $rel in $root; source $src"

status=0
LPB_CASES="$LPB_REPO/testdata/distro" LPB_KERNEL_ARGS="--kernel $rel --kernel-root $root -s $src" \
  LPB_KERNEL_IMAGE="$root/boot/vmlinuz-$rel" LPB_MODULES_DIR="$root/lib/modules/$rel" LPB_TREE_SRC="$src" \
  LPB_BUILD_JOBS="${LPB_BUILD_JOBS:-2}" "$here/patches.sh" "$@" || status=1
[ $# -gt 0 ] && exit $status

# ---- bad input: one line naming the file, exit 2, no module ---------------------------
lpb_setup_out
patch="$LPB_REPO/testdata/distro/proc-string/patch.diff"
bad() { # bad NAME WANT-IN-MESSAGE lp-build-args...
  local name="$1" want="$2"; shift 2
  rm -f "$OUT/bad.ko"
  "$LPB_BIN" build "$patch" -o "$OUT/bad.ko" "$@" >"$OUT/bad.out" 2>"$OUT/bad.err"
  local rc=$?
  local last; last="$(grep -v '^lp-build: \[' "$OUT/bad.err" | tail -n 1)"
  echo "  $name: exit $rc: $last"
  lpb_check "bad input: $name: exit 2" test "$rc" = 2
  lpb_check "bad input: $name: one line naming $want" bash -c '[ "$(grep -vc "^lp-build: \[" "$1")" = 1 ] && grep -qF -- "$2" "$1"' _ "$OUT/bad.err" "$want"
  lpb_check "bad input: $name: no module" test ! -e "$OUT/bad.ko"
}
k=(--kernel "$rel" --kernel-root "$root")
vml="$root/usr/lib/debug/boot/vmlinux-$rel"
# A source tree of another version: a copy whose Makefile says another SUBLEVEL.
other="$OUT/other-src"; mkdir -p "$other"
for e in "$src"/*; do ln -s "$e" "$other/"; done
rm "$other/Makefile"; sed 's/^SUBLEVEL = .*/SUBLEVEL = 1/' "$src/Makefile" >"$other/Makefile"
bad "source of another version" "$other" "${k[@]}" -s "$other"
# A config that does not match the kernel: xfs built in, where the kernel has it as a
# module (the headers package beside Module.symvers has the kernel's own .config); and,
# without that copy, one olddefconfig must change (XFS=y needs LIBCRC32C=y).
sed 's/^CONFIG_XFS_FS=m/CONFIG_XFS_FS=y/' "$root/boot/config-$rel" >"$OUT/other.config"
bad "the config of another kernel" "$OUT/other.config" "${k[@]}" -s "$src" -c "$OUT/other.config"
cp "$root/usr/src/linux-headers-$rel/Module.symvers" "$OUT/Module.symvers"
bad "a config this source cannot have built (olddefconfig changes it)" "$OUT/other.config" "${k[@]}" -s "$src" \
  -c "$OUT/other.config" --symvers "$OUT/Module.symvers"
# A stripped vmlinux (no DWARF).
objcopy --strip-debug "$vml" "$OUT/vmlinux-stripped"
bad "stripped vmlinux" "$OUT/vmlinux-stripped" "${k[@]}" -s "$src" -v "$OUT/vmlinux-stripped"
# The wrong compiler: a vmlinux whose banner names a compiler that is not installed.
python3 - "$vml" "$OUT/vmlinux-othercc" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
old = b"(x86_64-linux-gnu-gcc-12 "
assert old in b
open(sys.argv[2], 'wb').write(b.replace(old, b"(x86_64-linux-gnu-gcc-99 "))
PY
bad "the wrong compiler" "gcc-99" "${k[@]}" -s "$src" -v "$OUT/vmlinux-othercc"
# A modules directory of another release.
mkdir -p "$OUT/modules/6.1.0-99-amd64/kernel"; touch "$OUT/modules/6.1.0-99-amd64/modules.order"
bad "modules of another release" "$OUT/modules/6.1.0-99-amd64" "${k[@]}" -s "$src" --modules "$OUT/modules/6.1.0-99-amd64"

# ---- --verify on the distro kernel: a fix inside a module with a dependency --------
"$LPB_BIN" build "$LPB_REPO/testdata/distro/xfs-stats/patch.diff" "${k[@]}" -s "$src" -o "$OUT/verify.ko" \
  --verify --verify-check 'tail -n 1 /sys/fs/xfs/stats/stats' >"$OUT/verify.out" 2>"$OUT/verify.err"
lpb_check "--verify boots the distro's vmlinuz with xfs and libcrc32c (exit $?)" grep -q "verified in QEMU" "$OUT/verify.err"
lpb_check "--verify ran the check on the patched xfs" grep -q "LPB-VERIFY-OUT: debug 0 lpb-fixed" "$OUT/verify.err"

# ---- signing for kernels that enforce module signatures ------------------------------
openssl req -new -nodes -utf8 -sha256 -days 2 -batch -x509 -subj /CN=lpb-test -outform PEM \
  -out "$OUT/cert.pem" -keyout "$OUT/key.pem" 2>/dev/null
"$LPB_BIN" build "$patch" "${k[@]}" -s "$src" -o "$OUT/signed.ko" --sign-key "$OUT/key.pem" --sign-cert "$OUT/cert.pem" \
  >/dev/null 2>"$OUT/signed.err"
lpb_check "--sign-key: the module is signed by the given key" test "$(modinfo -F signer "$OUT/signed.ko" 2>/dev/null)" = lpb-test
"$LPB_BIN" build "$patch" "${k[@]}" -s "$src" -o "$OUT/unsigned.ko" >/dev/null 2>&1
lpb_check "by default the module is unsigned" test -z "$(modinfo -F signer "$OUT/unsigned.ko" 2>/dev/null)"

# ---- lp-build check takes the same kernel options -------------------------------------
"$LPB_BIN" check "$patch" "${k[@]}" -s "$src" >"$OUT/check.out" 2>&1
lpb_check "check on the distro kernel: the fix is ok (exit $?)" grep -q "ok \[function-changed\] devinfo_show" "$OUT/check.out"
# The same patches build takes: one through kpatch-syscall.h, one touching a file this
# config does not build (a warning, as build's).
"$LPB_BIN" check "$LPB_REPO/testdata/distro/kpatch-syscall/patch.diff" "${k[@]}" -s "$src" >"$OUT/check-kp.out" 2>&1
lpb_check "check of a kpatch-syscall.h patch: exit 0 (got $?)" grep -q "lp-build: check: .* 0 refuse" "$OUT/check-kp.out"
"$LPB_BIN" check "$LPB_REPO/testdata/distro/unbuilt-file/patch.diff" "${k[@]}" -s "$src" >"$OUT/check-unbuilt.out" 2>&1
lpb_check "check of a patch touching an unbuilt file: exit 0, warned (got $?)" \
  grep -q "sound/core/init.c:0: warn \[not-analysed\]" "$OUT/check-unbuilt.out"

# ---- killed while preparing: nothing a later run trusts, the source untouched ---------
kc="$OUT/kill-cache"; stamp="$OUT/.kill-stamp"; touch "$stamp"; sleep 1
LPB_CACHE="$kc" setsid "$LPB_BIN" build "$patch" "${k[@]}" -s "$src" -o "$OUT/killed.ko" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do ls "$kc"/trees/distro-*/Makefile >/dev/null 2>&1 && break; sleep 0.2; done
sleep 3
kill -9 -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null
lpb_check "killed during preparation: no prepared stamp left" bash -c '! ls "$1"/trees/distro-*/.lpb-prepared 2>/dev/null' _ "$kc"
LPB_CACHE="$kc" "$LPB_BIN" build "$patch" "${k[@]}" -s "$src" -o "$OUT/after-kill.ko" >"$OUT/after-kill.err" 2>&1
lpb_check "the next run prepares again and builds the module (exit $?)" test -f "$OUT/after-kill.ko"
touched="$(find "$src" -newer "$stamp" -print 2>/dev/null | head -n 5)"
lpb_check "the source tree is untouched (killed and completed runs)" test -z "$touched"
lpb_summary distro-bad-input || status=1
exit $status
