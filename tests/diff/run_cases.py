#!/usr/bin/env python3
"""Behaviour tests for `lp-build diff`.

Each directory testdata/diff/<case>/ holds orig.c, patched.c and an `expect`
file.  For every case and every architecture whose compiler is installed, both
sources are compiled with kernel-like flags, `lp-build diff` is run on the two
objects and the outcome is checked against `expect`.

    tests/diff/run_cases.py [--lp-build PATH] [--only CASE[,CASE...]] [-v]
    tests/diff/run_cases.py --malformed [--lp-build PATH] [-v]
    tests/diff/run_cases.py --check-cases     # compile and check preconditions only
    tests/diff/run_cases.py --cases testdata/objects --objects DIR --arch A
                                              # real kernel objects, built by tests/kernel/objects.sh

One line per case x architecture: `PASS case/arch`, `FAIL case/arch: why` or
`SKIP case/arch: why`, then `N passed, N failed[, N skipped]`.  Exit status 1
when anything failed.

The expect file (`#` starts a comment; `key.ARCH: value` overrides `key` for
one architecture; `refuse` may be repeated):

  arches: x86_64 ppc64le aarch64 s390x loongarch64   (default: all five)
  sources: OTHER-CASE         take orig.c/patched.c from testdata/diff/OTHER-CASE
  cflags: -fno-inline         extra compiler flags
  args: --module mymod        extra lp-build arguments
  struct-size: bug=12 ex=12   passed as --struct-size KIND=BYTES ...
  exit: 0                     expected exit status (0 ok, 1 refused, 3 no change)
  functions: foo,bar.cold     exact set of FUNC symbols defined in OUT.o ("-": none)
  refuse: RULE NAME           a refusal that must be reported (NAME may be a|b, RULE *)
  undefined: g1,g2            symbols (fnmatch globs) that must be UNDEF in OUT.o
  defined: g1,g2              symbols that must be defined (in a section) in OUT.o
  absent: g1,g2               globs no symbol of OUT.o may match
  not-undefined: g1           globs no UNDEF symbol of OUT.o may match
  count: glob=N ...           number of OUT.o symbols matching glob
  sections: s1,s2             sections OUT.o must have
  no-sections: s1,s2          sections OUT.o must not have
  entries: SEC=N ...          number of entries of special section SEC in OUT.o
  refs: SEC=n1,n2 ...         symbols OUT.o's relocations in SEC must resolve to (exact set)
  ftrace-entries: N           number of ftrace call sites recorded in OUT.o
  maps: new=old ...           a patched-object symbol the output must refer to under its
                              original name (a renumbered static local)
  fidelity: no                skip the check that every function in OUT.o has the patched
                              object's bytes and relocations (done by default)
  status: foo=changed ...     statuses the --json report must give
  patch-targets: f1,f2        the functions the kernel must redirect: checked against the
                              report's optional "patch_target" flags when it has them
  orig-defines / patched-defines: globs      preconditions on the compiled objects
  orig-lacks / patched-lacks: globs          ditto, must not be defined
  orig-uses / patched-uses: FUNC=g1,g2 ...   ditto: FUNC's relocations refer to these
  unknown-sections: s1,s2     the sections the --json report names as unknown to lp-build
                              (exact set; with --objects, default none)
  traced / untraced: f1,f2    preconditions: functions with / without an ftrace entry
                              in both objects
"""

import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CASES_DIR = os.path.join(ROOT, "testdata", "diff")
INCLUDE_DIR = os.path.join(ROOT, "testdata", "include")

ARCHES = ["x86_64", "ppc64le", "aarch64", "s390x", "loongarch64"]

COMMON_CFLAGS = [
    "-O2", "-nostdinc", "-ffreestanding", "-fno-strict-aliasing", "-fno-common",
    "-fno-PIE", "-ffunction-sections", "-fdata-sections",
    "-fno-asynchronous-unwind-tables", "-Wall", "-Wno-unused-function",
]

# The compiler and the ftrace/code-model flags Linux 6.12 uses on each architecture, with
# the code model lp-build compiles units for a patch module with (ppc64le: vmlinux is
# -mcmodel=medium, modules -mcmodel=large; arch/PPC64.cpp, moduleCodeModelFlags).
COMPILERS = {
    "x86_64": (["gcc"],
               ["-pg", "-mfentry", "-mrecord-mcount", "-mno-red-zone", "-mcmodel=kernel"]),
    "ppc64le": (["powerpc64le-linux-gnu-gcc"],
                ["-mprofile-kernel", "-pg", "-mcmodel=large", "-mabi=elfv2",
                 "-mno-pointers-to-nested-functions"]),
    "aarch64": (["aarch64-linux-gnu-gcc"],
                ["-fpatchable-function-entry=2", "-mgeneral-regs-only", "-fno-unwind-tables"]),
    "s390x": (["s390x-linux-gnu-gcc"],
              ["-pg", "-mfentry", "-mnop-mcount", "-mrecord-mcount", "-mpacked-stack"]),
    # Debian 12 has no LoongArch GCC; clang 16 has no -fpatchable-function-entry
    # there, so -pg (a `bl mcount` in every traced function) stands in for it.
    "loongarch64": (["clang-16", "--target=loongarch64-linux-gnu"], ["-pg"]),
}

ELF_MACHINE = {"x86_64": 62, "ppc64le": 21, "aarch64": 183, "s390x": 22, "loongarch64": 258}

# Entry sizes of special sections whose size does not vary between these architectures.
FIXED_ENTRY_SIZE = {
    "__jump_table": 16,
    "__mcount_loc": 8,
    "__patchable_function_entries": 8,
    ".static_call_sites": 8,
    ".kpatch.callbacks.pre_patch": 16,
    ".kpatch.callbacks.post_patch": 16,
    ".kpatch.callbacks.pre_unpatch": 16,
    ".kpatch.callbacks.post_unpatch": 16,
    ".kpatch.force": 8,
    ".kpatch.ignore.functions": 8,
    ".orc_unwind_ip": 4,
    ".s390_indirect_jump": 4,
    ".s390_indirect_call": 4,
    ".s390_return_reg": 4,
    ".s390_return_mem": 4,
}
STRUCT_SIZE_SECTIONS = {"bug": "__bug_table", "ex": "__ex_table", "jump": "__jump_table"}
DEFAULT_STRUCT_SIZE = {
    "__bug_table": {a: 12 for a in ARCHES},
    "__ex_table": {"x86_64": 12, "ppc64le": 8, "aarch64": 12, "s390x": 12, "loongarch64": 12},
    ".orc_unwind": {"x86_64": 6, "loongarch64": 8},
    ".altinstructions": {"s390x": 13},
}
MCOUNT_SYMBOL = {"x86_64": "__fentry__", "ppc64le": "_mcount", "loongarch64": "mcount"}

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")

