#!/usr/bin/env bash
# Lists the functions of lp-build's C++ sources that are longer than a limit (80 lines by
# default), longest first: "LINES FILE:LINE NAME". Exits 1 when there is one, so that it
# can guard the rule that a function reads at once. Lambdas count within their function.
# Generated tables and test data are not C++ sources here (tests/ and testdata/ are left out).
# Usage: scripts/long-functions.sh [LIMIT]        (needs universal-ctags)
set -euo pipefail
limit="${1:-80}"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v ctags >/dev/null || { echo "long-functions.sh: universal-ctags is not installed" >&2; exit 2; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.h' | grep -v '^tests/\|^testdata/')
else
  mapfile -t files < <(find . -path ./tests -prune -o -path ./testdata -prune -o -path './build*' -prune -o \
                         \( -name '*.cpp' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
ctags --languages=C++ --kinds-C++=f --fields=+ne --extras=-q -o - "${files[@]}" |
  awk -F'\t' -v limit="$limit" '
    $1 ~ /^__anon/ { next }   # lambdas: part of the function that holds them
    { line = ""; end = "";
      for (i = 4; i <= NF; i++) {
        if ($i ~ /^line:/) line = substr($i, 6);
        if ($i ~ /^end:/) end = substr($i, 5);
      }
      if (line != "" && end != "" && end - line + 1 > limit) printf "%d %s:%s %s\n", end - line + 1, $2, line, $1 }' |
  sort -rn > /tmp/lpb-long-functions.$$ || true
if [ -s /tmp/lpb-long-functions.$$ ]; then cat /tmp/lpb-long-functions.$$; rm -f /tmp/lpb-long-functions.$$; exit 1; fi
rm -f /tmp/lpb-long-functions.$$
echo "no function over $limit lines"
