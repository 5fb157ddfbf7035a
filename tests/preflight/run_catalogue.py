#!/usr/bin/env python3
"""Runs `lp-build check` on every case of testdata/preflight/ against the cached Linux 6.12
build and compares the findings with the case's `expect` file:

  exit N                          the exit status
  args ARG...                     extra arguments for lp-build check
  VERDICT RULE ENTITY             a finding that must be reported (verdict ok/warn/refuse)
  changes RULE ENTITY NAME        that finding names NAME among the functions changing with it
  not RULE [ENTITY]               no finding with this rule (or this verdict) [for this entity]
  error TEXT                      stderr contains TEXT (bad input), and stdout is empty
  deep VERDICT                    run with --deep: the object-level verdict (ok, refused,
                                  nochange; over all units) and no disagreement between the levels
  deep-refuse RULE NAME           with --deep: the object level refuses with RULE for NAME
  deep-note TEXT                  with --deep: a disagreement containing TEXT is expected (a known,
                                  explained one); any other still fails

Cases with `deep` lines run once, with --deep (its findings are the source-level ones plus the
object-level verdict), so every object-level verdict is checked against the source-level one.

Usage: run_catalogue.py LP_BUILD [--in-tree] [CASE...]   (exit 77: skipped, with the reason)
  --in-tree   against the same kernel built in its source directory (build-kernel.sh
              --in-tree), where kbuild's records use relative paths and the patched
              unit is parsed in the shadow tree"""
import glob, json, os, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
catalogue = os.path.join(here, '..', '..', 'testdata', 'preflight')
cache = os.environ.get('LPB_CACHE', '/var/cache/lp-build')

def main():
    lp_build = sys.argv[1]
    rest = sys.argv[2:]
    in_tree = '--in-tree' in rest
    rest = [a for a in rest if a != '--in-tree']
    trees = [d for d in glob.glob(os.path.join(cache, 'kernels', 'x86_64-*'))
             if os.path.exists(os.path.join(d, '.lpb-complete')) and (('-intree-' in d) == in_tree)]
    if not trees:
        what = 'in-tree built' if in_tree else 'built'
        flag = ' --in-tree' if in_tree else ''
        print(f'SKIP: no {what} Linux 6.12 tree under {cache}/kernels (run scripts/kernel/build-kernel.sh{flag})')
        return 77
    tree_args = ['-s', sorted(trees)[0]] if in_tree else []
    names = rest or sorted(os.listdir(catalogue))
    failures, checks, started = [], 0, time.time()
    for name in names:
        case = os.path.join(catalogue, name)
        expect = [l.split() for l in open(os.path.join(case, 'expect')) if l.strip() and not l.startswith('#')]
        args = [a for l in expect if l[0] == 'args' for a in l[1:]]
        if any(l[0].startswith('deep') for l in expect): args.append('--deep')
        with tempfile.TemporaryDirectory() as tmp:
            out_json = os.path.join(tmp, 'r.json')
            r = subprocess.run([lp_build, 'check', os.path.join(case, 'patch.diff'), '--json', out_json] + tree_args + args,
                               capture_output=True, text=True)
            report = json.load(open(out_json)) if os.path.exists(out_json) else {'findings': []}
        found = report['findings']
        def fail(msg):
            failures.append(f'{name}: {msg}\n  stdout: {r.stdout.strip()}\n  stderr: {r.stderr.strip()}')
        for e in expect:
            checks += 1
            kind = e[0]
            if kind == 'args':
                continue
            if kind == 'exit':
                if r.returncode != int(e[1]): fail(f'exit {r.returncode}, expected {e[1]}')
            elif kind == 'error':
                text = ' '.join(e[1:])
                if text not in r.stderr: fail(f'stderr lacks "{text}"')
                if r.stdout: fail('output on bad input')
            elif kind == 'not':
                sel = [f for f in found if e[1] in (f['rule'], f['verdict']) and (len(e) < 3 or f['entity'] == ' '.join(e[2:]))]
                if sel: fail(f'unexpected {sel[0]["verdict"]} [{sel[0]["rule"]}] {sel[0]["entity"]}')
            elif kind == 'changes':
                sel = [f for f in found if f['rule'] == e[1] and f['entity'] == e[2]]
                if not sel or e[3] not in sel[0]['changesWith']:
                    fail(f'[{e[1]}] {e[2]} does not name {e[3]} among {sel[0]["changesWith"] if sel else "(no finding)"}')
            elif kind in ('ok', 'warn', 'refuse'):
                entity = ' '.join(e[2:])
                if not [f for f in found if f['verdict'] == kind and f['rule'] == e[1] and f['entity'] == entity]:
                    fail(f'no {kind} [{e[1]}] {entity}')
            elif kind == 'deep':
                deep = report.get('deep')
                if deep is None: fail('no --deep report'); continue
                units = deep['units']
                verdict = 'refused' if any(u['verdict'] == 'refused' for u in units) else \
                          'ok' if any(u['verdict'] == 'ok' for u in units) else 'nochange'
                if verdict != e[1]: fail(f'object level: {verdict}, expected {e[1]}')
                known = [' '.join(x[1:]) for x in expect if x[0] == 'deep-note']
                for n in deep['notes']:
                    if not any(k in n for k in known): fail(f'--deep disagrees: {n}')
                for k in known:
                    if not any(k in n for n in deep['notes']): fail(f'expected --deep note "{k}" is missing')
            elif kind == 'deep-refuse':
                refusals = [x for u in (report.get('deep') or {}).get('units', []) for x in u['refusals']]
                if not [x for x in refusals if x['rule'] == e[1] and x['name'] == ' '.join(e[2:])]:
                    fail(f'no object-level refusal [{e[1]}] {" ".join(e[2:])} among {[(x["rule"], x["name"]) for x in refusals]}')
            elif kind == 'deep-note':
                pass  # checked with `deep`
            else:
                fail(f'unknown expectation {e}')
        print(f'{"FAIL" if any(x.startswith(name + ":") for x in failures) else "ok  "} {name}')
    for f in failures: print(f)
    print(f'{len(names)} cases, {checks} expectations, {len(failures)} failed ({time.time() - started:.0f} s)')
    return 1 if failures else 0

sys.exit(main())