# --------------------------------------------------------------------------- ELF


class ElfError(Exception):
    pass


SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_GROUP = 2, 4, 8, 17
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_XINDEX = 0, 0xFFF1, 0xFFF2, 0xFFFF


class Section:
    __slots__ = ("index", "name", "type", "flags", "offset", "size", "link", "info",
                 "align", "entsize")


class Symbol:
    __slots__ = ("index", "name", "value", "size", "type", "bind", "other", "shndx")

    def defined(self):
        return self.shndx not in (SHN_UNDEF, SHN_ABS, SHN_COMMON)


class Elf:
    """A minimal reader for 64-bit relocatable ELF objects of either byte order."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = data = f.read()
        if len(data) < 64 or data[:4] != b"\x7fELF":
            raise ElfError("not an ELF file")
        if data[4] != 2:
            raise ElfError("not a 64-bit ELF file")
        self.e = e = "<" if data[5] == 1 else ">"
        (self.type, self.machine, _, _, _, shoff, self.flags, _, _, _, shentsize, shnum,
         shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)
        if shentsize != 64 or shoff + shnum * 64 > len(data):
            raise ElfError("bad section header table")
        self.sections = []
        for i in range(shnum):
            s = Section()
            (name, s.type, s.flags, _, s.offset, s.size, s.link, s.info, s.align,
             s.entsize) = struct.unpack_from(e + "IIQQQQIIQQ", data, shoff + i * 64)
            s.index, s.name = i, name
            self.sections.append(s)
        if shstrndx >= shnum:
            raise ElfError("bad shstrndx")
        shstr = self.sections[shstrndx]
        for s in self.sections:
            s.name = self._str(shstr, s.name)
        self.symbols = []
        self.symtab = None
        for s in self.sections:
            if s.type == SHT_SYMTAB:
                self.symtab = s
                strtab = self.sections[s.link]
                for i in range(s.size // 24):
                    sym = Symbol()
                    name, info, sym.other, sym.shndx, sym.value, sym.size = struct.unpack_from(
                        e + "IBBHQQ", data, s.offset + i * 24)
                    sym.index, sym.name = i, self._str(strtab, name)
                    sym.type, sym.bind = info & 0xF, info >> 4
                    self.symbols.append(sym)
        self.relocs = {}  # target section index -> [(offset, type, symbol, addend)]
        for s in self.sections:
            if s.type == SHT_RELA:
                lst = self.relocs.setdefault(s.info, [])
                for i in range(s.size // 24):
                    off, info, addend = struct.unpack_from(e + "QQq", data, s.offset + i * 24)
                    symidx, rtype = info >> 32, info & 0xFFFFFFFF
                    if symidx >= len(self.symbols):
                        raise ElfError("relocation symbol out of range")
                    lst.append((off, rtype, self.symbols[symidx], addend))

    def _str(self, sec, off):
        start = sec.offset + off
        end = self.data.find(b"\0", start, sec.offset + sec.size)
        if end < 0:
            raise ElfError("bad string offset")
        return self.data[start:end].decode("utf-8", "replace")

    def section_named(self, name):
        return [s for s in self.sections if s.name == name]

    def defined_functions(self):
        return {s.name for s in self.symbols if s.type == STT_FUNC and s.defined()}

    def defined_symbols(self):
        return {s.name for s in self.symbols
                if s.defined() and s.type not in (STT_SECTION, STT_FILE) and s.name}

    def undefined_symbols(self):
        return {s.name for s in self.symbols if s.shndx == SHN_UNDEF and s.name}

    def symbol_names(self):
        return {s.name for s in self.symbols if s.name and s.type not in (STT_SECTION, STT_FILE)}

    def func(self, name):
        for s in self.symbols:
            if s.name == name and s.type == STT_FUNC and s.defined():
                return s
        return None

    def resolve(self, sym, addend):
        """Name of what a relocation points at: a section symbol is replaced by the
        function or object of that section covering the target offset."""
        if sym.type != STT_SECTION:
            return sym.name
        sec = self.sections[sym.shndx] if sym.shndx < len(self.sections) else None
        target = sym.value + addend
        inside = [s for s in self.symbols
                  if s.shndx == sym.shndx and s.type in (STT_FUNC, STT_OBJECT)]
        if len(inside) == 1:  # a -ffunction-sections/-fdata-sections bundle
            return inside[0].name
        # x86 PC-relative references carry the distance to the end of the
        # instruction in their addend.
        for bias in (0, 4, 5, 8):
            for s in inside:
                if s.value <= target + bias < s.value + max(s.size, 1):
                    return s.name
        if sec is not None and sec.name == ".toc":
            # ppc64le -mcmodel=large: code loads the address from a TOC entry; name what the
            # entry holds.
            for off, _, held, held_addend in self.relocs.get(sym.shndx, []):
                if off == target:
                    return self.resolve(held, held_addend)
        return sec.name if sec else "?"

    def has_ftrace_entry(self, arch, fname):
        f = self.func(fname)
        if f is None:
            return None
        if arch in MCOUNT_SYMBOL:
            want = MCOUNT_SYMBOL[arch]
            for off, _, sym, _ in self.relocs.get(f.shndx, []):
                if sym.name == want and f.value <= off < f.value + f.size:
                    return True
            return False
        record = "__mcount_loc" if arch == "s390x" else "__patchable_function_entries"
        for sec in self.section_named(record):
            for _, _, sym, addend in self.relocs.get(sec.index, []):
                if sym.shndx == f.shndx and sym.value + addend == f.value:
                    return True
        return False

    def entry_count(self, name, size):
        total = sum(s.size for s in self.section_named(name))
        return total // size if size else None, total

    def ftrace_entries(self, arch):
        if arch in ("x86_64", "s390x"):
            return sum(s.size for s in self.section_named("__mcount_loc")) // 8
        if arch == "aarch64":
            return sum(s.size for s in self.section_named("__patchable_function_entries")) // 8
        want = MCOUNT_SYMBOL[arch]
        n = 0
        for idx, lst in self.relocs.items():
            if self.sections[idx].flags & 0x4:  # SHF_EXECINSTR
                n += sum(1 for _, _, sym, _ in lst if sym.name == want)
        return n


# ---------------------------------------------------------------------- expect


class CaseError(Exception):
    pass


def split_list(v):
    v = v.strip()
    if v in ("", "-"):
        return []
    return [x for x in re.split(r"[,\s]+", v) if x]


def split_pairs(v):
    out = []
    for item in v.split():
        if "=" not in item:
            raise CaseError("bad key=value item %r" % item)
        k, val = item.split("=", 1)
        out.append((k, val))
    return out


class Expect:
    def __init__(self, path):
        self.generic = {}
        self.per_arch = {}
        self.refuse_generic = []
        self.refuse_arch = {}
        with open(path) as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                if ":" not in line:
                    raise CaseError("%s:%d: expected `key: value`" % (path, lineno))
                key, value = line.split(":", 1)
                key, value = key.strip(), value.strip()
                arch = None
                if "." in key:
                    key, arch = key.split(".", 1)
                    if arch not in ARCHES:
                        raise CaseError("%s:%d: unknown architecture %r" % (path, lineno, arch))
                if key == "refuse":
                    (self.refuse_arch.setdefault(arch, []) if arch else
                     self.refuse_generic).append(value)
                elif arch:
                    self.per_arch.setdefault(arch, {})[key] = value
                else:
                    self.generic[key] = value

    def get(self, arch, key, default=None):
        if key in self.per_arch.get(arch, {}):
            return self.per_arch[arch][key]
        return self.generic.get(key, default)

    def refusals(self, arch):
        lines = self.refuse_arch.get(arch, self.refuse_generic)
        out = []
        for l in lines:
            parts = l.split()
            if len(parts) != 2:
                raise CaseError("refuse: expected `RULE NAME`, got %r" % l)
            out.append((parts[0], parts[1].split("|")))
        return out


# ----------------------------------------------------------------------- tools


def compiler_for(arch):
    cmd, flags = COMPILERS[arch]
    return (shutil.which(cmd[0]) is not None), cmd, flags


def compile_source(arch, src, outdir, case, extra):
    """Compile src as <outdir>/<case>.c so that __FILE__ and the STT_FILE symbol
    are the same for orig and patched, like two builds of one kernel source."""
    os.makedirs(outdir, exist_ok=True)
    cfile = os.path.join(outdir, case + ".c")
    shutil.copyfile(src, cfile)
    ok, cmd, flags = compiler_for(arch)
    obj = os.path.join(outdir, case + ".o")
    argv = cmd + COMMON_CFLAGS + flags + ["-I", INCLUDE_DIR] + extra + \
        ["-c", case + ".c", "-o", case + ".o"]
    p = subprocess.run(argv, cwd=outdir, capture_output=True, text=True)
    if p.returncode != 0:
        raise CaseError("compiling %s failed: %s\n%s" % (src, " ".join(argv), p.stderr))
    return obj, p.stderr


def globs_match(glob, names):
    return [n for n in names if fnmatch.fnmatchcase(n, glob)]


# ----------------------------------------------------------------------- cases


def check_preconditions(ex, arch, orig, patched):
    errs = []
    for key, obj, want in (("orig-defines", orig, True), ("patched-defines", patched, True),
                           ("orig-lacks", orig, False), ("patched-lacks", patched, False)):
        for g in split_list(ex.get(arch, key, "")):
            hit = globs_match(g, obj.defined_symbols())
            if want and not hit:
                errs.append("%s: %s defines no symbol matching %s" % (key, os.path.basename(
                    os.path.dirname(obj.path)), g))
            if not want and hit:
                errs.append("%s: %s defines %s" % (key, os.path.basename(
                    os.path.dirname(obj.path)), ",".join(sorted(hit))))
    for key, obj in (("orig-uses", orig), ("patched-uses", patched)):
        for fn, syms in split_pairs(ex.get(arch, key, "")):
            f = obj.func(fn)
            if f is None:
                errs.append("%s: no function %s" % (key, fn))
                continue
            used = {obj.resolve(sym, addend) for off, _, sym, addend in obj.relocs.get(f.shndx, [])
                    if f.value <= off < f.value + max(f.size, 1)}
            for g in split_list(syms):
                if not globs_match(g, used):
                    errs.append("%s: %s does not refer to %s (it refers to %s)" % (
                        key, fn, g, ",".join(sorted(used))))
    for key, want in (("traced", True), ("untraced", False)):
        for fn in split_list(ex.get(arch, key, "")):
            for which, obj in (("orig", orig), ("patched", patched)):
                has = obj.has_ftrace_entry(arch, fn)
                if has is None:
                    errs.append("%s: %s.o has no function %s" % (key, which, fn))
                elif has != want:
                    errs.append("%s: %s in %s.o %s an ftrace entry" % (
                        key, fn, which, "lacks" if want else "has"))
    if errs:
        raise CaseError("precondition: " + "; ".join(errs))


def struct_size_args(ex, arch):
    args = []
    for kind, val in split_pairs(ex.get(arch, "struct-size", "")):
        args += ["--struct-size", "%s=%s" % (kind, val)]
    return args


def entry_size(ex, arch, section):
    sizes = {STRUCT_SIZE_SECTIONS[k]: int(v) for k, v in split_pairs(ex.get(arch, "struct-size", ""))
             if k in STRUCT_SIZE_SECTIONS}
    if section in sizes:
        return sizes[section]
    if section in DEFAULT_STRUCT_SIZE:
        return DEFAULT_STRUCT_SIZE[section][arch]
    if section in FIXED_ENTRY_SIZE:
        return FIXED_ENTRY_SIZE[section]
    raise CaseError("no entry size known for %s" % section)


REFUSE_RE = re.compile(r"^lp-build: refuse \[([a-z0-9][a-z0-9-]*)\] (\S+): \S.*$")


def name_matches(names, got):
    return got in names


def check_run(ex, arch, rc, stderr, out, report, orig_elf, patched_elf=None):
    """Returns a list of problems (empty when the run matches the expectation)."""
    errs = []
    want_exit = int(ex.get(arch, "exit", "0"))
    if rc < 0 or rc > 128:
        return ["crashed (status %d)\n%s" % (rc, stderr)]
    for m in SANITIZER_MARKERS:
        if m in stderr:
            return ["sanitizer report:\n" + stderr]
    if rc != want_exit:
        return ["exit %d, expected %d; stderr:\n%s" % (rc, want_exit, stderr.rstrip())]
    lines = [l for l in stderr.splitlines() if l.strip()]

    # stderr and refusals
    refusals = ex.refusals(arch)
    if rc == 1:
        got = []
        for l in lines:
            m = REFUSE_RE.match(l)
            if not m:
                errs.append("stderr line not in the form `lp-build: refuse [RULE] NAME: why`: %r" % l)
            else:
                got.append((m.group(1), m.group(2)))
        if not lines:
            errs.append("refused without saying why on stderr")
        for rule, names in refusals:
            if not any(rule in (r, "*") and n in names for r, n in got):
                errs.append("no refusal [%s] %s on stderr (got: %s)" % (
                    rule, "|".join(names), ", ".join("[%s] %s" % g for g in got) or "none"))

    # output object
    if rc != 0:
        if os.path.exists(out):
            errs.append("exit %d but %s was written" % (rc, os.path.basename(out)))
    else:
        if not os.path.exists(out):
            errs.append("exit 0 but no output object")
        else:
            try:
                o = Elf(out)
            except (ElfError, struct.error) as e:
                errs.append("output object unreadable: %s" % e)
                o = None
            if o is not None:
                errs += check_output(ex, arch, o, orig_elf, patched_elf)

    # JSON report
    if report is not None:
        errs += check_json(ex, arch, rc, report, refusals)
    return errs


def func_bytes(obj, f):
    sec = obj.sections[f.shndx]
    if sec.type == SHT_NOBITS:
        return b""
    return obj.data[sec.offset + f.value: sec.offset + f.value + f.size]


def func_relocs(obj, f):
    return sorted((off - f.value, rtype, sym, addend) for off, rtype, sym, addend
                  in obj.relocs.get(f.shndx, []) if f.value <= off < f.value + f.size)


SHF_MERGE_STRINGS = 0x10 | 0x20


def cstring_at(obj, sec, off):
    if off < 0 or off >= sec.size:
        return None
    start = sec.offset + off
    end = obj.data.find(b"\0", start, sec.offset + sec.size)
    return obj.data[start:end if end >= 0 else sec.offset + sec.size]


def string_section(obj, sym):
    """The mergeable string section a relocation's symbol lies in (a section
    symbol, or a local label such as s390's .LC0), else None."""
    if sym.type not in (STT_SECTION, STT_NOTYPE) or not (0 < sym.shndx < len(obj.sections)):
        return None
    sec = obj.sections[sym.shndx]
    if sec.flags & SHF_MERGE_STRINGS != SHF_MERGE_STRINGS:
        return None
    return sec


