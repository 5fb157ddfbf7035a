#!/usr/bin/env bash
# Debian packages the kernel test harness (scripts/kernel, tests/kernel) needs:
# kernel source, its build dependencies, QEMU and a static busybox.
# Usage: scripts/kernel/install-deps.sh   (as root, or with sudo available)
set -euo pipefail
pkgs=(linux-source-6.12 build-essential flex bison bc libssl-dev libelf-dev dwarves
      cpio xz-utils gzip kmod qemu-system-x86 busybox-static util-linux coreutils file)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
