#!/usr/bin/env bash
# The CI templates, for real: the GitHub Actions workflow validates against the Actions
# schema (@action-validator/cli; a broken copy must not), and the GitLab template runs
# under gitlab-ci-local's shell executor, included from a project's .gitlab-ci.yml as a
# user would, over testdata/ci on the default kernel. About 20 s (no QEMU boot), plus
# one npm install (22 MB) the first time.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch ci-templates
if ! npm_tools; then echo "FAIL: npm install of $NPM_TOOLS"; exit 1; fi

workflow="$LPB_REPO/.github/workflows/livepatch.yml"
check "the GitHub workflow validates" "$NPM_BIN/action-validator" "$workflow"
sed 's/^    runs-on:/    runs-onn:/' "$workflow" >"$WORK/broken.yml"
check "a broken workflow does not" sh -c "! '$NPM_BIN/action-validator' '$WORK/broken.yml' >/dev/null 2>&1"

# A project that includes the template, as its README says; the runner has lp-build at
# LPB_BIN. gitlab-ci-local wants a git repository with a remote.
proj="$WORK/project"
mkdir -p "$proj"
cp "$LPB_REPO/ci/gitlab/lp-build.gitlab-ci.yml" "$proj/"
cp -rL "$LPB_REPO/testdata/ci" "$proj/fixes"
cat >"$proj/.gitlab-ci.yml" <<YML
include:
  - local: lp-build.gitlab-ci.yml
variables:
  LPB_BIN: $LPB
  LPB_PATCHES: fixes
  LPB_ARGS: --no-verify
livepatch:
  parallel:
    matrix:
      - LPB_TARGET: ["--default-kernel"]
YML
(cd "$proj" && git init -q && git remote add origin https://gitlab.invalid/lp-build/fixes.git &&
 git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm fixes)
(cd "$proj" && timeout 600 "$NPM_BIN/gitlab-ci-local" --concurrency 1) >"$WORK/gitlab.log" 2>&1
rc=$?
cat "$WORK/gitlab.log"
check "the pipeline fails (one fix is refused)" [ "$rc" != 0 ]
check "the job ran lp-build ci" grep -q 'lp-build ci: \[2/2\]' "$WORK/gitlab.log"
junit=$(find "$proj/.gitlab-ci-local/artifacts" -path '*lpb-artifacts/junit.xml' | head -n1)
check "the job kept the artifacts (junit.xml)" test -n "$junit"
check "junit: one pass, one failure" sh -c "grep -q 'tests=\"2\" failures=\"1\" errors=\"0\"' '$junit'"
check "the module is among the artifacts" test -s "$(dirname "$junit")/proc-string/default/livepatch-proc-string.ko"
check "the summary is in the job log" grep -q '# lp-build ci: 1 of 2 passed' "$WORK/gitlab.log"
summary ci-templates