def reloc_target(obj, sym, addend, bias, depth=0):
    """What a relocation refers to, independent of section layout:
    ("sym", name, offset) for a symbol, ("str", bytes) for a string literal,
    ("toc", what the entry holds) for a .toc entry, or None when that cannot be
    told (several objects in one section)."""
    sec = string_section(obj, sym)
    if sec is not None:
        return ("str", cstring_at(obj, sec, sym.value + addend + bias))
    if not (0 < sym.shndx < len(obj.sections)) or \
            (sym.type != STT_SECTION and sym.type != STT_NOTYPE) or \
            (sym.type == STT_NOTYPE and sym.bind != 0):
        return ("sym", sym.name, addend)
    sec = obj.sections[sym.shndx]
    if sec.name == ".toc" and depth < 2:
        # ppc64le's table of addresses: the patch keeps only the entries its code loads,
        # so an entry is told by what it holds, not by where it sits.
        at = sym.value + addend
        held = [(s, a) for off, _, s, a in obj.relocs.get(sym.shndx, []) if off == at]
        if held:
            inner = reloc_target(obj, held[0][0], held[0][1], 0, depth + 1)
            return ("toc", inner) if inner is not None else None
    inside = [x for x in obj.symbols if x.shndx == sym.shndx and x.type in (STT_FUNC, STT_OBJECT)]
    if sym.type == STT_SECTION and len(inside) == 1:
        return ("sym", inside[0].name, sym.value + addend - inside[0].value)
    if sym.type == STT_NOTYPE and inside:
        return ("sym", sym.name, addend)
    if not inside and not sec.flags & 0x4 and sec.type != SHT_NOBITS:
        # anonymous read-only data (a jump table, a literal pool): same contents, same place
        return ("anon", obj.data[sec.offset:sec.offset + sec.size], sym.value + addend)
    return None


