#!/usr/bin/env bash
# Prepares (once, cached) a kernel tree configured with an architecture's own defconfig,
# far enough to compile single units with kbuild's own flags: `make prepare`, no kernel
# build. tests/kernel/objects.sh compiles real units there, original and patched, and
# diffs them with `lp-build diff`.
#
# Usage: scripts/kernel/prepare-objects.sh ARCH
#        ARCH: ppc64le (6.12, ppc64le_defconfig), s390x (6.12, defconfig), aarch64 (7.3,
#              defconfig: 6.12 has no arm64 livepatch), loongarch64 (6.12, loongson3_defconfig,
#              built with Debian's clang-19: kbuild wants LLVM 18 for LoongArch and Debian 12
#              has no LoongArch gcc), x86_64 (6.12, x86_64_defconfig)
#
# The configuration is the defconfig plus scripts/kernel/lpb-objects.config (ftrace,
# livepatch, DWARF for pahole, a module unit). Options an architecture does not have are
# dropped by kconfig; the tree's .config is what tests read.
#
# Cache layout ($LPB_CACHE, default /var/cache/lp-build):
#   objects/ARCH-<hash>/src/       a hard-linked copy of the pristine source, private to this
#                                  tree: tests apply a case's patch here (to fresh copies of
#                                  the touched files) and put the pristine files back after
#   objects/ARCH-<hash>/build/     O= directory, configured and prepared
#   objects/ARCH-<hash>/env        what make needs: ARCH, CROSS_COMPILE / LLVM, KBUILD_* knobs
#   objects/ARCH-<hash>/.lpb-prepared  written last: the tree is usable
# <hash> covers the source, the compiler, the fragment and this recipe. The last line on
# stdout is the tree directory; make's output goes to stderr. Killing the script half-way
# is safe: without .lpb-prepared the next run starts that tree again. A lock serialises
# runs with each other and with build-kernel.sh.
set -euo pipefail
RECIPE_VERSION=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${LPB_CACHE:-/var/cache/lp-build}"
arch="${1:?usage: prepare-objects.sh ARCH (ppc64le, s390x, aarch64, loongarch64, x86_64)}"

LINUX=6.12 LLVM=
case "$arch" in
  ppc64le)     KARCH=powerpc;   CROSS=powerpc64le-linux-gnu-; DEFCONFIG=ppc64le_defconfig ;;
  s390x)       KARCH=s390;      CROSS=s390x-linux-gnu-;       DEFCONFIG=defconfig ;;
  aarch64)     KARCH=arm64;     CROSS=aarch64-linux-gnu-;     DEFCONFIG=defconfig; LINUX=7.3 ;;
  loongarch64) KARCH=loongarch; CROSS=;                       DEFCONFIG=loongson3_defconfig; LLVM=-19 ;;
  x86_64)      KARCH=x86_64;    CROSS=;                       DEFCONFIG=x86_64_defconfig ;;
  *) echo "prepare-objects.sh: unknown architecture $arch (ppc64le, s390x, aarch64, loongarch64, x86_64)" >&2
     exit 2 ;;
esac
fragment="$here/lpb-objects.config"

if [ -n "$LLVM" ]; then
  command -v "clang$LLVM" >/dev/null && command -v "ld.lld$LLVM" >/dev/null ||
    { echo "prepare-objects.sh: no clang$LLVM/ld.lld$LLVM (scripts/install-deps.sh --tests)" >&2; exit 2; }
  cc_id="$("clang$LLVM" --version | head -n1)"
else
  command -v "${CROSS}gcc" >/dev/null ||
    { echo "prepare-objects.sh: no ${CROSS}gcc (scripts/install-deps.sh --tests)" >&2; exit 2; }
  cc_id="$("${CROSS}gcc" --version | head -n1) / $("${CROSS}ld" --version | head -n1)"
fi
# The pristine source, extracted once by build-kernel.sh (6.12: linux-source-6.12;
# 7.3: fetched from trixie-backports).
if [ "$LINUX" = 6.12 ]; then srcdir="$("$here/build-kernel.sh" --source-only | tail -n1)"
else srcdir="$("$here/build-kernel.sh" --arch aarch64 --source-only | tail -n1)"; fi
info="recipe=$RECIPE_VERSION
arch=$arch
source=$(cat "$srcdir/.lpb-source")
compiler=$cc_id
defconfig=$DEFCONFIG
fragment_sha256=$(sha256sum <"$fragment" | cut -c1-64)"
hash="$(printf '%s\n' "$info" | sha256sum | cut -c1-16)"
tree="$cache/objects/$arch-$hash"
if [ -f "$tree/.lpb-prepared" ]; then echo "$tree"; exit 0; fi

mkdir -p "$cache/objects"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  echo "prepare-objects.sh: waiting for the build holding $cache/.lock" >&2
  flock 9
fi
log() { echo "prepare-objects.sh: $*" >&2; }
t0=$(date +%s)
rm -rf "$tree"
mkdir -p "$tree"
log "hard-linking $srcdir -> $tree/src"
cp -al "$srcdir" "$tree/src"
build_ts="$(LC_ALL=C date -u -d "@$(stat -c %Y "$srcdir/Makefile")" '+%a %b %e %H:%M:%S UTC %Y')"
{
  echo "export ARCH=$KARCH"
  [ -z "$CROSS" ] || echo "export CROSS_COMPILE=$CROSS"
  [ -z "$LLVM" ] || echo "export LLVM=$LLVM"
  echo "export KBUILD_BUILD_USER=lp-build KBUILD_BUILD_HOST=lp-build KBUILD_BUILD_VERSION=1"
  echo "export KBUILD_BUILD_TIMESTAMP='$build_ts'"
  echo "export LC_ALL=C"
} >"$tree/env"
printf '%s\n' "$info" >"$tree/lpb-build-info"
# shellcheck disable=SC1091
source "$tree/env"
mk() { make -C "$tree/src" O="$tree/build" "$@" >&2; }
log "configuring $DEFCONFIG + ${fragment##*/} for $arch (Linux $LINUX)"
mk "$DEFCONFIG"
"$tree/src/scripts/kconfig/merge_config.sh" -m -O "$tree/build" "$tree/build/.config" "$fragment" >&2
mk olddefconfig
# Name the fragment lines this architecture dropped (it lacks the option or a dependency);
# livepatch itself must stick wherever the architecture has it.
dropped=()
while IFS= read -r line; do
  [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
  grep -qx "$line" "$tree/build/.config" || dropped+=("${BASH_REMATCH[1]}")
done <"$fragment"
[ ${#dropped[@]} = 0 ] || log "$arch's Kconfig dropped: ${dropped[*]}"
if grep -qx CONFIG_HAVE_LIVEPATCH=y "$tree/build/.config" && ! grep -qx CONFIG_LIVEPATCH=y "$tree/build/.config"; then
  log "ERROR: $arch has livepatch but CONFIG_LIVEPATCH did not stick; .config left in $tree/build"
  exit 1
fi
log "make prepare"
mk -j"${LPB_JOBS:-$(nproc)}" prepare
{ printf '%s\n' "$info"; echo "kernelrelease=$(cat "$tree/build/include/config/kernel.release")"; } \
  >"$tree/.lpb-prepared"
log "prepared in $(( $(date +%s) - t0 )) s"
echo "$tree"
