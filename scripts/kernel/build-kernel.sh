#!/usr/bin/env bash
# Builds (once, cached) the small x86_64 test kernel lp-build's tests boot.
#
# Usage: scripts/kernel/build-kernel.sh [--arch ARCH] [--flavour NAME] [FRAGMENT]
#        ARCH: x86_64 (default), ppc64le (cross-built with gcc-powerpc64le-linux-gnu;
#              kernels/ppc64le-<hash>/, booted by qemu-system-ppc64 -M pseries) or aarch64
#              (Linux 7.3 from trixie-backports, scripts/kernel/fetch-kernel-source.sh, since
#              6.12 has no arm64 livepatch; gcc-aarch64-linux-gnu; booted by
#              qemu-system-aarch64 -M virt) or s390x (gcc-s390x-linux-gnu;
#              booted by qemu-system-s390x -M s390-ccw-virtio)
#        NAME: a second fragment, lpb-ARCH-NAME.config, merged over the first (its lines
#              win): e.g. --arch ppc64le --flavour Os, tinyconfig's -Os (kernels/ppc64le-Os-<hash>/)
#        scripts/kernel/build-kernel.sh --in-tree [FRAGMENT]   (the same kernel built in a
#            copy of its source directory, `make` without O=, the way most people build:
#            kernels/x86_64-intree-<hash>/; the pre-flight catalogue runs on it too)
#        scripts/kernel/build-kernel.sh --source-only   (extract the source only; print its dir)
#   FRAGMENT  config fragment applied on top of `make tinyconfig`
#             (default: scripts/kernel/lpb-ARCH.config next to this script)
#
# Environment:
#   LPB_CACHE            cache root (default /var/cache/lp-build)
#   LPB_KERNEL_TARBALL   kernel source tarball (default /usr/src/linux-source-6.12.tar.xz;
#                        for aarch64, linux-source-7.3 as fetch-kernel-source.sh prints it)
#   LPB_JOBS             parallel jobs (default $(nproc))
#
# Cache layout:
#   $LPB_CACHE/src/linux-source-6.12/            pristine extracted source (never built in)
#   $LPB_CACHE/src/linux-source-6.12/.lpb-source  stamp: which tarball it came from
#   $LPB_CACHE/kernels/x86_64-<hash>/            O= build dir; <hash> = sha256 of
#            (fragment, source identity, gcc and binutils versions, recipe version)
#   $LPB_CACHE/kernels/x86_64-<hash>/lpb-build-info  the inputs that made the hash
#   $LPB_CACHE/kernels/x86_64-<hash>/lpb-build-env   KBUILD_* variables the build used
#            (source it before rebuilding objects in that tree to get identical output)
#   $LPB_CACHE/kernels/x86_64-<hash>/.lpb-complete   written last: the build is usable
#
# The last line printed on stdout is the build dir; build output goes to stderr.
# A second run with the same inputs only checks the stamp and returns at once.
# Killing the script half-way is safe: without .lpb-complete the next run resumes
# the (incremental) build in the same dir; extraction goes to a temp dir that is
# renamed into place only once complete. A lock serialises concurrent runs.
set -euo pipefail

# Bump when the way the tree is configured or built changes (invalidates caches).
RECIPE_VERSION=1
ARCH_NAME=x86_64

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_only=0
in_tree=0
if [ "${1:-}" = --arch ]; then ARCH_NAME="${2:?--arch needs x86_64, ppc64le or aarch64}"; shift 2; fi
flavour=
if [ "${1:-}" = --flavour ]; then flavour="${2:?--flavour needs a name}"; shift 2; fi
if [ "${1:-}" = --source-only ]; then source_only=1; shift; fi
if [ "${1:-}" = --in-tree ]; then in_tree=1; shift; fi
# Per architecture: kbuild's ARCH, the cross prefix, the image QEMU boots, the Linux version.
LINUX=6.12
case "$ARCH_NAME" in
  x86_64)  KARCH=x86_64;  CROSS=;                       IMAGE=arch/x86/boot/bzImage ;;
  ppc64le) KARCH=powerpc; CROSS=powerpc64le-linux-gnu-; IMAGE=vmlinux ;;
  aarch64) KARCH=arm64;   CROSS=aarch64-linux-gnu-;     IMAGE=arch/arm64/boot/Image; LINUX=7.3 ;;
  s390x)   KARCH=s390;    CROSS=s390x-linux-gnu-;       IMAGE=arch/s390/boot/bzImage ;;
  *) echo "build-kernel.sh: unknown --arch $ARCH_NAME (x86_64, ppc64le, aarch64, s390x)" >&2; exit 2 ;;