def string_bias(obj, sym, addend):
    """The distance between a PC-relative relocation's addend and the string it
    addresses (x86_64 subtracts the rest of the instruction, s390x adds the
    offset of the field in it): the smallest one that lands on a string start."""
    sec = string_section(obj, sym)
    if sec is None:
        return 0
    for b in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8):
        off = sym.value + addend + b
        if off == 0 or (0 < off < sec.size and obj.data[sec.offset + off - 1] == 0):
            return b
    return 0


def check_fidelity(o, orig_elf, patched_elf, renames):
    """Every function defined in the output must be the patched object's function:
    the same bytes, relocations at the same places and of the same types, pointing
    at the same things -- the same symbol, the same string, or, for a static local
    that is paired with the original object's, that original (`maps:`)."""
    errs = []
    for f in o.symbols:
        if f.type != STT_FUNC or not f.defined():
            continue
        p = patched_elf.func(f.name)
        if p is None:
            errs.append("fidelity: %s is not a function of the patched object" % f.name)
            continue
        if f.size != p.size or func_bytes(o, f) != func_bytes(patched_elf, p):
            errs.append("fidelity: the bytes of %s differ from the patched object's" % f.name)
            continue
        ro, rp = func_relocs(o, f), func_relocs(patched_elf, p)
        if [(a, b) for a, b, _, _ in ro] != [(a, b) for a, b, _, _ in rp]:
            errs.append("fidelity: the relocations of %s differ from the patched object's "
                        "(offsets/types %s vs %s)" % (f.name, [(hex(a), b) for a, b, _, _ in ro],
                                                       [(hex(a), b) for a, b, _, _ in rp]))
            continue
        for (off, _, so, ao), (_, _, sp, ap) in zip(ro, rp):
            bias = string_bias(patched_elf, sp, ap)
            to = reloc_target(o, so, ao, bias)
            tp = reloc_target(patched_elf, sp, ap, bias)
            if to is None or tp is None:
                continue
            def renamed(t):
                if t is not None and t[0] == "toc":
                    return ("toc", renamed(t[1]))
                if t is not None and t[0] == "sym" and t[1] in renames:
                    return ("sym", renames[t[1]], t[2])
                return t
            tp = renamed(tp)
            if to != tp:
                def show(t):
                    if t[0] == "sym":
                        return "%s%+d" % (t[1], t[2])
                    if t[0] == "anon":
                        return "%d bytes of anonymous data at +%d" % (len(t[1]), t[2])
                    if t[0] == "toc":
                        return "the .toc entry for %s" % (show(t[1]) if t[1] else "?")
                    return repr(t[1])
                errs.append("fidelity: %s+%#x refers to %s, the patched object's to %s" % (
                    f.name, off, show(to), show(tp)))
    return errs


