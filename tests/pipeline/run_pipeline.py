#!/usr/bin/env python3
"""`lp-build build` against the default kernel, without booting it (tests/kernel/ boots).

For every case of testdata/patches/: the exit status (0 ok, 1 refused), the JSON report
(status, the refusal rule, patch targets), and for modules: modinfo livepatch=Y, vermagic
of the tree, every .klp.sym symbol SHN_LIVEPATCH with a well-formed name and no undefined
.klp.sym left, .klp.rela sections flagged SHF_RELA_LIVEPATCH. Then bad input: a patch that
does not apply, a missing tree, a vmlinux of another build, a compiler other than the one
in vmlinux's .comment, a config without CONFIG_LIVEPATCH, a header patch (units found from
kbuild's dependency lists), a patch that changes nothing. Each must give its exit status,
one line naming the file, and no output file.

Usage: run_pipeline.py LP_BUILD   (exit 77 = skipped: no cached default kernel)
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = os.path.join(REPO, "testdata", "patches")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def conf(case):
    out = {}
    for line in open(os.path.join(CASES, case, "case.conf")):
        m = re.match(r"^(\w+)=(.*)$", line.strip())
        if m:
            words = shlex.split(m.group(2))
            out[m.group(1)] = words[0] if words else ""
    return out


def default_tree():
    for d in sorted(glob.glob(os.path.join(os.environ.get("LPB_CACHE", "/var/cache/lp-build"), "kernels", "x86_64-*"))):
        if os.path.exists(os.path.join(d, ".lpb-complete")) and "-intree-" not in d:
            return d
    return None


def main():
    lpb = os.path.abspath(sys.argv[1])
    kdir = default_tree()
    if not kdir:
        print("SKIP: no cached default kernel (scripts/kernel/build-kernel.sh builds it; scripts/test.sh does first)")
        return 77
    work = tempfile.mkdtemp(prefix="lpb-pipeline.")
    try:
        # --- the catalogue ---------------------------------------------------------------
        for case in sorted(os.listdir(CASES)):
            if not os.path.isfile(os.path.join(CASES, case, "case.conf")):
                continue
            c = conf(case)
            ko = os.path.join(work, case + ".ko")
            js = os.path.join(work, case + ".json")
            r = run([lpb, "build", os.path.join(CASES, case, "patch.diff"), "-n", "livepatch-" + case, "-o", ko,
                     "--json", js, "-j", "2"])
            rep = json.load(open(js)) if os.path.exists(js) else {}
            if c.get("expect") == "refuse":
                check(f"{case}: exit 1", r.returncode == 1, r.stderr[-500:])
                rules = [x["rule"] for x in rep.get("refusals", [])]
                check(f"{case}: refused by {c['rule']}", c["rule"] in rules, f"got {rules}")
                check(f"{case}: one 'refuse [{c['rule']}]' line", f"lp-build: refuse [{c['rule']}]" in r.stderr)
                check(f"{case}: no module written", not os.path.exists(ko))
                continue
            check(f"{case}: exit 0", r.returncode == 0, r.stderr[-800:])
            check(f"{case}: status ok", rep.get("status") == "ok", str(rep.get("status")))
            check(f"{case}: at least one patch target",
                  any(f.get("patch_target") for f in rep.get("functions", [])))
            if not os.path.exists(ko):
                check(f"{case}: module written", False)
                continue
            info = run(["modinfo", "-F", "livepatch", ko]).stdout.strip()
            check(f"{case}: modinfo livepatch=Y", info == "Y", info)
            vermagic = run(["modinfo", "-F", "vermagic", ko]).stdout.split()
            release = open(os.path.join(kdir, "include/config/kernel.release")).read().strip()
            check(f"{case}: vermagic is the tree's release", vermagic[:1] == [release], str(vermagic))
            syms = run(["readelf", "-sW", ko]).stdout
            klp = [l for l in syms.splitlines() if ".klp.sym." in l]
            for l in klp:
                name = l.split()[-1]
                check(f"{case}: {name} is SHN_LIVEPATCH", "[0xff20]" in l or "OS [0xff20]" in l, l)
                check(f"{case}: {name} is well formed", re.fullmatch(r"\.klp\.sym\.[A-Za-z0-9_]+\.[^,]+,\d+", name) is not None)
            secs = run(["readelf", "-SW", ko]).stdout
            klprela = [l for l in secs.splitlines() if ".klp.rela." in l]
            check(f"{case}: a .klp.rela section per livepatch symbol user", bool(klprela) == bool(klp), secs[-300:])
            for l in klprela:
                check(f"{case}: {l.split()[1]} flags AIo", " AIo " in l, l)
            if "ko_check" in c:
                check(f"{case}: ko_check", run(["sh", "-c", c["ko_check"]], env=dict(os.environ, KO=ko, JSON=js)).returncode == 0)

        # -R: klp_patch.replace is false (the report says which it built).
        js = os.path.join(work, "nonreplace.json")
        r = run([lpb, "build", os.path.join(CASES, "proc-string", "patch.diff"), "-R", "-o",
                 os.path.join(work, "nonreplace.ko"), "--json", js])
        check("-R builds", r.returncode == 0, r.stderr[-300:])
        check("-R: report says replace false", os.path.exists(js) and json.load(open(js)).get("replace") is False)
        js2 = os.path.join(work, "proc-string.json")
        check("default: report says replace true", os.path.exists(js2) and json.load(open(js2)).get("replace") is True)

        # --- kbuild's link recipe, replayed --------------------------------------------------
        # Recorded once per tree; the module's .mod.o comes from the precompiled-header path,
        # and must equal what kbuild's own command makes of the same .mod.c.
        cache = os.environ.get("LPB_CACHE", "/var/cache/lp-build")
        recipes = [json.load(open(f)) for f in glob.glob(os.path.join(cache, "recipes", "*", "recipe.json"))]
        recipe = next((x for x in recipes if os.path.realpath(x["tree"]) == os.path.realpath(kdir)), None)
        check("recipe: recorded for the default tree", recipe is not None, str([x["tree"] for x in recipes]))
        r = run([lpb, "build", os.path.join(CASES, "proc-string", "patch.diff"), "-n", "livepatch-recipe", "-o",
                 os.path.join(work, "recipe.ko"), "--keep-tmp"])
        m = re.search(r"work directory kept: (\S+)", r.stderr)
        check("recipe: --keep-tmp names the work directory", r.returncode == 0 and m is not None, r.stderr[-300:])
        if recipe and m:
            mdir = os.path.join(m.group(1), "module")
            check("recipe: the .mod.c compile takes the precompiled header (GCC tree)",
                  bool(recipe["compile_mod_c_precompiled"]))
            log = open(os.path.join(mdir, "kbuild.log")).read()
            check("recipe: the module's .mod.o came from the precompiled path", "(precompiled header)" in log)
            check("recipe: GCC took the precompiled header (no -Winvalid-pch warning)",
                  "not used because" not in log and "[-Winvalid-pch]" not in log, log[-400:])
            plain = (recipe["compile_mod_c"].replace("@DIR@", mdir).replace("@FILE@", "livepatch-recipe")
                     .replace("@MOD@", "livepatch_recipe"))
            ref = os.path.join(mdir, "reference.mod.o")
            plain = plain.replace(f"-o {mdir}/livepatch-recipe.mod.o", f"-o {ref}")
            rr = run(["sh", "-c", plain], cwd=kdir)
            check("recipe: kbuild's own .mod.o command compiles the module's .mod.c", rr.returncode == 0,
                  rr.stderr[-300:])

            def loaded(obj):
                # Sections with the A flag: name and contents; relocations: entries per
                # section (file offsets differ with the size of the debug info).
                names = []
                for l in run(["readelf", "-SW", obj]).stdout.splitlines():
                    mm = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+(\S*)", l)
                    if mm and "A" in mm.group(2):
                        names.append(mm.group(1))
                dump = {n: run(["readelf", "-x", n, obj]).stdout.split("\n", 2)[-1] for n in names}
                relocs, keep = [], False
                for l in run(["readelf", "-rW", obj]).stdout.splitlines():
                    head = re.match(r"Relocation section '\.rela(\S+)'", l)
                    if head:
                        keep = head.group(1) in names  # debug info's relocations may differ
                        l = head.group(0)
                    if keep:
                        relocs.append(l)
                return names, dump, relocs
            same = os.path.exists(ref) and loaded(ref) == loaded(os.path.join(mdir, "livepatch-recipe.mod.o"))
            check("recipe: precompiled and plain .mod.o agree in loaded sections and relocations", same)
            syms = run(["nm", os.path.join(work, "recipe.ko")]).stdout
            check("recipe: the module links lp-build's runtime and the patch table",
                  re.search(r" [DR] lpb_table$", syms, re.M) is not None and " t lpb_init" in syms, syms[-400:])
            shutil.rmtree(m.group(1), ignore_errors=True)

        # --verify boots the kernel in QEMU: a check that holds while the patch is on passes;
        # one that fails turns the build into a refusal and leaves no module.
        if shutil.which("qemu-system-x86_64"):
            ok_ko, bad_ko, bad_js = (os.path.join(work, n) for n in ("verify-ok.ko", "verify-bad.ko", "verify-bad.json"))
            # This module is linked by `make M=` (--kbuild-make) rather than the replayed
            # recipe, so that the booted check covers that path as well.
            r = run([lpb, "build", os.path.join(CASES, "proc-string", "patch.diff"), "-o", ok_ko, "--verify",
                     "--kbuild-make", "--keep-tmp",
                     "--verify-check", "grep -q 'Character devices (major name):' /proc/devices"])
            check("--verify with a passing check: exit 0", r.returncode == 0, r.stderr[-600:])
            check("--verify with a passing check: module kept", os.path.exists(ok_ko))
            m = re.search(r"work directory kept: (\S+)", r.stderr)
            log = open(os.path.join(m.group(1), "module", "kbuild.log")).read() if m else ""
            check("--kbuild-make: the module was linked by make M=", "make: Entering directory" in log, log[-300:])
            if m:
                shutil.rmtree(m.group(1), ignore_errors=True)
            r = run([lpb, "build", os.path.join(CASES, "proc-string", "patch.diff"), "-o", bad_ko, "--json", bad_js,
                     "--verify", "--verify-check", "grep -q 'Character devices:' /proc/devices"])
            check("--verify with a failing check: exit 1", r.returncode == 1, r.stderr[-600:])
            check("--verify with a failing check: no module", not os.path.exists(bad_ko))
            check("--verify with a failing check: refusal verify-failed",
                  os.path.exists(bad_js) and any(x["rule"] == "verify-failed" for x in json.load(open(bad_js))["refusals"]))
        else:
            print("SKIP --verify checks: qemu-system-x86_64 is not installed (scripts/install-deps.sh --kernel)")

        # --- bad input and edge cases ------------------------------------------------------
        src = os.path.realpath(os.path.join(kdir, "source"))
        base = os.path.join(CASES, "proc-string", "patch.diff")

        def expect_error(name, args, status, must_name, out):
            r = run([lpb, "build"] + args + ["-o", out])
            errs = [l for l in r.stderr.splitlines() if l.startswith("lp-build: ") and "warning" not in l and "[" not in l[10:13]]
            check(f"{name}: exit {status}", r.returncode == status, f"got {r.returncode}: {r.stderr[-400:]}")
            check(f"{name}: one line names {os.path.basename(must_name)}",
                  any(must_name in l for l in errs), r.stderr[-400:])
            check(f"{name}: no output", not os.path.exists(out))

        bad = os.path.join(work, "does-not-apply.diff")
        with open(bad, "w") as f:
            f.write(open(base).read().replace("Character devices:", "Character gadgets:"))
        expect_error("patch that does not apply", [bad], 2, bad, os.path.join(work, "x1.ko"))
        expect_error("missing tree", [base, "-s", os.path.join(work, "nope")], 2, os.path.join(work, "nope"),
                     os.path.join(work, "x2.ko"))
        expect_error("vmlinux that is not ELF", [base, "-s", kdir, "-v", base], 2, base, os.path.join(work, "x3.ko"))
        # An output lp-build could not write: exit 2 at once, before the tree is even read.
        nodir = os.path.join(work, "no-such-dir", "x.ko")
        expect_error("-o into a directory that does not exist", [base, "-s", kdir], 2, nodir, nodir)
        r = run([lpb, "build", base, "-s", kdir, "-o", nodir])
        check("-o into a missing directory: refused before any step runs",
              not [l for l in r.stderr.splitlines() if l.startswith("lp-build: [")], r.stderr[-300:])
        r = run([lpb, "build", base, "-s", kdir, "-o", work])
        check("-o naming a directory: exit 2", r.returncode == 2 and "is a directory" in r.stderr, r.stderr[-300:])
        cfg = os.path.join(work, "nolivepatch.config")
        with open(cfg, "w") as f:
            f.write("".join(l for l in open(os.path.join(kdir, ".config")) if not l.startswith("CONFIG_LIVEPATCH=")))
        expect_error("config without CONFIG_LIVEPATCH", [base, "-s", kdir, "-c", cfg], 2, cfg, os.path.join(work, "x4.ko"))
        comment = os.path.join(work, "comment")
        with open(comment, "wb") as f:
            f.write(b"GCC: (Other) 99.1.0\0")
        other = os.path.join(work, "vmlinux-other-compiler")
        r = run(["objcopy", "--update-section", f".comment={comment}", os.path.join(kdir, "vmlinux"), other])
        if r.returncode == 0:
            expect_error("compiler differs from vmlinux's .comment", [base, "-s", kdir, "-v", other], 2, other,
                         os.path.join(work, "x5.ko"))
        else:
            check("objcopy makes a vmlinux with another .comment", False, r.stderr)
        nochange = os.path.join(work, "comment-only.diff")
        with open(nochange, "w") as f:
            f.write("--- a/fs/proc/devices.c\n+++ b/fs/proc/devices.c\n@@ -1,3 +1,4 @@\n"
                    + "".join(" " + l for l in open(os.path.join(src, "fs/proc/devices.c")).readlines()[:1])
                    + "+/* a comment changes nothing */\n"
                    + "".join(" " + l for l in open(os.path.join(src, "fs/proc/devices.c")).readlines()[1:3]))
        r = run([lpb, "build", nochange, "-o", os.path.join(work, "x6.ko")])
        check("a comment-only patch: exit 3", r.returncode == 3, r.stderr[-300:])
        check("a comment-only patch: no output", not os.path.exists(os.path.join(work, "x6.ko")))

        # A header change reaches the units that include it, from kbuild's dependency lists.
        hdr = os.path.join(work, "header.diff")
        lines = open(os.path.join(src, "fs/proc/internal.h")).readlines()
        with open(hdr, "w") as f:
            f.write("--- a/fs/proc/internal.h\n+++ b/fs/proc/internal.h\n@@ -1,3 +1,4 @@\n"
                    + " " + lines[0] + "+/* touched */\n" + " " + lines[1] + " " + lines[2])
        js = os.path.join(work, "header.json")
        r = run([lpb, "build", hdr, "-o", os.path.join(work, "x7.ko"), "--json", js])
        units = [u["source"] for u in json.load(open(js)).get("units", [])] if os.path.exists(js) else []
        check("a header patch finds its including units", "fs/proc/generic.c" in units and len(units) > 5, str(units))
        check("a header patch that changes no code: exit 3", r.returncode == 3, r.stderr[-300:])
    finally:
        if failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"artifacts kept in {work}")
    print(f"pipeline: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
