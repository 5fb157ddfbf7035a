#!/usr/bin/env bash
# Times `lp-build build` end to end (patch -> .ko) against the floor: compiling the
# touched units alone with the kernel's own command lines. Run on a prepared tree: the
# default kernel, built, passed with -s as a user passes their tree (without -s, lp-build
# also asks build-kernel.sh whether the default kernel is current, about 0.05 s), and
# lp-build's caches warm (original objects, kbuild's link recipe; the first, untimed run
# warms them). Prints, per patch, the median over REPEAT runs of both, their ratio, and
# lp-build's own per-stage timings from its JSON report.
# Budget (issue 3): total <= 1.5 x floor for a one-file patch.
# Usage: bench/build-patch.sh [LP_BUILD] [REPEAT] [PATCH...]
#   default patches: the one-file cases proc-string, klp-reloc-global and module-fix
#   LPB_ARCH=ppc64le or aarch64: on that architecture's test kernel (build-kernel.sh --arch)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/lp-build}
repeat=${2:-7}
shift $(( $# > 2 ? 2 : $# ))
patches=("$@")
if [ ${#patches[@]} -eq 0 ]; then
  # The architecture's own catalogue where it has its own version of a case (aarch64's
  # module-fix is for Linux 7.3's binfmt_misc), else the x86_64 one.
  for c in proc-string klp-reloc-global module-fix; do
    d="$here/testdata/${LPB_ARCH:-x86_64}/$c"; [ -d "$d" ] || d="$here/testdata/patches/$c"
    patches+=("$d/patch.diff")
  done
fi
[ -x "$bin" ] || { echo "bench: $bin not built (cmake --build build)" >&2; exit 2; }
kdir=$("$here/scripts/kernel/build-kernel.sh" --arch "${LPB_ARCH:-x86_64}" 2>/dev/null | tail -n1)
src=$(readlink -f "$kdir/source")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_us() { echo "${EPOCHREALTIME/./}"; }

printf '%-22s %9s %9s %6s   %s\n' patch floor_s total_s ratio "lp-build stages (s)"
for p in "${patches[@]}"; do
  name=$(basename "$(dirname "$p")")
  # The floor: each touched .c file's kbuild command, once, patched source, into $out.
  mapfile -t files < <(sed -n 's#^+++ b/\(.*\.c\)$#\1#p' "$p")
  cmds=()
  for f in "${files[@]}"; do
    obj=${f%.c}.o
    cmdfile="$kdir/$(dirname "$obj")/.$(basename "$obj").cmd"
    [ -f "$cmdfile" ] || continue
    cmd=$(sed -n "s#^savedcmd_$obj := ##p" "$cmdfile" | sed 's/-Wp,-MMD,[^ ]*//; s/;.*$//')
    cmd=${cmd/ -o $obj / -o $out/floor.o }
    cmds+=("$cmd")
  done
  "$bin" build "$p" -s "$kdir" -o "$out/warm.ko" >/dev/null 2>&1 || true   # warms the caches
  # Floor and total alternate, so that drift in the machine's speed hits both alike.
  floors=() totals=()
  for ((i = 0; i < repeat; i++)); do
    t0=$(now_us)
    for c in "${cmds[@]}"; do (cd "$kdir" && eval "$c") >/dev/null 2>&1; done
    floors+=($(( $(now_us) - t0 )))
    t0=$(now_us)
    "$bin" build "$p" -s "$kdir" -o "$out/p.ko" --json "$out/r.json" >/dev/null 2>&1
    totals+=($(( $(now_us) - t0 )))
  done
  f=$(printf '%s\n' "${floors[@]}" | median)
  t=$(printf '%s\n' "${totals[@]}" | median)
  stages=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timings']; print(' '.join(f'{k}={v:.2f}' for k,v in t.items() if k!='total'))" "$out/r.json")
  awk -v n="$name" -v f="$f" -v t="$t" -v s="$stages" 'BEGIN { printf "%-22s %9.2f %9.2f %6.2f   %s\n", n, f/1e6, t/1e6, t/f, s }'
done
echo "budget: ratio <= 1.5"
