#!/usr/bin/env bash
# lp-build as a package: a Release build (the build type packagers use) compiles, CPack
# makes the Debian package, apt finds every dependency it declares on this Debian 12, and
# the copy extracted into a scratch root runs from there: its --version names the
# installed share/lp-build, `diff` works, `check` parses a real patch against the default
# kernel with the installed helper and headers, the man page renders. About 6 minutes
# from nothing (the Release build), 30 s when build-release/ is up to date.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch package
bdir="$LPB_REPO/build-release"
{ cmake -S "$LPB_REPO" -B "$bdir" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  nice -n 5 cmake --build "$bdir" -j"$(nproc)" --target lp-build lpb-unit-model; } >"$WORK/release-build.log" 2>&1
rc=$?
[ "$rc" = 0 ] || tail -n 30 "$WORK/release-build.log"
check "a Release build compiles" [ "$rc" = 0 ]
check "a Release build compiles without warnings" sh -c "! grep -q 'warning:' '$WORK/release-build.log'"
rm -f "$bdir"/lp-build_*.deb
(cd "$bdir" && cpack -G DEB) >"$WORK/cpack.log" 2>&1 || tail -n 20 "$WORK/cpack.log"
deb=$(ls "$bdir"/lp-build_*_amd64.deb 2>/dev/null | head -n1)
check "cpack made the Debian package" test -n "$deb"
[ -n "$deb" ] || { summary package; exit 1; }

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for d in libclang-cpp16 libzydis make gcc patch; do
  check "declares $d" sh -c "printf '%s' '$depends' | grep -q '$d'"
done
check "apt resolves its dependencies here" sh -c "apt-get install -s '$deb' >'$WORK/apt.log' 2>&1 || { cat '$WORK/apt.log'; false; }"

root="$WORK/root"
dpkg -x "$deb" "$root"
ilpb="$root/usr/bin/lp-build"
for f in usr/bin/lp-build usr/lib/lp-build/lpb-unit-model usr/share/lp-build/include/lpb/livepatch.h \
         usr/share/lp-build/include/kpatch-macros.h usr/share/lp-build/module/runtime/lpb-runtime.c \
         usr/share/lp-build/scripts/kernel/build-kernel.sh usr/share/lp-build/scripts/kernel/lpb-x86_64.config \
         usr/share/lp-build/ci/gitlab/lp-build.gitlab-ci.yml usr/share/lp-build/ci/github/livepatch.yml \
         usr/share/man/man1/lp-build.1 usr/share/doc/lp-build/KPATCH-MIGRATION.md; do
  check "installs /$f" test -e "$root/$f"
done
check "--version names the installed data" sh -c "'$ilpb' --version | grep -qF '(data: $root/usr/share/lp-build)'"
check "check --help" sh -c "'$ilpb' check --help | grep -q -- '--deep'"
check "ci --help" sh -c "'$ilpb' ci --help | grep -q -- '--no-verify'"

# diff on two objects of a small C file
cat >"$WORK/f.c" <<'C'
int g(int x) { return x * 2; }
int f(int x) { return g(x) + 1; }
C
sed 's/x \* 2/x * 3/' "$WORK/f.c" >"$WORK/f2.c"
# (with ftrace entries, as kernel code has: -pg -mfentry -mrecord-mcount)
cflags="-O2 -pg -mfentry -mrecord-mcount -ffunction-sections -fdata-sections"
gcc $cflags -c "$WORK/f.c" -o "$WORK/a.o"
gcc $cflags -c "$WORK/f2.c" -o "$WORK/b.o"
"$ilpb" diff "$WORK/a.o" "$WORK/b.o" -o "$WORK/out.o" >"$WORK/diff.log" 2>&1
check "installed diff: exit 0" [ $? = 0 ]
check "installed diff: the changed function" sh -c "readelf -sW '$WORK/out.o' | grep -qw g"

# check parses with the installed lpb-unit-model and the installed headers.
"$ilpb" check "$LPB_REPO/testdata/patches/proc-string/patch.diff" >"$WORK/check.log" 2>&1
rc=$?
cat "$WORK/check.log"
check "installed check on the default kernel: ok" sh -c "[ $rc = 0 ] && grep -q '1 units parsed' '$WORK/check.log'"
check "the man page renders without warnings" \
  sh -c "groff -man -Tutf8 -ww '$root/usr/share/man/man1/lp-build.1' 2>'$WORK/man.err' >/dev/null && [ ! -s '$WORK/man.err' ]"
summary package