esac
fragment="${1:-$here/lpb-$ARCH_NAME.config}"
[ -f "$fragment" ] || { echo "build-kernel.sh: no such fragment: $fragment" >&2; exit 2; }
fragment="$(cd "$(dirname "$fragment")" && pwd)/$(basename "$fragment")"
fragments=("$fragment")
if [ -n "$flavour" ]; then
  fragments+=("$here/lpb-$ARCH_NAME-$flavour.config")
  [ -f "${fragments[1]}" ] || { echo "build-kernel.sh: no such flavour: ${fragments[1]}" >&2; exit 2; }
fi

cache="${LPB_CACHE:-/var/cache/lp-build}"
if [ -n "${LPB_KERNEL_TARBALL:-}" ]; then tarball="$LPB_KERNEL_TARBALL"
elif [ "$LINUX" = 6.12 ]; then tarball=/usr/src/linux-source-6.12.tar.xz
else tarball="$("$here/fetch-kernel-source.sh" "$LINUX")" || exit 2
fi
jobs="${LPB_JOBS:-$(nproc)}"
srcname="$(basename "$tarball")"; srcname="${srcname%%.tar*}"   # linux-source-6.12
srcdir="$cache/src/$srcname"

[ -f "$tarball" ] || { echo "build-kernel.sh: kernel source tarball not found: $tarball (apt-get install linux-source-6.12)" >&2; exit 2; }

# --- identity of the inputs (cheap: no hashing of the 150 MB tarball) -------------
# The package version: dpkg's for the installed 6.12, fetch-kernel-source.sh's record else.
if [ -f "$(dirname "$tarball")/debian-version" ]; then pkgver="$(cat "$(dirname "$tarball")/debian-version")"
else pkgver="$(dpkg-query -W -f='${Version}' "$srcname" 2>/dev/null || echo unknown)"
fi
src_id="$srcname $pkgver $(stat -c '%s %Y' "$tarball")"
command -v "${CROSS}gcc" >/dev/null || { echo "build-kernel.sh: no ${CROSS}gcc (scripts/install-deps.sh --tests)" >&2; exit 2; }
cc_id="$("${CROSS}gcc" --version | head -n1)"
ld_id="$("${CROSS}ld" --version | head -n1)"
info="recipe=$RECIPE_VERSION
arch=$ARCH_NAME
source=$src_id
gcc=$cc_id
ld=$ld_id
fragment_sha256=$(sha256sum <"$fragment" | cut -c1-64)"
[ -z "$flavour" ] || info="$info
flavour=$flavour $(sha256sum <"${fragments[1]}" | cut -c1-64)"
hash="$(printf '%s\n' "$info" | sha256sum | cut -c1-16)"
builddir="$cache/kernels/$ARCH_NAME${flavour:+-$flavour}-$hash"
[ "$in_tree" = 0 ] || builddir="$cache/kernels/$ARCH_NAME-intree-$hash"

# Fast path: nothing to do.
if [ "$source_only" = 1 ] && [ -f "$srcdir/.lpb-source" ] && [ "$(cat "$srcdir/.lpb-source")" = "$src_id" ]; then
  echo "$srcdir"
  exit 0
fi
if [ "$source_only" = 0 ] && [ -f "$builddir/.lpb-complete" ] && [ -f "$srcdir/.lpb-source" ] \
   && [ "$(cat "$srcdir/.lpb-source")" = "$src_id" ]; then
  echo "$builddir"
  exit 0
fi

mkdir -p "$cache/src" "$cache/kernels"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  echo "build-kernel.sh: waiting for another build-kernel.sh holding $cache/.lock" >&2
  flock 9
fi

