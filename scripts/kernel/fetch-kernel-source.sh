#!/usr/bin/env bash
# Prints the path of Debian's kernel source tarball for a Linux version
# (linux-source-VERSION.tar.xz), for scripts/kernel/build-kernel.sh.
#
# Usage: scripts/kernel/fetch-kernel-source.sh VERSION      (6.12, 7.3, ...)
# 6.12 is the machine's installed linux-source-6.12 (Debian 12). Any other version comes
# from Debian's mirror through a private apt state under $LPB_CACHE/apt-kernel-source: its
# own sources list naming the suites `bookworm trixie-backports` (where Debian serves
# linux-source-7.3), its own lists and cache. `apt-get download` + `dpkg -x` into
# $LPB_CACHE/kernel-source/linux-source-VERSION_DEBVERSION/; the machine's apt
# configuration and dpkg database are never touched.
set -euo pipefail
version="${1:?usage: fetch-kernel-source.sh VERSION}"
pkg="linux-source-$version"
installed="/usr/src/$pkg.tar.xz"
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && [ -f "$installed" ]; then
  echo "$installed"
  exit 0
fi
cache="${LPB_CACHE:-/var/cache/lp-build}"
state="$cache/apt-kernel-source"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/sources.list.d" "$cache/kernel-source"
exec 9>"$state.lock"
flock 9
# The same mirror as the machine's own sources (deb.debian.org unless they name another).
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
          sed -nE 's,^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^[:space:]]+).*,\3,p' |
          grep -v security | head -n1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
cat >"$state/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie-backports main
EOF
apt_opts=(-q -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state"
          -o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/sources.list.d"
          -o "APT::Architectures::=$(dpkg --print-architecture)" -o "Debug::NoLocking=1")
# The lists are refreshed when missing or a day old (the version names the cache entry).
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*trixie-backports*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
  apt-get "${apt_opts[@]}" update >&2
fi
ver="$(apt-cache "${apt_opts[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)"
[ -n "$ver" ] || { echo "fetch-kernel-source.sh: Debian (bookworm, trixie-backports) serves no $pkg" >&2; exit 2; }
dir="$cache/kernel-source/${pkg}_${ver//:/_}"
if [ ! -f "$dir/$pkg.tar.xz" ]; then
  tmp="$(mktemp -d "$cache/kernel-source/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  ( cd "$tmp" && chmod 755 "$tmp" && apt-get "${apt_opts[@]}" download "$pkg" ) >&2
  dpkg -x "$tmp/${pkg}"_*.deb "$tmp/root"
  [ -f "$tmp/root/usr/src/$pkg.tar.xz" ] || { echo "fetch-kernel-source.sh: $pkg has no /usr/src/$pkg.tar.xz" >&2; exit 2; }
  mkdir -p "$tmp/out"
  mv "$tmp/root/usr/src/$pkg.tar.xz" "$tmp/out/"
  printf '%s\n' "$ver" >"$tmp/out/debian-version"
  rm -rf "$dir"; mv "$tmp/out" "$dir"
fi
echo "$dir/$pkg.tar.xz"
