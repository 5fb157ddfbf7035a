#!/usr/bin/env bash
# The delivery tests: the CI job (`lp-build ci`), its GitLab and GitHub templates,
# byte-identical output, compiler launchers, concurrent runs on one cache, the Debian
# package. They use build/lp-build
# and the default kernel (scripts/test.sh builds both first).
# Usage: tests/delivery/run-all.sh [TEST...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(ci-job ci-templates reproducible launcher concurrent package)
passed=0; failed=0
for t in "${tests[@]}"; do
  echo "=== $t"
  t0=$(date +%s)
  if "$here/$t.sh"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== $t FAILED"; fi
  echo "=== $t: $(( $(date +%s) - t0 )) s"
done
echo "delivery-tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
