// Deciding what changed.
//
// Two versions of a function or object are the same when their bytes are the same and
// every relocation refers to the same thing: the paired symbol, the same string, the
// same constant. Raw addresses and addends of references into string tables mean nothing,
// since any added string moves the others. A function whose only differences are
// immediates loading a __LINE__ for a WARN/might_sleep/printk-style call did not change:
// the fix merely moved it down the file.
#include <elf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>

#include "differ/DifferState.h"

namespace lpb::differ {

namespace {

// Functions called with a source line number: as a parameter of their own (__might_sleep)
// or as a printk-style argument (WARN_ONCE(..., "%d", __LINE__), ASSERT_RTNL). For the
// printk family an immediate could also be a real value; see docs/ARCHITECTURE.md.
// (XFS passes __FILE__, __LINE__ to its shutdown, error-report and assertion helpers.)
constexpr std::array<std::string_view, 20> kLineTakers{
    "__warn_printk", "warn_slowpath_fmt", "warn_slowpath_null", "__might_sleep", "___might_sleep",
    "__might_resched", "__might_fault", "printk", "_printk", "lockdep_rcu_suspicious",
    "__btrfs_abort_transaction", "__btrfs_handle_fs_error", "__btrfs_panic", "__ww_mutex_check_kill",
    "xfs_do_force_shutdown", "xfs_error_report", "xfs_corruption_error", "xfs_buf_corruption_error", "assfail",
    "asswarn"};

bool takesLineNumber(std::string_view name) {
  return std::find(kLineTakers.begin(), kLineTakers.end(), name) != kLineTakers.end();
}

// A byte range of a section: a symbol's, or a whole section's.
struct Range {
  const elf::Section* sec;
  uint64_t begin, size;
};

std::span<const elf::Reloc> relocsIn(const Range& r) {
  auto& v = r.sec->relocs;
  auto lo = std::lower_bound(v.begin(), v.end(), r.begin, [](const elf::Reloc& x, uint64_t off) { return x.offset < off; });
  auto hi = std::lower_bound(lo, v.end(), r.begin + r.size, [](const elf::Reloc& x, uint64_t off) { return x.offset < off; });
  return std::span<const elf::Reloc>(v.data() + (lo - v.begin()), static_cast<size_t>(hi - lo));
}

// Decides, for every function, object and anonymous section, whether it is the same,
// changed or new, filling a Comparison.
class Comparer {
 public:
  Comparer(const ObjectModel& orig, const ObjectModel& patched, const Correlation& corr, const arch::Target& target)
      : orig(orig), patched(patched), corr(corr), target(target) {}
  Comparison run();

 private:
  bool sameTarget(const elf::Section& oSec, const elf::Reloc& oRel, const elf::Section& pSec, const elf::Reloc& pRel,
                  int depth = 0);
  void compareAnonymousSections();
  void compareSymbols();
  bool sameRange(const Range& o, const Range& p, bool& onlyBytesDiffer, std::string& why);
  bool onlyLineNumbersDiffer(const Range& o, const Range& p) const;

