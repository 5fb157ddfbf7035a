#!/usr/bin/env bash
# End-to-end test of `lp-build build` on the patch catalogue in testdata/patches/
# (see its README.md). For each case (all, or those named):
#   - runs lp-build on the case's patch.diff against the default (cached) kernel;
#   - expect=refuse: exit status 1, the case's rule in the JSON report's refusals
#     and in a "lp-build: refuse [RULE]" line on stderr, no module;
#   - expect=ok: exit status 0 and a module, then ONE boot under QEMU/TCG with an
#     initramfs holding the patch module, the in-tree modules the case names and a
#     generated guest script that runs setup.sh, observe.sh (-> before), loads
#     the patch, waits for the transition, observe.sh (-> patched), disables it,
#     waits for the transition and for its sysfs dir to go away, observe.sh
#     (-> after), removes it; with late_load=yes also teardown.sh, patch first,
#     then setup.sh (-> late-patched == expect.patched), disable (-> late-after
#     == expect.after). Every observation is compared with the case's expect.*
#     on the host; the guest also checks taints and the livepatch kernel log.
#     A kernel Oops/BUG/WARNING/Call Trace fails the case (qemu-run.sh status 3).
#
# Usage: tests/kernel/patches.sh [--baseline] [CASE...]
#   --baseline  no lp-build: one boot that runs setup.sh + observe.sh (+ teardown.sh)
#               of every ok case on the unpatched kernel and checks expect.before;
#               also checks on the host that every case's expectations discriminate.
# Environment: LPB_BIN (default <repo>/build/lp-build), LPB_BUILD_TIMEOUT (s, default
# 1800), LPB_BUILD_JOBS (lp-build -j, default 1: the test machines are shared),
# LPB_PREBUILT=DIR (no lp-build: boot DIR/livepatch-CASE.ko instead, e.g. the
# hand-written references of patches-reference.sh, to check the guest flow and the
# expectations; refusal cases are skipped), and lib.sh's LPB_TEST_OUT, LPB_KEEP,
# LPB_QEMU_TIMEOUT, LPB_QEMU_QUIET.
# Exit: 0 all checks passed, 1 a check failed, 77 lp-build has no `build` command.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
# Another catalogue against another kernel (tests/kernel/distro.sh): LPB_CASES (the
# catalogue), LPB_KERNEL_ARGS (lp-build's kernel options, word-split), LPB_KERNEL_IMAGE
# (what to boot), LPB_ARCH (lib.sh: the test kernel's architecture), LPB_MODULES_DIR (where the modules a case names are: installed-module
# layout, compressed or not, loaded with their dependencies), LPB_TREE_SRC (the source
# tree that must stay untouched), LPB_SKIP_CASES (cases this machine cannot run, named as
# skipped with LPB_SKIP_REASON: tests/kernel/s390x.sh's emulator probe).
cases_dir="${LPB_CASES:-$LPB_REPO/testdata/patches}"
LPB_BIN="${LPB_BIN:-$LPB_REPO/build/lp-build}"