def check_output(ex, arch, o, orig_elf, patched_elf=None):
    errs = []
    if patched_elf is not None and ex.get(arch, "fidelity", "yes") != "no":
        renames = dict(split_pairs(ex.get(arch, "maps", "")))
        errs += check_fidelity(o, orig_elf, patched_elf, renames)
    if o.machine != orig_elf.machine or o.e != orig_elf.e:
        errs.append("output machine/byte order %d%s differs from input %d%s" % (
            o.machine, o.e, orig_elf.machine, orig_elf.e))
    if o.type != 1:
        errs.append("output is not ET_REL (e_type %d)" % o.type)
    if ex.get(arch, "functions") is not None:
        want = set(split_list(ex.get(arch, "functions")))
        got = o.defined_functions()
        if want != got:
            missing, extra = sorted(want - got), sorted(got - want)
            errs.append("functions: got {%s}%s%s" % (
                ",".join(sorted(got)),
                "; missing " + ",".join(missing) if missing else "",
                "; unexpected " + ",".join(extra) if extra else ""))
    for g in split_list(ex.get(arch, "undefined", "")):
        if not globs_match(g, o.undefined_symbols()):
            state = "defined" if globs_match(g, o.defined_symbols()) else "absent"
            errs.append("undefined: %s is not UNDEF in the output (%s)" % (g, state))
    for g in split_list(ex.get(arch, "defined", "")):
        if not globs_match(g, o.defined_symbols()):
            state = "UNDEF" if globs_match(g, o.undefined_symbols()) else "absent"
            errs.append("defined: %s is not defined in the output (%s)" % (g, state))
    for g in split_list(ex.get(arch, "absent", "")):
        hit = globs_match(g, o.symbol_names())
        if hit:
            errs.append("absent: output has %s" % ",".join(sorted(hit)))
    for g in split_list(ex.get(arch, "not-undefined", "")):
        hit = globs_match(g, o.undefined_symbols())
        if hit:
            errs.append("not-undefined: output has UNDEF %s" % ",".join(sorted(hit)))
    for g, n in split_pairs(ex.get(arch, "count", "")):
        hit = [s.name for s in o.symbols if s.name and s.type not in (STT_SECTION, STT_FILE)
               and fnmatch.fnmatchcase(s.name, g)]
        if len(hit) != int(n):
            errs.append("count: %d symbols match %s (%s), expected %s" % (
                len(hit), g, ",".join(hit), n))
    names = {s.name for s in o.sections}
    for s in split_list(ex.get(arch, "sections", "")):
        if s not in names:
            errs.append("sections: output has no %s section" % s)
    for s in split_list(ex.get(arch, "no-sections", "")):
        if s in names:
            errs.append("no-sections: output has a %s section" % s)
    for sec, n in split_pairs(ex.get(arch, "entries", "")):
        size = entry_size(ex, arch, sec)
        cnt, total = o.entry_count(sec, size)
        if total % size:
            errs.append("entries: %s is %d bytes, not a multiple of %d" % (sec, total, size))
        elif cnt != int(n):
            errs.append("entries: %s has %d entries, expected %s" % (sec, cnt, n))
    for sec, n in split_pairs(ex.get(arch, "refs", "")):
        want = set(split_list(n))
        got = set()
        for s in o.section_named(sec):
            for _, _, sym, addend in o.relocs.get(s.index, []):
                got.add(o.resolve(sym, addend))
        if not want <= got:
            errs.append("refs: %s relocations point at {%s}, expected {%s} among them" % (
                sec, ",".join(sorted(got)), ",".join(sorted(want))))
    fe = ex.get(arch, "ftrace-entries")
    if fe is not None:
        got = o.ftrace_entries(arch)
        if got != int(fe):
            errs.append("ftrace-entries: %d, expected %s" % (got, fe))
    return errs


VERDICT = {0: "ok", 1: "refused", 3: "nochange"}
STATUSES = {"changed", "new", "unchanged-but-included", "refused"}


def check_json(ex, arch, rc, path, refusals):
    if rc == 2:
        return []
    if not os.path.exists(path):
        return ["--json report not written"]
    try:
        with open(path) as f:
            rep = json.load(f)
    except ValueError as e:
        return ["--json report is not JSON: %s" % e]
    errs = []
    if not isinstance(rep, dict):
        return ["--json report is not an object"]
    if rep.get("arch") != arch:
        errs.append("json: arch %r, expected %r" % (rep.get("arch"), arch))
    if rep.get("verdict") != VERDICT.get(rc):
        errs.append("json: verdict %r, expected %r" % (rep.get("verdict"), VERDICT.get(rc)))
    funcs = rep.get("functions")
    refs = rep.get("refusals")
    if not isinstance(funcs, list) or not isinstance(refs, list):
        return errs + ["json: functions/refusals are not lists"]
    status = {}
    for f in funcs:
        if not isinstance(f, dict) or "name" not in f or f.get("status") not in STATUSES:
            errs.append("json: bad function entry %r" % (f,))
            continue
        status[f["name"]] = f["status"]
    if rc == 0 and ex.get(arch, "functions") is not None:
        for fn in split_list(ex.get(arch, "functions")):
            if ".cold" in fn or fn.startswith(("__pfx_", "__cfi_")):
                continue  # pieces and x86's padding symbols: not reported as functions
            if status.get(fn) in (None, "refused"):
                errs.append("json: function %s has status %r" % (fn, status.get(fn)))
    for k, v in split_pairs(ex.get(arch, "status", "")):
        if status.get(k) != v:
            errs.append("json: status of %s is %r, expected %r" % (k, status.get(k), v))
    targets = ex.get(arch, "patch-targets")
    if targets is not None and rc == 0 and funcs and \
            all(isinstance(f, dict) and "patch_target" in f for f in funcs):
        want = set(split_list(targets))
        have = {f["name"] for f in funcs if f.get("patch_target")}
        if want != have:
            errs.append("json: patch targets {%s}, expected {%s}" % (
                ",".join(sorted(have)), ",".join(sorted(want))))
    got = []
    for r in refs:
        if not isinstance(r, dict) or not {"rule", "name", "reason"} <= set(r):
            errs.append("json: bad refusal entry %r" % (r,))
            continue
        got.append((r["rule"], r["name"]))
    if rc == 1:
        for rule, names in refusals:
            if not any(rule in (r, "*") and n in names for r, n in got):
                errs.append("json: no refusal {rule: %s, name: %s}" % (rule, "|".join(names)))
    elif got:
        errs.append("json: refusals listed although exit is %d: %r" % (rc, got))
    if ex.get(arch, "unknown-sections") is not None:
        want = set(split_list(ex.get(arch, "unknown-sections")))
        have = set(rep.get("unknown_sections", []))
        if want != have:
            errs.append("json: sections lp-build does not know {%s}, expected {%s}" % (
                ",".join(sorted(have)), ",".join(sorted(want))))
    return errs


