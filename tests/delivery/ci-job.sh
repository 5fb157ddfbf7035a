#!/usr/bin/env bash
# `lp-build ci` on the default kernel with testdata/ci's two patch sets: one patchable
# (checked, built, verified in QEMU), one refused by the pre-flight check. Checks the
# artifact directory, its SHA-256 list, the JUnit file (one pass, one failure with its
# reason) and the Markdown summary; then bad input. About 1 minute (one QEMU boot).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
scratch ci-job
art="$WORK/artifacts"

"$LPB" ci "$LPB_REPO/testdata/ci" -o "$art" >"$WORK/ci.log" 2>&1
rc=$?
cat "$WORK/ci.log"
check "exit 1: one case failed" [ "$rc" = 1 ]
case_dir="$art/proc-string/default"
for f in summary.md junit.xml results.json SHA256SUMS proc-string/default/livepatch-proc-string.ko \
         proc-string/default/check.json proc-string/default/check.log proc-string/default/build.json \
         proc-string/default/build.log proc-string/default/verify.log \
         refuse-struct-layout/default/check.json refuse-struct-layout/default/check.log; do
  check "artifact $f" test -s "$art/$f"
done
check "no build after a refused check" test ! -e "$art/refuse-struct-layout/default/build.log"
check "SHA256SUMS verifies" sh -c "cd '$art' && sha256sum --quiet -c SHA256SUMS"
check "SHA256SUMS lists the module" grep -q ' proc-string/default/livepatch-proc-string.ko$' "$art/SHA256SUMS"
check "the module is a livepatch module" sh -c "modinfo -F livepatch '$case_dir/livepatch-proc-string.ko' | grep -qx Y"
check "verified in the guest" grep -q 'LPB-VERIFY: patched' "$case_dir/verify.log"
check "build report says verified" sh -c "jq -e '.status == \"ok\" and .verify == \"ok\"' '$case_dir/build.json' >/dev/null"

junit_ok() {
  python3 - "$art/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
assert suite.get("tests") == "2" and suite.get("failures") == "1" and suite.get("errors") == "0", suite.attrib
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert set(cases) == {"proc-string", "refuse-struct-layout"}, cases
assert cases["proc-string"].find("failure") is None and cases["proc-string"].get("classname") == "default"
f = cases["refuse-struct-layout"].find("failure")
assert f is not None and "[layout-changed]" in f.get("message"), f.attrib
assert "check: refuse" in f.text
PY
}
check "junit: one pass, one failure with its reason" junit_ok
check "summary: 1 of 2 passed" grep -q '^# lp-build ci: 1 of 2 passed' "$art/summary.md"
check "summary: the refusal" grep -q 'refuse-struct-layout on default: check: refuse \[layout-changed\]' "$art/summary.md"
check "results.json" sh -c "jq -e '.passed == 1 and .failed == 1 and (.cases | map(.result) | sort) == [\"fail\", \"pass\"]' '$art/results.json' >/dev/null"
check "no staging directory left" sh -c "! ls -d '$WORK'/artifacts.lpb-tmp* 2>/dev/null"

# A second run replaces the artifact directory; --no-verify leaves verify skipped.
"$LPB" ci "$LPB_REPO/testdata/ci" -o "$art" --no-verify >"$WORK/ci2.log" 2>&1
check "rerun replaces the artifacts" sh -c "jq -e '.cases[0].verify == \"skipped\"' '$art/results.json' >/dev/null && test ! -e '$case_dir/verify.log'"

# A target kernel that cannot be used is an error case per patch set, not the end of the job.
mkdir -p "$WORK/not-a-tree"
"$LPB" ci "$LPB_REPO/testdata/ci" -s "$WORK/not-a-tree" --default-kernel --no-verify -o "$WORK/mixed" \
  >"$WORK/mixed.log" 2>&1
rc=$?
check "a broken target: the job goes on (exit 1, 4 cases)" \
  sh -c "[ $rc = 1 ] && jq -e '(.cases | length) == 4 and .passed == 1' '$WORK/mixed/results.json' >/dev/null"
check "a broken target: junit errors with the reason" \
  sh -c "grep -q 'tests=\"4\" failures=\"1\" errors=\"2\"' '$WORK/mixed/junit.xml' && grep -q 'kernel: .*not-a-tree' '$WORK/mixed/junit.xml'"

# Bad input: one line, exit 2, nothing written.
"$LPB" ci "$WORK/no-such-dir" -o "$WORK/bad" >"$WORK/bad.log" 2>&1
rc=$?
check "missing patch dir: exit 2, one line, nothing written" \
  sh -c "[ $rc = 2 ] && [ \$(wc -l < '$WORK/bad.log') = 1 ] && grep -q 'no-such-dir' '$WORK/bad.log' && test ! -e '$WORK/bad'"
mkdir -p "$WORK/precious" && echo keep >"$WORK/precious/file"
"$LPB" ci "$LPB_REPO/testdata/ci" -o "$WORK/precious" >"$WORK/bad2.log" 2>&1
rc=$?
check "refuses to replace a directory that is not an artifact directory" \
  sh -c "[ $rc = 2 ] && grep -q 'not an lp-build ci artifact directory' '$WORK/bad2.log' && [ \"\$(cat '$WORK/precious/file')\" = keep ]"
mkdir -p "$WORK/empty-sets/none"
"$LPB" ci "$WORK/empty-sets" -o "$WORK/bad3" >"$WORK/bad3.log" 2>&1
rc=$?
check "no patch sets: exit 2" sh -c "[ $rc = 2 ] && grep -q 'no patch sets' '$WORK/bad3.log'"
summary ci-job