baseline=0
if [ "${1:-}" = --baseline ]; then baseline=1; shift; fi
if [ $# -gt 0 ]; then
  cases=("$@")
else
  cases=()
  for d in "$cases_dir"/*/; do [ -f "$d/case.conf" ] && cases+=("$(basename "$d")"); done
fi
for c in "${cases[@]}"; do
  [ -f "$cases_dir/$c/case.conf" ] || { echo "patches.sh: no such case: $c" >&2; exit 2; }
done
if [ -n "${LPB_SKIP_CASES:-}" ]; then
  kept=()
  for c in "${cases[@]}"; do
    case " $LPB_SKIP_CASES " in
      *" $c "*) echo "SKIPPED: $c: ${LPB_SKIP_REASON:-this machine cannot run it}" ;;
      *) kept+=("$c") ;;
    esac
  done
  cases=("${kept[@]}")
fi

if [ "$baseline" = 0 ] && [ -z "${LPB_PREBUILT:-}" ] && ! "$LPB_BIN" build --help >/dev/null 2>&1; then
  echo "SKIP: $LPB_BIN has no 'build' command yet (patches.sh --baseline checks the expectations without it)"
  exit 77
fi

# Observations assume qemu-run.sh's own command line ("... panic=-1 ", with its
# trailing blank: new-static-function looks at it).
unset LPB_QEMU_APPEND
lpb_setup_out
if [ -n "${LPB_KERNEL_IMAGE:-}" ]; then KDIR="$LPB_KERNEL_IMAGE"; else lpb_kernel; fi
# Without kernel options lp-build uses its default (x86_64) kernel; another LPB_ARCH's
# test kernel is named with -s.
if [ -z "${LPB_KERNEL_ARGS:-}" ] && [ "${LPB_ARCH:-x86_64}" != x86_64 ]; then LPB_KERNEL_ARGS="-s $KDIR"; fi
read -r -a kernel_args <<<"${LPB_KERNEL_ARGS:-}"

# load_case CASE: the case's settings in expect, rule, modules, late_load.
load_case() {
  expect=""; rule=""; modules=""; late_load=no; ko_check=; stderr_has=
  # shellcheck disable=SC1090
  . "$cases_dir/$1/case.conf"
}

# module_path NAME: the in-tree module NAME.ko of the kernel build dir (with
# LPB_MODULES_DIR: the installed module, decompressed, after the modules it depends on).
module_path() {
  if [ -n "${LPB_MODULES_DIR:-}" ]; then installed_module "$1"; return; fi
  local rel
  rel="$(grep -E "(^|/)$1\.o\$" "$KDIR/modules.order" | head -n1)"
  [ -n "$rel" ] && [ -f "$KDIR/${rel%.o}.ko" ] && echo "$KDIR/${rel%.o}.ko"
}

installed_module() {
  local f dep out="$OUT/modules/$1.ko"
  f="$(find "$LPB_MODULES_DIR" \( -name "$1.ko" -o -name "$1.ko.*" -o -name "${1//_/-}.ko" -o -name "${1//_/-}.ko.*" \) | head -n1)"
  [ -n "$f" ] || return 1
  for dep in $(modinfo -F depends "$f" | tr ',' ' '); do installed_module "$dep" || return 1; done
  mkdir -p "$OUT/modules"
  case "$f" in
    *.xz) xz -dc "$f" >"$out" ;; *.zst) zstd -qdc "$f" >"$out" ;; *.gz) gzip -dc "$f" >"$out" ;; *) cp "$f" "$out" ;;
  esac
  echo "$out"
}

# obs_of LOG PHASE: the lines the guest reported for PHASE (see obs() in the guest).
obs_of() {
  sed -n "s/^.*LPB-OBS $2\\.[0-9][0-9]*: //p" "$1" | sed 's/|$//'
}

# same_as LOG PHASE FILE: PHASE's observation equals FILE; shows a diff if not.
same_as() {
  local got; got="$(obs_of "$1" "$2")"
  if [ "$got" = "$(cat "$3")" ] && grep -q "LPB-OBS $2\\.lines:" "$1"; then return 0; fi
  echo "  --- expected ($3) / +++ observed ($2):"
  diff <(cat "$3") <(printf '%s\n' "$got") | sed 's/^/  /'
  return 1
}

differ() { ! cmp -s "$1" "$2"; }
jq_true() { jq -e "$@" >/dev/null 2>&1; }

# The guest-side helpers shared by every generated script.
guest_lib() {
  cat <<'EOF'
. /lpb/common.sh
# obs PHASE: run observe.sh, one "LPB-OBS PHASE.N: line|" per output line
# (the "|" keeps trailing blanks), then the line count and observe.sh's status.
obs() {
  sh /lpb/observe.sh >/tmp/obs.out 2>&1
  r=$?
  i=0
  while IFS= read -r l || [ -n "$l" ]; do
    i=$((i + 1)); echo "LPB-OBS $1.$i: $l|"
  done </tmp/obs.out
  echo "LPB-OBS $1.lines: $i"
  echo "LPB-OBS $1.rc: $r"
}
# wait_gone PATCH: wait (<= 30 s) until the disabled patch's sysfs dir is gone.
wait_gone() {
  n=0
  while [ -e "/sys/kernel/livepatch/$1" ]; do
    n=$((n + 1)); [ "$n" -gt 300 ] && return 1
    sleep 0.1 2>/dev/null || usleep 100000
  done
}
# patch_on KO PATCH, patch_off PATCH MOD
patch_on() {
  insmod "$1"; r=$?; check insmod-patch $r
  [ "$r" = 0 ] || return 1
  wait_transition "$2"; check transition-patch $?
  [ "$(cat "/sys/kernel/livepatch/$2/enabled" 2>/dev/null)" = 1 ]; check patch-enabled $?
}
patch_off() {
  echo 0 >"/sys/kernel/livepatch/$1/enabled"; check disable-patch $?
  wait_transition "$1"; check transition-unpatch $?
  wait_gone "$1"; check patch-sysfs-gone $?
}
run_setup() { [ ! -f /lpb/setup.sh ] || { sh /lpb/setup.sh; check "setup$1" $?; }; }
run_teardown() { [ ! -f /lpb/teardown.sh ] || { sh /lpb/teardown.sh; check "teardown$1" $?; }; }
# kernel_health: taints other than K (livepatch), O (out of tree), E (unsigned)
# and livepatch errors in the kernel log fail.
kernel_health() {
  t=$(cat /proc/sys/kernel/tainted)
  echo "LPB-OBS tainted: $t"
  [ $(( t & ~((1 << 15) | (1 << 12) | (1 << 13)) )) = 0 ]; check taint-only-livepatch $?
  # (our own output goes through the kernel log too: leave out the LPB- lines)
  dmesg | grep -v 'LPB-' | grep -iE 'livepatch|klp' | sed 's/^/LPB-KLOG /'
  # (an unsigned module on a kernel with module signatures says so, and taints with E: not an error)
  ! dmesg | grep -v 'LPB-' | grep -v 'module verification failed: signature and/or required key missing' |
    grep -iE '(livepatch|klp).*(fail|error|unable|not found|invalid|cannot|can.t|refus|stall|stuck|unknown)'
  check no-livepatch-errors $?
}
EOF
}

# gen_guest CASE KO PATCH MOD: the guest script of an ok case.
gen_guest() {
  guest_lib
  cat <<EOF
KO=/lpb/$2
P=$3
MOD=$4
LATE=$late_load
EOF
  cat <<'EOF'
echo "LPB-OBS scenario: module loaded first"
run_setup ""
obs before
if patch_on "$KO" "$P"; then
  obs patched
  patch_off "$P"
  obs after
  rmmod "$MOD"; check rmmod-patch $?
fi
if [ "$LATE" = yes ]; then
  echo "LPB-OBS scenario: patch loaded first"
  run_teardown ""
  if patch_on "$KO" "$P"; then
    run_setup -late
    obs late-patched
    patch_off "$P"
    obs late-after
    rmmod "$MOD"; check rmmod-patch-late $?
    run_teardown -late
  fi
fi
kernel_health
lsmod
exit "$fails"
EOF
}

# ---------------------------------------------------------------- baseline mode
if [ "$baseline" = 1 ]; then
  script="$OUT/baseline-guest.sh"
  files=("$here/guest/common.sh")
  guest_lib >"$script"
  for c in "${cases[@]}"; do
    load_case "$c"; d="$cases_dir/$c"
    if [ "$expect" = refuse ]; then
      lpb_check "$c: refusal names a rule" test -n "$rule"
      continue
    fi
    lpb_check "$c: expect.patched differs from expect.before" differ "$d/expect.before" "$d/expect.patched"
    lpb_check "$c: expect.patched differs from expect.after" differ "$d/expect.patched" "$d/expect.after"
    mkdir -p "$OUT/cases/$c"
    for f in observe.sh setup.sh teardown.sh; do
      [ -f "$d/$f" ] && cp "$d/$f" "$OUT/cases/$c/$c-$f"
      [ -f "$d/$f" ] && files+=("$OUT/cases/$c/$c-$f")
    done
    for m in $modules; do
      p="$(module_path "$m")" || { lpb_check "$c: module $m in $KDIR" false; continue; }
      case " ${files[*]} " in *" $p "*) ;; *) files+=("$p") ;; esac
    done
    # Each case's files go in as /lpb/CASE-*.sh; link them to the names obs() uses.
    cat >>"$script" <<EOF
echo "LPB-OBS case: $c"
for f in observe setup teardown; do rm -f /lpb/\$f.sh; [ -f /lpb/$c-\$f.sh ] && ln -s /lpb/$c-\$f.sh /lpb/\$f.sh; done
run_setup "-$c"
obs $c.before
run_teardown "-$c"
EOF
  done
  echo 'kernel_health; exit "$fails"' >>"$script"
  log="$OUT/baseline.log"
  lpb_boot "$script" "$log" "${files[@]}"
  qrc=$?
  lpb_check "baseline boot ran to the end, no Oops/BUG/WARNING/Call Trace (qemu-run status $qrc)" \
    test "$qrc" = 0 -o "$qrc" = 1
  lpb_check "baseline guest-side checks passed" grep -q 'LPB-END-OF-RUN rc=0' "$log"
  for c in "${cases[@]}"; do
    load_case "$c"; [ "$expect" = ok ] || continue
    lpb_check "$c: unpatched kernel matches expect.before" same_as "$log" "$c.before" "$cases_dir/$c/expect.before"
  done
  lpb_summary patches-baseline
  exit $?
fi

# ---------------------------------------------------------------- lp-build mode
# lp-build must never write into the user's tree: the kernel build dir and its source.
if [ -n "${LPB_TREE_SRC:-}" ]; then ksrc="$LPB_TREE_SRC"; KTREE=; else ksrc="$(readlink -f "$KDIR/source")"; KTREE="$KDIR"; fi
stamp="$OUT/.tree-stamp"; touch "$stamp"; sleep 1
for c in "${cases[@]}"; do
  echo "=== $c"
  load_case "$c"; d="$cases_dir/$c"; o="$OUT/cases/$c"; mkdir -p "$o"
  # The default module name comes from the patch's file name: livepatch-CASE.
  cp "$d/patch.diff" "$o/$c.diff"
  ko="$o/livepatch-$c.ko"; json="$o/report.json"; rm -f "$ko" "$json"
  if [ -n "${LPB_PREBUILT:-}" ]; then
    if [ "$expect" = refuse ]; then echo "(skipped: LPB_PREBUILT)"; continue; fi
    [ -f "$LPB_PREBUILT/livepatch-$c.ko" ] || { echo "(skipped: no $LPB_PREBUILT/livepatch-$c.ko)"; continue; }
    cp "$LPB_PREBUILT/livepatch-$c.ko" "$ko"
    echo '{"status":"ok"}' >"$json"
  fi
  t0=$(date +%s)
  if [ -n "${LPB_PREBUILT:-}" ]; then
    : >"$o/lp-build.err"; rc=0
  else
    ( cd "$o" && timeout "${LPB_BUILD_TIMEOUT:-1800}" nice -n 10 "$LPB_BIN" build "$o/$c.diff" "${kernel_args[@]}" -j "${LPB_BUILD_JOBS:-1}" -o "$ko" --json "$json" ) \
      >"$o/lp-build.out" 2>"$o/lp-build.err"
    rc=$?
  fi
  if [ -n "${LPB_PREBUILT:-}" ]; then
    echo "prebuilt module $LPB_PREBUILT/livepatch-$c.ko (lp-build not run)"
  else
    echo "lp-build exit $rc after $(( $(date +%s) - t0 ))s; stderr (last lines):"
    tail -n 8 "$o/lp-build.err" | sed 's/^/  /'
  fi
  status="$(jq -r '.status // empty' "$json" 2>/dev/null)"

  if [ -n "$stderr_has" ]; then
    lpb_check "$c: stderr says '$stderr_has'" grep -qF "$stderr_has" "$o/lp-build.err"
  fi
  if [ "$expect" = nochange ]; then
    lpb_check "$c: lp-build exits 3 (no change), got $rc" test "$rc" = 3
    lpb_check "$c: no module written" test ! -e "$ko"
    continue
  fi
  if [ "$expect" = refuse ]; then
    lpb_check "$c: lp-build exits 1 (refused), got $rc" test "$rc" = 1
    lpb_check "$c: JSON status is refused (got '${status}')" test "$status" = refused
    lpb_check "$c: JSON refusals name rule $rule" \
      jq_true --arg r "$rule" '[.refusals[]?.rule] | index($r) != null' "$json"
    lpb_check "$c: stderr has 'lp-build: refuse [$rule]'" grep -qF "lp-build: refuse [$rule]" "$o/lp-build.err"
    lpb_check "$c: no module written" test ! -e "$ko"
    continue
  fi

  lpb_check "$c: lp-build exits 0, got $rc" test "$rc" = 0
  lpb_check "$c: JSON status is ok (got '${status}')" test "$status" = ok
  if [ "$rc" != 0 ] || [ ! -f "$ko" ]; then
    lpb_check "$c: module written" false
    continue
  fi
  modname="$(modinfo -F name "$ko" 2>/dev/null)"
  lpb_check "$c: module name is the default livepatch-$c (got '$modname')" \
    test "$modname" = "livepatch-$c" -o "$modname" = "livepatch_${c//-/_}"
  [ -n "$modname" ] || modname="livepatch-$c"
  lpb_check "$c: module has modinfo livepatch=Y" test "$(modinfo -F livepatch "$ko" 2>/dev/null)" = Y
  P="${modname//-/_}"
  # ko_check (case.conf): a host-side check of the module, with KO and JSON set.
  if [ -n "$ko_check" ] && [ -z "${LPB_PREBUILT:-}" ]; then
    lpb_check "$c: module check: $ko_check" env KO="$ko" JSON="$json" bash -c "$ko_check"
  fi

  files=("$here/guest/common.sh" "$ko")
  for f in observe.sh setup.sh teardown.sh; do [ -f "$d/$f" ] && files+=("$d/$f"); done
  for m in $modules; do
    p="$(module_path "$m")" || { lpb_check "$c: module $m in ${LPB_MODULES_DIR:-$KDIR}" false; continue; }
    mapfile -t mods <<<"$p"
    files+=("${mods[@]}")
  done
  gen_guest "$c" "$(basename "$ko")" "$P" "$P" >"$o/guest.sh"
  log="$o/boot.log"
  lpb_boot "$o/guest.sh" "$log" "${files[@]}"
  qrc=$?
  lpb_check "$c: boot ran to the end, no Oops/BUG/WARNING/Call Trace (qemu-run status $qrc)" \
    test "$qrc" = 0 -o "$qrc" = 1
  lpb_check "$c: guest-side checks passed (insmod, transitions, taint, livepatch log)" \
    grep -q 'LPB-END-OF-RUN rc=0' "$log"
  grep -E 'LPB-CHECK .* FAIL' "$log" | sed 's/^.*LPB-CHECK/  guest FAIL:/'
  lpb_check "$c: before matches expect.before" same_as "$log" before "$d/expect.before"
  lpb_check "$c: patched matches expect.patched" same_as "$log" patched "$d/expect.patched"
  lpb_check "$c: after matches expect.after" same_as "$log" after "$d/expect.after"
  if [ "$late_load" = yes ]; then
    lpb_check "$c: module loaded after the patch comes up patched" same_as "$log" late-patched "$d/expect.patched"
    lpb_check "$c: ... and is unpatched after disabling" same_as "$log" late-after "$d/expect.after"
  fi
done
if [ -z "${LPB_PREBUILT:-}" ]; then
  touched="$(find $KTREE "$ksrc" -newer "$stamp" -print 2>/dev/null | head -n 20)"
  [ -z "$touched" ] || { echo "written in the user's tree:"; echo "$touched" | sed 's/^/  /'; }
  lpb_check "lp-build left the kernel tree and its source untouched" test -z "$touched"
fi
lpb_summary "$(basename "$cases_dir")"