def run_case(case, arch, args, workroot):
    """Returns (state, message) with state in PASS/FAIL/SKIP."""
    cdir = os.path.join(CASES_DIR, case)
    try:
        ex = Expect(os.path.join(cdir, "expect"))
    except (CaseError, OSError) as e:
        return "FAIL", str(e)
    arches = split_list(ex.generic.get("arches", " ".join(ARCHES)))
    if arch not in arches:
        return None, None
    work = os.path.join(workroot, case, arch)
    log = []
    try:
        if args.objects:
            orig_o, patched_o = prebuilt_objects(args.objects, case, arch, ex)
        else:
            ok, cmd, _ = compiler_for(arch)
            if not ok:
                return "SKIP", "%s not installed" % cmd[0]
            srcdir = os.path.join(CASES_DIR, ex.generic["sources"]) if "sources" in ex.generic else cdir
            extra = shlex.split(ex.get(arch, "cflags", ""))
            orig_o, w1 = compile_source(arch, os.path.join(srcdir, "orig.c"),
                                        os.path.join(work, "orig"), case, extra)
            patched_o, w2 = compile_source(arch, os.path.join(srcdir, "patched.c"),
                                           os.path.join(work, "patched"), case, extra)
            if w1.strip() or w2.strip():
                return "FAIL", "compiler warnings:\n" + w1 + w2
        os.makedirs(work, exist_ok=True)
        orig, patched = Elf(orig_o), Elf(patched_o)
        if orig.machine != ELF_MACHINE[arch]:
            return "FAIL", "compiler produced e_machine %d" % orig.machine
        check_preconditions(ex, arch, orig, patched)
    except (CaseError, ElfError) as e:
        return "FAIL", str(e)
    if args.check_cases:
        return "PASS", None
    if not os.path.exists(args.lp_build):
        return "FAIL", "%s does not exist" % args.lp_build
    out = os.path.join(work, "out.o")
    report = os.path.join(work, "report.json")
    for p in (out, report):
        if os.path.exists(p):
            os.unlink(p)
    argv = [args.lp_build, "diff", orig_o, patched_o, "-o", out, "--json", report] + \
        struct_size_args(ex, arch) + shlex.split(ex.get(arch, "args", ""))
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return "FAIL", "timed out after %ds: %s" % (args.timeout, " ".join(argv))
    if args.verbose:
        log.append("$ " + " ".join(shlex.quote(a) for a in argv))
        log.append("exit %d" % p.returncode)
        if p.stderr.strip():
            log.append(p.stderr.rstrip())
    try:
        errs = check_run(ex, arch, p.returncode, p.stderr, out, report, orig, patched)
    except CaseError as e:
        errs = [str(e)]
    if errs:
        return "FAIL", "; ".join(errs) + ("\n" + "\n".join(log) if log else "")
    return "PASS", ("\n".join(log) if log else None)


def prebuilt_objects(root, case, arch, ex):
    """The objects of a case built elsewhere (tests/kernel/objects.sh: a real kernel tree,
    kbuild's flags): ROOT/CASE/ARCH/{orig.o,patched.o}, and `struct-size`, the entry sizes
    pahole read from the objects' DWARF, used where the expect file names none. On real
    objects every allocated section must be known to lp-build unless the expect file
    lists it under unknown-sections."""
    d = os.path.join(root, case, arch)
    orig_o, patched_o = os.path.join(d, "orig.o"), os.path.join(d, "patched.o")
    for o in (orig_o, patched_o):
        if not os.path.exists(o):
            raise CaseError("%s was not built" % o)
    sizes = os.path.join(d, "struct-size")
    if os.path.exists(sizes) and ex.get(arch, "struct-size") is None:
        with open(sizes) as f:
            ex.per_arch.setdefault(arch, {})["struct-size"] = f.read().strip()
    ex.generic.setdefault("unknown-sections", "-")
    return orig_o, patched_o


def list_cases():
    if not os.path.isdir(CASES_DIR):
        return []
    return sorted(d for d in os.listdir(CASES_DIR)
                  if os.path.isfile(os.path.join(CASES_DIR, d, "expect")))


# ------------------------------------------------------------------- malformed


