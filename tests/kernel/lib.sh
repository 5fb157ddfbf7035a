# shellcheck shell=bash
# Helpers shared by the QEMU livepatch tests in tests/kernel/ (source, don't run).
#
#   lpb_kernel                 -> sets KDIR (builds the cached kernel if needed)
#   lpb_build_module DIR       -> make -C $KDIR M=DIR modules
#   lpb_boot SCRIPT LOG FILES  -> initramfs with SCRIPT + FILES, boots it, qemu-run status in $?
#   lpb_check NAME CMD...      -> counts a check (passes if CMD succeeds); lpb_summary prints "N passed, M failed"
#
# Environment: LPB_ARCH (the test kernel's architecture, build-kernel.sh --arch: x86_64 by
# default; the QEMU machine and busybox then come from `lp-build targets --json`, i.e. from
# arch/), LPB_FLAVOUR (build-kernel.sh --flavour: e.g. Os), LPB_CACHE (kernel cache root), LPB_TEST_OUT (keep artifacts there
# instead of a temp dir that is removed on success), LPB_KEEP=1 (keep the temp dir
# anyway), LPB_QEMU_TIMEOUT (default 300), LPB_QEMU_QUIET=0 (show the console).

LPB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LPB_KSCRIPTS="$LPB_REPO/scripts/kernel"
lpb_passed=0
lpb_failed=0

lpb_setup_out() {
  if [ -n "${LPB_TEST_OUT:-}" ]; then
    OUT="$LPB_TEST_OUT"; mkdir -p "$OUT"
  else
    OUT="$(mktemp -d --tmpdir lpb-ktest.XXXXXX)"
    # Keep the artifacts (serial log, modules) when something failed.
    trap 'if [ "$lpb_failed" = 0 ] && [ "${LPB_KEEP:-0}" = 0 ]; then rm -rf "$OUT"; else echo "artifacts kept in $OUT" >&2; fi' EXIT
  fi
}

lpb_kernel() {
  local t0; t0=$(date +%s)
  KDIR="$(nice -n 10 "$LPB_KSCRIPTS/build-kernel.sh" --arch "${LPB_ARCH:-x86_64}" \
    ${LPB_FLAVOUR:+--flavour "$LPB_FLAVOUR"} | tail -n1)"
  if [ -z "$KDIR" ] || [ ! -f "$KDIR/.lpb-complete" ]; then echo "kernel build failed" >&2; exit 1; fi
  echo "kernel: $KDIR ($(( $(date +%s) - t0 ))s)" >&2
}

lpb_build_module() {
  # shellcheck disable=SC1091
  ( set -a; . "$KDIR/lpb-build-env"; set +a
    nice -n 10 make -s -C "$KDIR" M="$1" modules ) >&2
}

# lpb_machine: exports the LPB_QEMU_* machine and LPB_BUSYBOX of LPB_ARCH's target, as
# lp-build --verify uses them (nothing for the x86_64 default: qemu-run.sh's defaults).
lpb_machine() {
  [ -n "${LPB_ARCH:-}" ] && [ "$LPB_ARCH" != x86_64 ] || return 0
  [ -z "${LPB_QEMU_SYSTEM:-}" ] || return 0
  local m; m="$("${LPB_BIN:-$LPB_REPO/build/lp-build}" targets --json |
    jq -er --arg a "$LPB_ARCH" '.[] | select(.name == $a) | .qemu | [.system, .options, .console, .image, .debian_arch] | join("\t")')" ||
    { echo "lib.sh: lp-build targets knows no QEMU machine for $LPB_ARCH" >&2; return 1; }
  IFS=$'\t' read -r LPB_QEMU_SYSTEM LPB_QEMU_MACHINE LPB_QEMU_CONSOLE LPB_QEMU_IMAGE debarch <<<"$m"
  LPB_BUSYBOX="$("$LPB_KSCRIPTS/fetch-busybox.sh" "$debarch")" || return 1
  export LPB_QEMU_SYSTEM LPB_QEMU_MACHINE LPB_QEMU_CONSOLE LPB_QEMU_IMAGE LPB_BUSYBOX
}

lpb_boot() {
  local script="$1" log="$2"; shift 2
  lpb_machine || return 2
  "$LPB_KSCRIPTS/mkinitramfs.sh" "$OUT/initramfs.cpio.gz" "$script" "$@"
  LPB_QEMU_LOG="$log" LPB_QEMU_QUIET="${LPB_QEMU_QUIET:-1}" \
    "$LPB_KSCRIPTS/qemu-run.sh" "$KDIR" "$OUT/initramfs.cpio.gz" "${LPB_QEMU_TIMEOUT:-300}"
}

# lpb_check NAME COMMAND...: the check passes if COMMAND succeeds.
lpb_check() {
  local name="$1"; shift
  if "$@"; then
    lpb_passed=$((lpb_passed + 1)); echo "PASS: $name"
  else
    lpb_failed=$((lpb_failed + 1)); echo "FAIL: $name"
  fi
}

# Value of the guest's "LPB-OBS <key>: <value>" line in LOG (last one wins).
lpb_obs() {
  [ -f "$1" ] || return 0
  sed -n "s/^.*LPB-OBS $2: //p" "$1" | tail -n1
}

lpb_summary() {
  echo "$1: $lpb_passed passed, $lpb_failed failed"
  [ "$lpb_failed" = 0 ]
}
