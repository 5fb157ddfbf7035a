#!/usr/bin/env bash
# Prints the path of a statically linked busybox for a Debian architecture, for the
# initramfs --verify and the kernel tests boot (scripts/kernel/mkinitramfs.sh).
#
# Usage: scripts/kernel/fetch-busybox.sh DEBIAN-ARCH      (amd64, ppc64el, arm64, s390x)
# The machine's own architecture is the installed busybox-static (/bin/busybox). Any
# other comes from Debian's mirror through a private apt state (its own lists and cache
# under $LPB_CACHE/apt-DEBIAN-ARCH, the machine's sources): `apt-get download` of
# busybox-static:DEBIAN-ARCH, `dpkg -x` into $LPB_CACHE/busybox/DEBIAN-ARCH-VERSION/.
# The machine's dpkg never learns of the foreign architecture.
set -euo pipefail
arch="${1:?usage: fetch-busybox.sh DEBIAN-ARCH}"
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  [ -x /bin/busybox ] || { echo "fetch-busybox.sh: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 2; }
  echo /bin/busybox
  exit 0
fi
cache="${LPB_CACHE:-/var/cache/lp-build}"
state="$cache/apt-$arch"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$cache/busybox"
exec 9>"$state.lock"
flock 9
apt_opts=(-q -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state" -o "APT::Architectures::=$arch"
          -o "Debug::NoLocking=1")
# The lists are refreshed when missing or a day old (the version names the cache entry).
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  apt-get "${apt_opts[@]}" update >&2
fi
ver="$(apt-cache "${apt_opts[@]}" show "busybox-static:$arch" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)"
[ -n "$ver" ] || { echo "fetch-busybox.sh: Debian serves no busybox-static:$arch" >&2; exit 2; }
dir="$cache/busybox/$arch-${ver//:/_}"
if [ ! -x "$dir/bin/busybox" ]; then
  tmp="$(mktemp -d "$cache/busybox/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  ( cd "$tmp" && chmod 755 "$tmp" && apt-get "${apt_opts[@]}" download "busybox-static:$arch" ) >&2
  dpkg -x "$tmp"/busybox-static_*.deb "$tmp/root"
  [ -x "$tmp/root/bin/busybox" ] || { echo "fetch-busybox.sh: busybox-static:$arch has no /bin/busybox" >&2; exit 2; }
  rm -rf "$dir"; mv "$tmp/root" "$dir"
fi
echo "$dir/bin/busybox"