def malformed_inputs(work):
    """Yields (name, orig, patched, bad_paths, note) for each malformed-input check;
    bad_paths are the file names of which the error line may name one."""
    gcc_ok, gcc, gflags = compiler_for("x86_64")
    if not gcc_ok:
        yield ("all", None, None, None, "gcc not installed")
        return
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "m.c")
    with open(src, "w") as f:
        f.write('#include <lpb-kernel.h>\n'
                'int lpb_m_counter;\n'
                'int lpb_m(int x) { lpb_m_counter++; pr_info("m %d\\n", x); return x + 1; }\n'
                'int lpb_n(int x) { return lpb_m(x) * 2; }\n')
    def cc(argv, out):
        p = subprocess.run(argv + ["-I", INCLUDE_DIR, "-c", "m.c", "-o", out], cwd=work,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise CaseError("compiling m.c: %s" % p.stderr)
        return os.path.join(work, out)
    good = cc(gcc + COMMON_CFLAGS + gflags, "good.o")
    # the same file with lpb_m() changed, so that its bytes must be copied out
    os.rename(src, src + ".orig")
    with open(src + ".orig") as f, open(src, "w") as g:
        g.write(f.read().replace("return x + 1;", "return x + 2;"))
    changed = cc(gcc + COMMON_CFLAGS + gflags, "changed.o")
    os.replace(src + ".orig", src)
    with open(changed, "rb") as f:
        cdata = bytearray(f.read())
    celf = Elf(changed)
    with open(good, "rb") as f:
        data = bytearray(f.read())
    elf = Elf(good)
    e = elf.e

    def write(name, blob):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(blob)
        return path

    def patched_copy(name, fn):
        blob = bytearray(data)
        fn(blob)
        return write(name, blob)

    # 1. truncated in the middle of the section contents, and inside the ELF header
    t1 = write("truncated.o", data[: len(data) // 3])
    yield ("truncated", t1, good, [t1], None)
    t2 = write("truncated-header.o", data[:20])
    yield ("truncated-header", good, t2, [t2], None)
    # 2. a 32-bit object
    m32 = None
    try:
        m32 = cc(gcc + ["-m32", "-O2", "-nostdinc", "-ffreestanding", "-fno-PIE"], "m32.o")
    except CaseError:
        m32 = patched_copy("m32.o", lambda b: b.__setitem__(4, 1))
    yield ("elf32", m32, good, [m32], None)
    # 3. mismatched architectures
    a_ok, acc, aflags = compiler_for("aarch64")
    if a_ok:
        other = cc(acc + COMMON_CFLAGS + aflags, "aarch64.o")
    else:
        other = patched_copy("aarch64.o", lambda b: struct.pack_into(e + "H", b, 18, 183))
    yield ("arch-mismatch", good, other, [good, other], None)
    # 4. corrupt section header table
    shoff = struct.unpack_from(e + "Q", data, 40)[0]
    shnum = struct.unpack_from(e + "H", data, 60)[0]
    yield ("shoff-out-of-range",
           patched_copy("shoff.o", lambda b: struct.pack_into(e + "Q", b, 40, len(data) + 4096)),
           good, None, None)
    yield ("shnum-too-large",
           patched_copy("shnum.o", lambda b: struct.pack_into(e + "H", b, 60, 0xFEFF)),
           good, None, None)
    yield ("shstrndx-out-of-range",
           patched_copy("shstrndx.o", lambda b: struct.pack_into(e + "H", b, 62, shnum + 5)),
           good, None, None)
    text = [s for s in elf.sections if s.name == ".text.lpb_m"][0]
    yield ("section-data-out-of-range",
           patched_copy("secdata.o", lambda b: struct.pack_into(
               e + "Q", b, shoff + text.index * 64 + 24, len(data) + 100)),
           good, None, None)
    yield ("section-name-out-of-range",
           patched_copy("secname.o", lambda b: struct.pack_into(
               e + "I", b, shoff + text.index * 64, 0x7FFFFFF0)),
           good, None, None)
    symtab = elf.symtab
    yield ("symtab-link-out-of-range",
           patched_copy("symlink.o", lambda b: struct.pack_into(
               e + "I", b, shoff + symtab.index * 64 + 40, shnum + 7)),
           good, None, None)
    # 5. corrupt symbol table
    fsym = [s for s in elf.symbols if s.name == "lpb_m"][0]
    soff = symtab.offset + fsym.index * 24
    yield ("symbol-name-out-of-range",
           patched_copy("symname.o", lambda b: struct.pack_into(e + "I", b, soff, 0x7FFFFF00)),
           good, None, None)
    yield ("symbol-shndx-out-of-range",
           patched_copy("symshndx.o", lambda b: struct.pack_into(e + "H", b, soff + 6, shnum + 3)),
           good, None, None)
    yield ("symtab-size-not-multiple",
           patched_copy("symsize.o", lambda b: struct.pack_into(
               e + "Q", b, shoff + symtab.index * 64 + 32, symtab.size - 5)),
           good, None, None)
    # 6. relocations
    rela = [s for s in elf.sections if s.type == SHT_RELA and s.info == text.index][0]
    yield ("reloc-offset-out-of-range",
           patched_copy("reloff.o", lambda b: struct.pack_into(e + "Q", b, rela.offset, text.size + 64)),
           good, None, None)
    yield ("reloc-symbol-out-of-range",
           patched_copy("relsym.o", lambda b: struct.pack_into(
               e + "Q", b, rela.offset + 8, ((len(elf.symbols) + 50) << 32) | 4)),
           good, None, None)
    yield ("reloc-target-section-out-of-range",
           patched_copy("relinfo.o", lambda b: struct.pack_into(
               e + "I", b, shoff + rela.index * 64 + 44, shnum + 9)),
           good, None, None)
    # 6b. more ways to lie about sizes and indices
    yield ("section-size-overflow",
           patched_copy("secwrap.o", lambda b: (
               struct.pack_into(e + "Q", b, shoff + text.index * 64 + 24, 0xFFFFFFFFFFFFFFF0),
               struct.pack_into(e + "Q", b, shoff + text.index * 64 + 32, 0x20))),
           good, None, None)
    yield ("symbol-extent-out-of-range",
           patched_copy("symext.o", lambda b: struct.pack_into(e + "Q", b, soff + 16, 0x10000)),
           good, None, None)
    yield ("symbol-value-out-of-range",
           patched_copy("symval.o", lambda b: struct.pack_into(e + "Q", b, soff + 8, 0x7FFFFFFF)),
           good, None, None)
    strtab = elf.sections[symtab.link]
    yield ("strtab-not-terminated",
           patched_copy("strtab.o", lambda b: b.__setitem__(strtab.offset + strtab.size - 1, 0x41)),
           good, None, None)
    yield ("rela-entsize-wrong",
           patched_copy("relaent.o", lambda b: (
               struct.pack_into(e + "Q", b, shoff + rela.index * 64 + 56, 7),
               struct.pack_into(e + "Q", b, shoff + rela.index * 64 + 32, rela.size - 3))),
           good, None, None)
    yield ("rela-link-not-symtab",
           patched_copy("relalink.o", lambda b: struct.pack_into(
               e + "I", b, shoff + rela.index * 64 + 40, text.index)),
           good, None, None)
    yield ("no-sections",
           patched_copy("nosec.o", lambda b: (struct.pack_into(e + "H", b, 60, 0),
                                              struct.pack_into(e + "H", b, 62, 0))),
           good, None, None)
    yield ("shentsize-wrong",
           patched_copy("shent.o", lambda b: struct.pack_into(e + "H", b, 58, 40)), good, None, None)
    yield ("xindex-without-table",
           patched_copy("xindex.o", lambda b: struct.pack_into(e + "H", b, soff + 6, SHN_XINDEX)),
           good, None, None)
    # 6c. corrupt function extents in a PATCHED object whose lpb_m() changed
    csym = [x for x in celf.symbols if x.name == "lpb_m"][0]
    csoff = celf.symtab.offset + csym.index * 24

    def changed_copy(name, fn):
        blob = bytearray(cdata)
        fn(blob)
        return write(name, blob)
    p1 = changed_copy("chsymext.o", lambda b: struct.pack_into(e + "Q", b, csoff + 16, 0x100000))
    yield ("changed-symbol-extent-out-of-range", good, p1, [p1], None)
    p2 = changed_copy("chsymval.o", lambda b: struct.pack_into(e + "Q", b, csoff + 8, 0x7FFFFFF0))
    yield ("changed-symbol-value-out-of-range", good, p2, [p2], None)
    crela = [x for x in celf.sections if x.type == SHT_RELA and
             celf.sections[x.info].name == ".text.lpb_m"][0]
    # a relocation addend far past the end of the string section it points into
    str_idx = None
    for i in range(crela.size // 24):
        off, info, addend = struct.unpack_from(e + "QQq", cdata, crela.offset + i * 24)
        target = celf.symbols[info >> 32]
        if target.type == STT_SECTION and ".str" in celf.sections[target.shndx].name:
            str_idx = i
    if str_idx is not None:
        p3 = changed_copy("chaddend.o", lambda b: struct.pack_into(
            e + "q", b, crela.offset + str_idx * 24 + 16, 0x40000000))
        yield ("changed-reloc-addend-out-of-range", good, p3, [p3], None)
    # 7. not an object
    yield ("not-elf", write("not-elf.o", b"this is not an ELF object\n" * 10), good, None, None)
    yield ("empty", write("empty.o", b""), good, None, None)
    yield ("nonexistent", os.path.join(work, "does-not-exist.o"), good, None, None)
    yield ("executable-type",
           patched_copy("exec.o", lambda b: struct.pack_into(e + "H", b, 16, 2)), good, None, None)
    yield ("directory", work, good, None, None)
    # the same corruption in the PATCHED position
    yield ("patched-truncated", good, t1, [t1], None)


def run_malformed(args):
    work = tempfile.mkdtemp(prefix="lpb-malformed-")
    passed = failed = skipped = 0
    try:
        try:
            items = list(malformed_inputs(work))
        except (CaseError, ElfError) as e:
            print("FAIL malformed/setup: %s" % e)
            print("0 passed, 1 failed")
            return 1
        for name, orig, patched, bad, note in items:
            label = "malformed/" + name
            if note:
                print("SKIP %s: %s" % (label, note))
                skipped += 1
                continue
            if bad is None:
                bad = [orig]
            out = os.path.join(work, name + ".out.o")
            argv = [args.lp_build, "diff", orig, patched, "-o", out]
            if not os.path.exists(args.lp_build):
                print("FAIL %s: %s does not exist" % (label, args.lp_build))
                failed += 1
                continue
            try:
                p = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print("FAIL %s: timed out" % label)
                failed += 1
                continue
            errs = []
            lines = [l for l in p.stderr.splitlines() if l.strip()]
            if p.returncode < 0 or p.returncode > 128:
                errs.append("crashed (status %d)" % p.returncode)
            elif any(m in p.stderr for m in SANITIZER_MARKERS):
                errs.append("sanitizer report")
            else:
                if p.returncode != 2:
                    errs.append("exit %d, expected 2" % p.returncode)
                if len(lines) != 1:
                    errs.append("%d stderr lines, expected 1" % len(lines))
                elif not any(lines[0].startswith("lp-build: %s: " % b) and
                             len(lines[0]) > len("lp-build: %s: " % b) for b in bad):
                    errs.append("stderr line does not read `lp-build: %s: problem`" % bad[0])
            if os.path.exists(out):
                errs.append("output object written")
            if errs:
                detail = ["  $ " + " ".join(argv)] + ["  " + l for l in p.stderr.splitlines()[:20]]
                print("FAIL %s: %s\n%s" % (label, "; ".join(errs), "\n".join(detail)))
                failed += 1
            else:
                print("PASS %s" % label + ("\n  " + lines[0] if args.verbose else ""))
                passed += 1
        # usage errors: exit 2 and no crash; the message format is the CLI library's
        for name, argv in (("usage-no-output", [args.lp_build, "diff", os.path.join(work, "good.o"),
                                                os.path.join(work, "good.o")]),
                           ("usage-bad-struct-size", [args.lp_build, "diff",
                                                      os.path.join(work, "good.o"),
                                                      os.path.join(work, "good.o"), "-o",
                                                      os.path.join(work, "u.o"),
                                                      "--struct-size", "bug=twelve"]),
                           ("usage-unknown-struct-kind", [args.lp_build, "diff",
                                                          os.path.join(work, "good.o"),
                                                          os.path.join(work, "good.o"), "-o",
                                                          os.path.join(work, "u.o"),
                                                          "--struct-size", "nosuchkind=12"])):
            label = "malformed/" + name
            if not os.path.exists(args.lp_build) or not os.path.exists(argv[2]):
                print("FAIL %s: %s missing" % (label, args.lp_build))
                failed += 1
                continue
            p = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout)
            errs = []
            if p.returncode != 2:
                errs.append("exit %d, expected 2" % p.returncode)
            if any(m in p.stderr for m in SANITIZER_MARKERS):
                errs.append("sanitizer report")
            if os.path.exists(os.path.join(work, "u.o")):
                errs.append("output object written")
            if errs:
                print("FAIL %s: %s\n%s" % (label, "; ".join(errs), p.stderr[:2000]))
                failed += 1
            else:
                print("PASS %s" % label)
                passed += 1
    finally:
        if args.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


# ------------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lp-build", default=os.path.join(ROOT, "build", "lp-build"),
                    help="the lp-build binary (default: build/lp-build)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only these cases (comma-separated, repeatable)")
    ap.add_argument("--arch", action="append", default=[], help="run only these architectures")
    ap.add_argument("--cases", help="the case directory (default: testdata/diff)")
    ap.add_argument("--objects", help="take each case's objects from OBJECTS/CASE/ARCH/ instead of "
                    "compiling orig.c and patched.c (tests/kernel/objects.sh)")
    ap.add_argument("--malformed", action="store_true", help="run the malformed-input checks")
    ap.add_argument("--check-cases", action="store_true",
                    help="only compile the cases and check their preconditions")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.lp_build = os.path.abspath(args.lp_build)

    if args.malformed:
        return run_malformed(args)
    if args.cases:
        global CASES_DIR
        CASES_DIR = os.path.abspath(args.cases)

    cases = list_cases()
    only = [c for o in args.only for c in o.split(",") if c]
    for c in only:
        if c not in cases:
            print("FAIL %s: no such case in %s" % (c, CASES_DIR))
            print("0 passed, 1 failed")
            return 1
    if only:
        cases = [c for c in cases if c in only]
    arches = [a for o in args.arch for a in o.split(",") if a] or ARCHES
    if not cases:
        print("FAIL cases: none found in %s" % CASES_DIR)
        print("0 passed, 1 failed")
        return 1

    work = tempfile.mkdtemp(prefix="lpb-diff-cases-")
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    try:
        jobs = [(c, a) for c in cases for a in arches]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_case, c, a, args, work) for c, a in jobs]
            for (c, a), fut in zip(jobs, futures):
                try:
                    state, msg = fut.result()
                except Exception as e:  # a bug in this script must not hide other results
                    state, msg = "FAIL", "driver error: %r" % (e,)
                if state is None:
                    continue
                counts[state] += 1
                line = "%s %s/%s" % (state, c, a)
                if msg and (state != "PASS" or args.verbose):
                    line += (": " if state != "PASS" else "\n") + msg
                print(line, flush=True)
    finally:
        if args.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    tail = ", %d skipped" % counts["SKIP"] if counts["SKIP"] else ""
    print("%d passed, %d failed%s" % (counts["PASS"], counts["FAIL"], tail))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