log() { echo "build-kernel.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# --- 1. extract the source once ----------------------------------------------------
if [ ! -f "$srcdir/.lpb-source" ] || [ "$(cat "$srcdir/.lpb-source")" != "$src_id" ]; then
  t0=$(now)
  log "extracting $tarball -> $srcdir"
  tmp="$(mktemp -d "$cache/src/.extract.XXXXXX")"
  tar -xf "$tarball" -C "$tmp"
  [ -f "$tmp/$srcname/Makefile" ] || { log "tarball has no $srcname/Makefile"; rm -rf "$tmp"; exit 1; }
  printf '%s\n' "$src_id" >"$tmp/$srcname/.lpb-source"
  if [ -e "$srcdir" ]; then
    # Stale or foreign source (e.g. linux-source package upgraded): replace it.
    # Build dirs made from the old source have another hash and are left alone.
    mv "$srcdir" "$tmp/old"
  fi
  mv "$tmp/$srcname" "$srcdir"
  rm -rf "$tmp"
  log "extraction took $(elapsed "$t0") s"
fi
# Leftovers of an extraction that was killed half-way.
rm -rf "$cache"/src/.extract.* 2>/dev/null || true
if [ "$source_only" = 1 ]; then echo "$srcdir"; exit 0; fi

# --- 2. configure ----------------------------------------------------------------------
# Reproducible-build knobs: fixed user/host/timestamp so rebuilding an object in
# this tree (as lp-build does for the patched source) gives identical output.
build_ts="$(LC_ALL=C date -u -d "@$(stat -c %Y "$tarball")" '+%a %b %e %H:%M:%S UTC %Y')"
export KBUILD_BUILD_USER=lp-build KBUILD_BUILD_HOST=lp-build KBUILD_BUILD_TIMESTAMP="$build_ts"
export KBUILD_BUILD_VERSION=1
export LC_ALL=C

mk() { make -C "$srcdir" O="$builddir" ARCH=$KARCH ${CROSS:+CROSS_COMPILE=$CROSS} "$@" >&2; }
if [ "$in_tree" = 1 ]; then
  # A private copy of the source to build in (the pristine one stays unbuilt).
  if [ ! -f "$builddir/.lpb-source" ] || [ "$(cat "$builddir/.lpb-source")" != "$src_id" ]; then
    log "copying $srcdir -> $builddir (an in-tree build)"
    rm -rf "$builddir"
    rm -rf "$builddir.copy"
    cp -a "$srcdir" "$builddir.copy" && mv "$builddir.copy" "$builddir"
  fi
  mk() { make -C "$builddir" ARCH=$KARCH ${CROSS:+CROSS_COMPILE=$CROSS} "$@" >&2; }
fi

mkdir -p "$builddir"
rm -f "$builddir/.lpb-complete"
printf '%s\n' "$info" >"$builddir/lpb-build-info"
cat "${fragments[@]}" >"$builddir/lpb-fragment.config"
cat >"$builddir/lpb-build-env" <<EOF
export ARCH=$KARCH
${CROSS:+export CROSS_COMPILE=$CROSS}
export KBUILD_BUILD_USER=lp-build
export KBUILD_BUILD_HOST=lp-build
export KBUILD_BUILD_TIMESTAMP='$build_ts'
export KBUILD_BUILD_VERSION=1
EOF

# Configure only when the config is not already the one this fragment produced
# (a resumed build keeps its .config and object files).
if [ ! -f "$builddir/.lpb-configured" ]; then
  t0=$(now)
  log "configuring $builddir (tinyconfig + ${fragments[*]##*/})"
  mk tinyconfig
  "$srcdir/scripts/kconfig/merge_config.sh" -m -O "$builddir" "$builddir/.config" "${fragments[@]}" >&2
  mk olddefconfig
  touch "$builddir/.lpb-configured"
  log "configure took $(elapsed "$t0") s"
fi

# Every option the fragments ask for must have stuck (a later fragment's line wins).
declare -A wanted=()
order=()
while IFS= read -r line; do
  if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
    [ -n "${wanted[${BASH_REMATCH[1]}]+x}" ] || order+=("${BASH_REMATCH[1]}")
    wanted[${BASH_REMATCH[1]}]="${BASH_REMATCH[2]}"
  elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
    [ -n "${wanted[${BASH_REMATCH[1]}]+x}" ] || order+=("${BASH_REMATCH[1]}")
    wanted[${BASH_REMATCH[1]}]="<unset>"
  fi
done < <(cat "${fragments[@]}")
bad=0
for sym in "${order[@]}"; do
  want="${wanted[$sym]}"
  got="$(grep -E "^$sym=" "$builddir/.config" | head -n1 | cut -d= -f2- || true)"
  if [ "$want" = "<unset>" ] && [ -n "$got" ]; then
    log "ERROR: $sym requested unset, final .config has: $sym=$got"
    bad=1
  elif [ "$want" != "<unset>" ] && [ "$got" != "$want" ]; then
    log "ERROR: $sym=$want requested, final .config has: ${got:-<not set>}"
    bad=1
  fi
done
if [ "$bad" != 0 ]; then
  rm -f "$builddir/.lpb-configured"
  log "config fragment(s) ${fragments[*]} did not stick (see above); .config left in $builddir"
  exit 1
fi

# --- 3. build ----------------------------------------------------------------------------
t0=$(now)
image_target="$(basename "$IMAGE")"
log "building vmlinux $image_target modules with -j$jobs in $builddir"
mk -j"$jobs" vmlinux "$image_target" modules
mk -j"$jobs" modules_prepare
for f in vmlinux "$IMAGE" Module.symvers System.map; do
  [ -s "$builddir/$f" ] || { log "ERROR: build produced no $f"; exit 1; }
done
log "build took $(elapsed "$t0") s"

# Written last: the tree is complete and usable.
{ printf '%s\n' "$info"; echo "kernelrelease=$(cat "$builddir/include/config/kernel.release")"; } \
  >"$builddir/.lpb-complete"
echo "$builddir"