  const ObjectModel& orig;
  const ObjectModel& patched;
  const Correlation& corr;
  const arch::Target& target;
  Comparison c;
};

}  // namespace

bool Comparer::sameTarget(const elf::Section& oSec, const elf::Reloc& oRel, const elf::Section& pSec,
                        const elf::Reloc& pRel, int depth) {
  if (oRel.type != pRel.type) return false;
  RelocTarget to = orig.resolve(oSec, oRel), tp = patched.resolve(pSec, pRel);
  if (to.anonymous() != tp.anonymous()) return false;
  if (to.anonymous()) {
    // Anonymous data: strings by content, constants by value, other sections by position.
    const elf::Section& os = orig.sec(to.section);
    const elf::Section& ps = patched.sec(tp.section);
    bool twins = corr.twinOfSec[ps.index] == os.index;
    if (!twins && !(os.isMergeStrings() && ps.isMergeStrings())) return false;
    // The same place in identical tables: the same thing, wherever exactly it points.
    if (twins && to.addend == tp.addend && c.secStatus[ps.index] == Status::Same &&
        orig.sections[os.index].kind != SectionKind::CodeIsland)
      return true;
    to.offset = orig.exactOffset(oSec, oRel);
    tp.offset = patched.exactOffset(pSec, pRel);
    if (to.addend - to.offset != tp.addend - tp.offset) return false;  // same PC bias
    if (os.isMergeStrings())
      return ps.isMergeStrings() && orig.stringAt(os.index, to.offset) == patched.stringAt(ps.index, tp.offset);
    if ((os.flags & SHF_MERGE) && os.entsize) {
      if (to.offset < 0 || tp.offset < 0 || uint64_t(to.offset) + os.entsize > os.data.size() ||
          uint64_t(tp.offset) + ps.entsize > ps.data.size() || os.entsize != ps.entsize)
        return false;
      return std::memcmp(os.data.data() + to.offset, ps.data.data() + tp.offset, os.entsize) == 0;
    }
    if (orig.sections[os.index].kind == SectionKind::CodeIsland) {
      // The piece of alternative/fixup code used here: same bytes, same references.
      auto [ob, oe] = orig.islandPiece(os.index, to.offset);
      auto [pb, pe] = patched.islandPiece(ps.index, tp.offset);
      if (oe - ob != pe - pb || ob < 0 || pb < 0 || uint64_t(oe) > os.data.size() || uint64_t(pe) > ps.data.size())
        return false;  // (a damaged relocation can point a piece past its section)
      if (!std::equal(os.data.begin() + ob, os.data.begin() + oe, ps.data.begin() + pb)) return false;
      if (depth >= 2) return true;
      std::vector<const elf::Reloc*> ro, rp;
      for (const auto& r : os.relocs)
        if (int64_t(r.offset) >= ob && int64_t(r.offset) < oe) ro.push_back(&r);
      for (const auto& r : ps.relocs)
        if (int64_t(r.offset) >= pb && int64_t(r.offset) < pe) rp.push_back(&r);
      if (ro.size() != rp.size()) return false;
      for (size_t i = 0; i < ro.size(); ++i)
        if (int64_t(ro[i]->offset) - ob != int64_t(rp[i]->offset) - pb || !sameTarget(os, *ro[i], ps, *rp[i], depth + 1))
          return false;
      return true;
    }
    // A table of addresses (.toc): compare the entry referred to.
    const elf::Reloc* oe = nullptr;
    const elf::Reloc* pe = nullptr;
    for (const auto& r : os.relocs)
      if (int64_t(r.offset) == to.offset) oe = &r;
    for (const auto& r : ps.relocs)
      if (int64_t(r.offset) == tp.offset) pe = &r;
    if (oe && pe && depth < 2) return sameTarget(os, *oe, ps, *pe, depth + 1);
    return to.offset == tp.offset && c.secStatus[ps.index] == Status::Same;
  }
  if (to.addend != tp.addend) return false;
  if (corr.twinOfSym[tp.sym] == to.sym) return true;
  const SymbolInfo& io = orig.symbols[to.sym];
  const SymbolInfo& ip = patched.symbols[tp.sym];
  // Bookkeeping statics are renumbered per build and never paired: the same kind counts.
  // Those carrying values the code depends on (a CSWTCH lookup table, a ratelimit state)
  // must also hold the same bytes; descriptors hold line numbers, which may move.
  if (io.isSpecialStatic && ip.isSpecialStatic && io.baseName == ip.baseName) {
    if (io.baseName != "CSWTCH" && io.baseName != "_rs") return true;
    const elf::Symbol &a = orig.sym(to.sym), &b = patched.sym(tp.sym);
    if (a.size != b.size) return false;
    const elf::Section &sa = orig.sec(a.shndx), &sb = patched.sec(b.shndx);
    if ((sa.type == SHT_NOBITS) != (sb.type == SHT_NOBITS)) return false;
    if (sa.type == SHT_NOBITS) return true;
    return std::equal(sa.data.begin() + a.value, sa.data.begin() + a.value + a.size, sb.data.begin() + b.value);
  }
  return false;
}

// Decides, for every function, object and anonymous section, whether it is the same,
// changed or new.
Comparison Comparer::run() {
  c.symStatus.assign(patched.elf.symbols.size(), Status::New);
  c.changeReason.assign(patched.elf.symbols.size(), {});
  c.secStatus.assign(patched.elf.sections.size(), Status::New);
  compareAnonymousSections();
  compareSymbols();
  // A prefix changes with its function; sections holding one symbol share its status.
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p)
    if (patched.symbols[p].isPrefix && corr.twinOfSym[p]) c.symStatus[p] = c.symStatus[patched.symbols[p].prefixOf];
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (uint32_t prim = patched.sections[s].primary) c.secStatus[s] = c.symStatus[prim];
  return std::move(c);
}

