#!/usr/bin/env bash
# Times `lp-build check` per touched unit over the pre-flight catalogue (testdata/preflight)
# against the cached Linux 6.12 build. Budget: 5 s or less per unit on the 2-core CI
# machine; tree preparation (opening the tree, indexing kbuild records, the shadow tree) is
# reported separately, and building the tree itself (scripts/kernel/build-kernel.sh) is not
# part of check.
# Usage: bench/check-units.sh [LP_BUILD]   (default: build/lp-build)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lp_build="${1:-$here/build/lp-build}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for case in "$here"/testdata/preflight/*/; do
  name="$(basename "$case")"
  case "$name" in bad-*) continue ;; esac
  args=$(sed -n 's/^args //p' "$case/expect")
  "$lp_build" check "$case/patch.diff" --json "$tmp/$name.json" $args >/dev/null 2>&1 || true
done
python3 - "$tmp" <<'PY'
import glob, json, sys
units, trees = [], []
for f in sorted(glob.glob(sys.argv[1] + '/*.json')):
    r = json.load(open(f))
    trees.append(r['treeSeconds'])
    for u in r['units']:
        units.append(u['seconds'])
        print(f"{f.rsplit('/', 1)[1][:-5]:28} {u['unit']:32} {u['seconds']:.2f} s")
units.sort(); trees.sort()
print(f"per unit: median {units[len(units)//2]:.2f} s, max {units[-1]:.2f} s over {len(units)} units (budget 5 s)")
print(f"tree preparation: median {trees[len(trees)//2]:.2f} s, max {trees[-1]:.2f} s")
sys.exit(0 if units[-1] <= 5 else 1)
PY
