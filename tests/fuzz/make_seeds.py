#!/usr/bin/env python3
"""Seed corpora for the fuzz harnesses, written under OUTDIR/<harness>/:
fuzz_diff: pairs (4-byte length, original, patched) of the x86_64 behaviour cases
(testdata/diff, compiled as tests/diff/run_cases.py compiles them) and of the conformance
corpus when it is beside the repository; fuzz_elf: those objects, plus vmlinux-sized
nothing (linked images are too big for a seed); fuzz_patch: the catalogue's patches;
fuzz_symvers: Module.symvers lines and kbuild command lines; fuzz_cmd: a .o.cmd record;
fuzz_recipe: a recipe shaped like a recorded one, and a minimal one (none from the cache:
the seeds, and so the --ci runs, are the same on every machine); fuzz_model: a unit model with
an entity of every kind, shaped as lpb-unit-model writes it.
Usage: make_seeds.py OUTDIR"""
import glob, json, os, struct, sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "tests", "diff"))
import run_cases  # noqa: E402


def write(out, harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pair(orig, patched):
    a, b = open(orig, "rb").read(), open(patched, "rb").read()
    return struct.pack("<I", len(a)) + a + b


def main():
    out = sys.argv[1]
    work = os.path.join(out, ".objects")
    n = 0
    for case in sorted(glob.glob(os.path.join(top, "testdata", "diff", "*", "orig.c"))):
        name = os.path.basename(os.path.dirname(case))
        try:
            o, _ = run_cases.compile_source("x86_64", case, os.path.join(work, name, "o"), name, [])
            p, _ = run_cases.compile_source("x86_64", case.replace("orig.c", "patched.c"),
                                            os.path.join(work, name, "p"), name, [])
        except Exception:  # a case for another architecture, or one that needs more flags
            continue
        write(out, "fuzz_diff", name, pair(o, p))
        write(out, "fuzz_elf", name, open(o, "rb").read())
        n += 1
    corpus = os.path.join(top, "..", "shared", "corpus", "kpatch-unit")
    for orig in sorted(glob.glob(os.path.join(corpus, "*", "*.ORIG.o"))):
        patched = orig.replace(".ORIG.o", ".PATCHED.o")
        if os.path.exists(patched):
            name = "corpus-" + os.path.basename(os.path.dirname(orig)) + "-" + os.path.basename(orig)[:-7]
            write(out, "fuzz_diff", name, pair(orig, patched))
            n += 1
    for p in sorted(glob.glob(os.path.join(top, "testdata", "patches", "*", "patch.diff"))):
        write(out, "fuzz_patch", os.path.basename(os.path.dirname(p)), open(p, "rb").read())
    write(out, "fuzz_symvers", "symvers",
          b"0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n"
          b"0x9abcdef0\tfoo_ns\tfs/binfmt_misc\tEXPORT_SYMBOL_GPL\tFOO_NS\n")
    write(out, "fuzz_symvers", "cmd",
          b"gcc -Wp,-MMD,fs/proc/.devices.o.d -nostdinc '-DKBUILD_MODNAME=\"devices\"' -c -o fs/proc/devices.o "
          b"fs/proc/devices.c; ./tools/objtool/objtool --orc fs/proc/devices.o")
    write(out, "fuzz_cmd", "record",
          b"savedcmd_fs/proc/devices.o := gcc -Wp,-MMD,fs/proc/.devices.o.d -nostdinc -c -o fs/proc/devices.o "
          b"/src/fs/proc/devices.c\n\nsource_fs/proc/devices.o := /src/fs/proc/devices.c\n\n"
          b"deps_fs/proc/devices.o := \\\n  /src/include/linux/kconfig.h \\\n    $(wildcard include/config/FOO) \\\n"
          b"  include/generated/autoconf.h \\\n\nfs/proc/devices.o: $(deps_fs/proc/devices.o)\n")
    write(out, "fuzz_recipe", "recorded",
          b'{"format": 5, "tree": "/obj", "compile_table": "gcc -c -o @DIR@/lpb-table.o @DIR@/lpb-table.c", '
          b'"link": "ld -r -o @DIR@/@FILE@.o @DIR@/lpb-runtime.o @DIR@/lpb-table.o", '
          b'"modpost": "scripts/mod/modpost -M -m -o @DIR@/Module.symvers -T @DIR@/modules.order", '
          b'"compile_mod_c": "gcc -DKBUILD_MODNAME=\'\\"@MOD@\\"\' -c -o @DIR@/@FILE@.mod.o @DIR@/@FILE@.mod.c", '
          b'"link_ko": "ld -r -o @DIR@/@FILE@.ko @DIR@/@FILE@.o @DIR@/@FILE@.mod.o", '
          b'"compile_mod_c_precompiled": ["gcc", "-include", "@RECIPE@/mod-prelude.h", "-c", "-o", "@OUT@", "@SRC@"], '
          b'"mod_c_includes": "#include <linux/module.h>\\n", "not_replayable": "", "module_common": true}')
    write(out, "fuzz_recipe", "minimal", b'{"format": 5, "compile_table": "", "link": "", "modpost": "", '
          b'"compile_mod_c": "", "link_ko": "", "compile_mod_c_precompiled": [], "mod_c_includes": "", '
          b'"not_replayable": "", "module_common": false}')
    write(out, "fuzz_model", "every-kind", json.dumps({
        "entities": [
            {"kind": "function", "name": "version_proc_show", "file": 0, "line": 12, "endLine": 20,
             "text": "1f2e", "body": "3c4d", "signature": "int (struct seq_file *, void *)", "external": False,
             "inline": False, "alwaysInline": False, "variadic": False, "notrace": False, "calls": ["seq_printf"],
             "addressTaken": [], "types": ["struct seq_file"], "globals": ["linux_proc_banner"],
             "params": [{"class": "integer", "size": 8, "align": 8}], "declaredIn": ["/src/include/x.h"],
             "section": ".init.text", "lineUses": [{"macro": "WARN_ON", "line": 14}],
             "keyUses": [{"macro": "static_branch_unlikely", "line": 15, "key": "k", "keyDefinedInUnit": True}],
             "macroUses": [{"macro": "BANNER", "line": 16}]},
            {"kind": "variable", "name": "f.count", "file": 0, "line": 13, "endLine": 13, "text": "aa",
             "type": "int", "init": "", "external": False, "const": False, "staticLocal": True},
            {"kind": "struct", "name": "foo", "file": 1, "line": 3, "endLine": 7, "text": "bb",
             "layout": "a:int@0;size=4;align=4", "size": 4},
            {"kind": "enum", "name": "e", "file": 1, "line": 8, "endLine": 9, "text": "cc", "values": {"A": 0, "B": -1}},
            {"kind": "macro", "name": "BANNER", "file": 0, "line": 2, "endLine": 2, "text": "dd"}],
        "callGraph": {"version_proc_show": ["seq_printf"]}}, indent=1).encode())
    print("seeds: %d object pairs in %s" % (n, out))


if __name__ == "__main__":
    main()