// Compares two ranges; on a difference, says what differs first (for the report).
// `onlyBytesDiffer`: the relocations agree, the bytes do not.
bool Comparer::sameRange(const Range& o, const Range& p, bool& onlyBytesDiffer, std::string& why) {
  onlyBytesDiffer = false;
  if (o.size != p.size) {
    why = fmt::format("size {} -> {}", o.size, p.size);
    return false;
  }
  auto ro = relocsIn(o), rp = relocsIn(p);
  if (ro.size() != rp.size()) {
    why = fmt::format("{} -> {} relocations", ro.size(), rp.size());
    return false;
  }
  for (size_t i = 0; i < ro.size(); ++i)
    if (ro[i].offset - o.begin != rp[i].offset - p.begin || !sameTarget(*o.sec, ro[i], *p.sec, rp[i])) {
      RelocTarget a = orig.resolve(*o.sec, ro[i]), b = patched.resolve(*p.sec, rp[i]);
      why = fmt::format("reference at +0x{:x}: {}{:+#x} -> {}{:+#x}", rp[i].offset - p.begin,
                        orig.sym(a.sym).name, a.addend, patched.sym(b.sym).name, b.addend);
      return false;
    }
  if (o.sec->type == SHT_NOBITS || p.sec->type == SHT_NOBITS) {
    if (o.sec->type != p.sec->type) why = "moved between initialized and zero-initialized data";
    return o.sec->type == p.sec->type;
  }
  if (o.size == 0) return true;
  for (const auto& [r, side] : {std::pair{&o, &orig}, std::pair{&p, &patched}})
    if (r->begin + r->size > r->sec->data.size())  // a damaged symbol size
      throw elf::InputError(side->elf.path, fmt::format("corrupt object: a symbol's range runs past the end of {}",
                                                        r->sec->name));
  if (std::memcmp(o.sec->data.data() + o.begin, p.sec->data.data() + p.begin, o.size) == 0) return true;
  for (uint64_t i = 0; i < o.size; ++i)
    if (o.sec->data[o.begin + i] != p.sec->data[p.begin + i]) {
      why = fmt::format("bytes differ from +0x{:x}", i);
      break;
    }
  onlyBytesDiffer = true;
  return false;
}

