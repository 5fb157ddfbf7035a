#!/usr/bin/env bash
# Fetches one of Debian's own kernels, as a user who runs it has it, into lp-build's
# cache (never into /boot or /lib/modules): the unsigned image and its modules, the -dbg
# package's debug vmlinux and debug modules, and the headers' Module.symvers.
#
# Usage: scripts/kernel/fetch-distro-kernel.sh [RELEASE]
#   RELEASE  e.g. 6.12.117+deb12-cloud-amd64 (default: the cloud-amd64 kernel of the
#            installed linux-source-6.12's version, so that the source matches)
# Prints the root the packages were extracted into (its boot/, lib/modules/, usr/);
# `lp-build --kernel RELEASE --kernel-root ROOT` finds everything there.
# Cache: $LPB_CACHE/distro/RELEASE/root, stamped .lpb-complete when whole; a killed run
# leaves no stamp and the next run starts again. Download and extraction times go to stderr.
set -euo pipefail
cache="${LPB_CACHE:-/var/cache/lp-build}"
if [ $# -ge 1 ]; then
  rel="$1"
else
  v="$(dpkg-query -W -f='${Version}' linux-source-6.12)"      # 6.12.117-1~deb12u1
  suite="$(printf '%s' "$v" | sed -n 's/.*~\(deb[0-9]*\).*/\1/p')"
  rel="${v%%-*}${suite:++$suite}-cloud-amd64"
fi
dir="$cache/distro/$rel"
root="$dir/root"
if [ -f "$dir/.lpb-complete" ]; then echo "$root"; exit 0; fi
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/.lpb-complete" ]; then echo "$root"; exit 0; fi
rm -rf "$root" "$dir/debs"; mkdir -p "$root" "$dir/debs"
log() { echo "fetch-distro-kernel.sh: $*" >&2; }
t0=$(date +%s.%N)
ver="$(apt-cache show "linux-image-$rel-unsigned" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)"
[ -n "$ver" ] || { log "Debian serves no linux-image-$rel-unsigned (apt-get update?)"; exit 2; }
( cd "$dir/debs" && apt-get download -q "linux-image-$rel-unsigned" "linux-image-$rel-dbg" "linux-headers-$rel" ) >&2
log "download took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
t0=$(date +%s.%N)
dpkg -x "$dir"/debs/linux-image-"$rel"-unsigned_*.deb "$root"
dpkg -x "$dir"/debs/linux-headers-"$rel"_*.deb "$root"
# Of the -dbg package: the debug vmlinux and the debug modules (1.8 GB unpacked).
dpkg-deb --fsys-tarfile "$dir"/debs/linux-image-"$rel"-dbg_*.deb |
  tar -x -C "$root" --wildcards './usr/lib/debug/boot/*' './usr/lib/debug/lib/modules/*'
rm -rf "$dir/debs"
log "extraction took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
touch "$dir/.lpb-complete"
echo "$root"
