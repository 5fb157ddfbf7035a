# shellcheck shell=bash
# Helpers of the delivery tests (source, don't run): the CI job, the CI templates,
# reproducible output, compiler launchers, the package.
#   check NAME CMD...   counts a check (passes if CMD succeeds); summary prints the counts
#   npm_tools           sets NPM_BIN: gitlab-ci-local and action-validator, installed once
#                       from npm into $LPB_CACHE/npm-<versions> (outside the repository)
LPB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LPB="$LPB_REPO/build/lp-build"
LPB_CACHE_ROOT="${LPB_CACHE:-/var/cache/lp-build}"
passed=0
failed=0

check() {
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS: $name"
  else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

# A scratch directory, removed at exit unless something failed.
scratch() {
  WORK="$(mktemp -d --tmpdir "lpb-$1.XXXXXX")"
  trap 'if [ "$failed" = 0 ]; then rm -rf "$WORK"; else echo "kept: $WORK" >&2; fi' EXIT
}

# gitlab-ci-local 4.65 is the newest that runs on Node 18-20 (Debian 12 has 18; 4.66+
# need Set.prototype.union, Node 22).
NPM_TOOLS="gitlab-ci-local@4.65.0 @action-validator/cli@0.6.0 @action-validator/core@0.6.0"
npm_tools() {
  local key; key=$(echo "$NPM_TOOLS" | sha256sum | cut -c1-12)
  local dir="$LPB_CACHE_ROOT/npm-$key"
  if [ ! -x "$dir/node_modules/.bin/gitlab-ci-local" ] || [ ! -x "$dir/node_modules/.bin/action-validator" ]; then
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    npm install --no-audit --no-fund --loglevel=error --prefix "$dir" $NPM_TOOLS >&2 || return 1
  fi
  NPM_BIN="$dir/node_modules/.bin"
}