// Does the code differ only in line-number immediates, each feeding a line-taking call?
bool Comparer::onlyLineNumbersDiffer(const Range& o, const Range& p) const {
  const auto* io = orig.decoded(*o.sec);
  const auto* ip = patched.decoded(*p.sec);
  if (!io || !ip || io->size() != ip->size()) return false;
  bool any = false;
  auto rp = relocsIn(p);
  for (size_t i = 0; i < io->size(); ++i) {
    const arch::Insn a = (*io)[i], b = (*ip)[i];
    if (a.offset != b.offset || a.length != b.length) return false;
    if (a.offset < o.begin || a.offset >= o.begin + o.size) continue;
    auto ba = o.sec->data.subspan(a.offset, a.length);
    auto bb = p.sec->data.subspan(b.offset, b.length);
    if (std::equal(ba.begin(), ba.end(), bb.begin())) continue;
    if (!target.isLineNumberLoadPair(ba, bb, orig.elf.byteOrder)) return false;
    // The next call-like reference after it must be to a line-taking function.
    bool found = false;
    for (const auto& r : rp) {
      if (r.offset < b.offset + b.length) continue;
      RelocTarget t = patched.resolve(*p.sec, r);
      const elf::Symbol& s = patched.sym(t.sym);
      const SymbolInfo& si = patched.symbols[t.sym];
      if (t.anonymous() || si.isSpecialStatic || si.isObject) continue;  // strings, __warned, data
      found = takesLineNumber(s.name);
      break;
    }
    if (!found) return false;
    any = true;
  }
  return any;
}

// Anonymous sections (string tables, .toc, .rodata without symbols) compare whole, first:
// references into them are judged by their status. Those without relocations (strings)
// go first, since a table's entries are judged by what they point at.
void Comparer::compareAnonymousSections() {
for (int pass = 0; pass < 2; ++pass)
  for (uint32_t p = 1; p < patched.elf.sections.size(); ++p) {
    if (patched.sections[p].kind == SectionKind::Table || patched.sections[p].primary) continue;
    uint32_t o = corr.twinOfSec[p];
    const elf::Section& ps = patched.sec(p);
    if (!o || (pass == 0) != ps.relocs.empty()) continue;
    const elf::Section& os = orig.sec(o);
    bool same = os.size == ps.size && os.type == ps.type && os.relocs.size() == ps.relocs.size() &&
                (os.type == SHT_NOBITS || std::memcmp(os.data.data(), ps.data.data(), os.data.size()) == 0);
    for (size_t i = 0; same && i < os.relocs.size(); ++i)
      same = os.relocs[i].offset == ps.relocs[i].offset && sameTarget(os, os.relocs[i], ps, ps.relocs[i], 1);
    c.secStatus[p] = same ? Status::Same : Status::Changed;
  }

}

// Functions and objects: a symbol that is the only thing in its section compares with the
// whole section, padding and prefix included; otherwise just its own bytes.
void Comparer::compareSymbols() {
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    const elf::Symbol& ps = patched.sym(p);
    if (!(info.isFunction || info.isObject) || !ps.isDefined()) continue;
    uint32_t o = corr.twinOfSym[p];
    if (!o || !orig.sym(o).isDefined()) continue;  // New
    const elf::Symbol& os = orig.sym(o);
    const elf::Section& pSec = patched.sec(ps.shndx);
    const elf::Section& oSec = orig.sec(os.shndx);
    bool whole = patched.sections[ps.shndx].primary == (info.isPrefix ? info.prefixOf : p) &&
                 orig.sections[os.shndx].primary == (info.isPrefix ? orig.symbols[o].prefixOf : o);
    Range ro = whole ? Range{&oSec, 0, oSec.size} : Range{&oSec, os.value, os.size};
    Range rp = whole ? Range{&pSec, 0, pSec.size} : Range{&pSec, ps.value, ps.size};
    bool onlyBytes = false;
    if (sameRange(ro, rp, onlyBytes, c.changeReason[p]))
      c.symStatus[p] = Status::Same;
    else if (onlyBytes && info.isFunction && onlyLineNumbersDiffer(ro, rp))
      c.symStatus[p] = Status::Same;
    else
      c.symStatus[p] = Status::Changed;
  }
}

Comparison compare(const ObjectModel& orig, const ObjectModel& patched, const Correlation& correlation,
                   const arch::Target& target) {
  return Comparer(orig, patched, correlation, target).run();
}

}  // namespace lpb::differ
