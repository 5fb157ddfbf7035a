#!/usr/bin/env bash
# lp-build's differ on real kernel objects of every architecture: for each case of
# testdata/objects/ (a real fix to a real unit), the unit is compiled original and patched
# by kbuild itself in a tree configured with the architecture's own defconfig
# (scripts/kernel/prepare-objects.sh: defconfig + lpb-objects.config, `make prepare`, no
# kernel build), with the flags lp-build adds (-ffunction-sections -fdata-sections); then
# tests/diff/run_cases.py --objects runs `lp-build diff` on the pair and checks the case's
# expect file: the exact functions, the special-section entries (entry sizes from pahole on
# the objects' DWARF), the refusals, and that every allocated section the real objects
# carry is one lp-build knows.
#
# Usage: tests/kernel/objects.sh [ARCH...]   (default: ppc64le s390x aarch64 loongarch64 x86_64)
#
# The compiled pairs are cached in the tree (OBJECTS/cases/CASE/ARCH/), keyed by the patch,
# the unit and the tree; a warm run only diffs. Killing the script half-way is safe: the
# touched files of every case are put back (hard links to the pristine source) before each
# compile.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cases="$repo/testdata/objects"
lpb="${LPB_BUILD_BIN:-$repo/build/lp-build}"
[ -x "$lpb" ] || { echo "objects.sh: $lpb is not built" >&2; exit 2; }
[ $# -gt 0 ] || set -- ppc64le s390x aarch64 loongarch64 x86_64
command -v pahole >/dev/null || { echo "objects.sh: pahole missing (scripts/install-deps.sh --kernel)" >&2; exit 2; }

expect_get() {  # expect_get CASE KEY ARCH: the value of KEY (KEY.ARCH wins), "" if none
  awk -v k="$2" -v ka="$2.$3" -F: '
    { sub(/#.*/, "") } $1 ~ /^[ \t]*$/ { next }
    { key = $1; gsub(/[ \t]/, "", key); val = substr($0, index($0, ":") + 1); gsub(/^[ \t]+|[ \t]+$/, "", val) }
    key == k && !have_a { v = val } key == ka { v = val; have_a = 1 }
    END { print v }' "$cases/$1/expect"
}

# pahole's sizes of the structs behind struct-sized special sections, as --struct-size
# KIND=BYTES pairs, for the structs the objects' DWARF has.
struct_sizes() {
  pahole --sizes "$@" 2>/dev/null | awk '
    BEGIN { k["bug_entry"] = "bug"; k["exception_table_entry"] = "ex"; k["jump_entry"] = "jump";
            k["alt_instr"] = "alt"; k["orc_entry"] = "orc"; k["static_call_site"] = "static_call";
            k["pi_entry"] = "printk_index" }
    ($1 in k) && !seen[$1]++ { printf "%s%s=%s", sep, k[$1], $2; sep = " " }'
}

# The files a patch touches (its +++ names, -p1).
touched_files() { sed -n 's,^+++ b/\([^[:space:]]*\).*,\1,p' "$1"; }

# Put a touched file back: a hard link to the pristine source, as prepare-objects.sh made it.
restore() {  # restore TREE PRISTINE FILE...
  local tree="$1" pristine="$2" f; shift 2
  for f in "$@"; do ln -f "$pristine/$f" "$tree/src/$f"; done
}

build_case() {  # build_case TREE PRISTINE CASE ARCH LINUX: orig.o, patched.o, struct-size
  local tree="$1" pristine="$2" c="$3" arch="$4" linux="$5"
  local unit obj patch out key
  unit="$(expect_get "$c" unit "$arch")"; obj="${unit%.c}.o"
  patch="$cases/$c/patch-$linux.diff"; [ -f "$patch" ] || patch="$cases/$c/patch.diff"
  out="$tree/cases/$c/$arch"
  key="$(cat "$tree/.lpb-prepared" "$patch" <(echo "$unit $module_code_model") | sha256sum | cut -c1-16)"
  if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ]; then return 0; fi
  rm -rf "$out"; mkdir -p "$out"
  mapfile -t files < <(touched_files "$patch")
  # As lp-build compiles: -ffunction-sections -fdata-sections, and for a unit linked into
  # vmlinux the architecture's module code model (its code will run from the patch module).
  local kcflags="-ffunction-sections -fdata-sections"
  [[ "$(expect_get "$c" args "$arch")" == *--module* ]] || kcflags+="${module_code_model:+ $module_code_model}"
  local mk=(make -s -C "$tree/src" O="$tree/build" KCFLAGS="$kcflags")
  restore "$tree" "$pristine" "${files[@]}"
  rm -f "$tree/build/$obj"
  "${mk[@]}" "$obj" >"$out/orig.log" 2>&1 || { echo "FAIL $c/$arch: the original $unit does not compile:"; tail -n 20 "$out/orig.log"; return 1; }
  cp "$tree/build/$obj" "$out/orig.o"
  # The patched unit: fresh copies of the touched files (the pristine inodes stay as they
  # are), the patch applied by GNU patch, kbuild again.
  for f in "${files[@]}"; do cp --remove-destination "$pristine/$f" "$tree/src/$f"; done
  if ! patch -s -p1 -d "$tree/src" --no-backup-if-mismatch -r - <"$patch" >"$out/patch.log" 2>&1; then
    restore "$tree" "$pristine" "${files[@]}"
    echo "FAIL $c/$arch: $(basename "$patch") does not apply to Linux $linux:"; cat "$out/patch.log"; return 1
  fi
  rm -f "$tree/build/$obj"
  local rc=0
  "${mk[@]}" "$obj" >"$out/patched.log" 2>&1 || rc=1
  [ "$rc" = 1 ] || cp "$tree/build/$obj" "$out/patched.o"
  restore "$tree" "$pristine" "${files[@]}"
  rm -f "$tree/build/$obj"
  [ "$rc" = 0 ] || { echo "FAIL $c/$arch: the patched $unit does not compile:"; tail -n 20 "$out/patched.log"; return 1; }
  struct_sizes "$out/orig.o" "$out/patched.o" >"$out/struct-size"
  echo "$key" >"$out/.key"
}

status=0
for arch in "$@"; do
  echo "--- $arch"
  t0=$(date +%s)
  tree="$("$repo/scripts/kernel/prepare-objects.sh" "$arch" | tail -n1)" || { echo "FAIL $arch: no prepared tree"; status=1; continue; }
  linux="$(sed -n 's/^source=linux-source-\([0-9.]*\) .*/\1/p' "$tree/lpb-build-info")"
  pristine="${LPB_CACHE:-/var/cache/lp-build}/src/linux-source-$linux"
  [ -f "$pristine/Makefile" ] || { echo "FAIL $arch: no pristine source $pristine"; status=1; continue; }
  module_code_model="$("$lpb" targets --json | python3 -c '
import json, sys
print(" ".join(next(t for t in json.load(sys.stdin) if t["name"] == sys.argv[1])["module_code_model_flags"]))' "$arch")"
  (
    # shellcheck disable=SC1091
    source "$tree/env"
    exec 8>"$tree/.lock"; flock 8
    rc=0
    for d in "$cases"/*/; do
      c="$(basename "$d")"
      arches="$(expect_get "$c" arches "$arch")"
      [ -z "$arches" ] || [[ " $arches " == *" $arch "* ]] || continue
      build_case "$tree" "$pristine" "$c" "$arch" "$linux" || rc=1
    done
    exit $rc
  ) || status=1
  echo "$arch: objects ready in $(( $(date +%s) - t0 )) s"
  python3 "$repo/tests/diff/run_cases.py" --lp-build "$lpb" --cases "$cases" --objects "$tree/cases" \
    --arch "$arch" || status=1
done
exit $status
