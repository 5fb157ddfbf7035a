// Choosing what the patch object contains.
//
// The seeds are the changed and new functions. A function travels with its family: the
// .cold and .part pieces the compiler split off it and its __pfx_ padding. Everything they
// reference is then either included (new functions and data, strings, read-only constants
// and other anonymous pieces, the special statics of included code) or stays a reference
// to the running kernel. Special sections are filtered entry by entry: an entry stays when
// it describes included code, and what a kept entry references joins the closure, until
// nothing more is added.
#include <elf.h>

#include <algorithm>
#include <fmt/format.h>

#include "differ/DifferState.h"

namespace lpb::differ {

namespace {

// Grows an Inclusion from the seeds to its closure (include() below).
class Includer : StageInputs {
 public:
  explicit Includer(const StageInputs& in) : StageInputs(in) {}
  Inclusion run();

 private:
  void seed();
  bool scanReferences(std::vector<bool>& scanned);
  void followReference(const elf::Section& sec, const elf::Reloc& r, std::vector<bool>& scanned);
  bool filterSpecialSectionsAgain(std::vector<bool>& scanned);
  void includeSymbol(uint32_t sym, const std::string& why);
  void includeSection(uint32_t sec) { inc.includedSec[sec] = true; }
  void filterSpecialSections();
  void filterInLockstep(const elf::Section& sec);
  bool keepAddressTableEntry(uint32_t sec, int64_t offset);
  void markPatchTargets();
  bool isPatchTarget(uint32_t sym) const;
  unsigned entrySize(const arch::SpecialSection& s) const;
  unsigned checkedEntrySize(const elf::Section& sec, const arch::SpecialSection& s);

  Inclusion inc;
};

}  // namespace

unsigned Includer::entrySize(const arch::SpecialSection& s) const {
  if (s.kind != arch::EntryKind::None) {
    auto it = opts.structSizes.find(s.kind);
    if (it != opts.structSizes.end()) return it->second;
  }
  return s.kind == arch::EntryKind::None ? s.entrySize : target.defaultEntrySize(s.kind);
}

namespace {

// Does the relocation pattern fit entries of n bytes? Every entry's relocations sit at the
// same places (fields), no field twice; most entries fill every field (an alternative with
// an empty replacement has no relocation for it), at least `minFull` of them.
bool relocPatternFits(const elf::Section& sec, uint64_t n, double minFull) {
  if (n == 0 || sec.relocs.empty()) return false;
  std::set<uint64_t> fields;
  for (const auto& r : sec.relocs) fields.insert(r.offset % n);
  uint64_t entries = (sec.size + n - 1) / n, full = 0;
  size_t i = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    std::set<uint64_t> seen;
    for (; i < sec.relocs.size() && sec.relocs[i].offset < (e + 1) * n; ++i) {
      // Two relocations at one offset compute one field together (LoongArch's and RISC-V's
      // ADD64/SUB64 pairs for `key - &entry`).
      if (i > 0 && sec.relocs[i].offset == sec.relocs[i - 1].offset) continue;
      if (!seen.insert(sec.relocs[i].offset % n).second) return false;
    }
    full += seen.size() == fields.size();
  }
  // A last entry cut short (tail padding not emitted) must still hold all its fields.
  if (uint64_t tail = sec.size % n; tail && tail <= *fields.rbegin()) return false;
  return double(full) >= minFull * double(entries);
}

}  // namespace

// The entry size of a special section: the given or default struct size when the
// relocations agree with it, else the size they show (old kernels and mixed corpora
// disagree with a single table of sizes); an error when neither fits.
unsigned Includer::checkedEntrySize(const elf::Section& sec, const arch::SpecialSection& sp) {
  unsigned n = entrySize(sp);
  if (sec.relocs.empty() || relocPatternFits(sec, n, 0.5)) {
    if (n == 0) throw elf::InputError(patched.elf.path, fmt::format("no entry size known for {}; pass --struct-size {}=BYTES",
                                                                     sec.name, arch::entryKindName(sp.kind)));
    return n;
  }
  for (unsigned guess = 4; guess <= 64; guess += 2)
    if (relocPatternFits(sec, guess, 0.9)) {
      inc.warnings.push_back(fmt::format("{}: {} entries are {} bytes, not {} (--struct-size {}); using {}", patched.elf.path,
                                     sec.name, guess, n, arch::entryKindName(sp.kind), guess));
      return guess;
    }
  throw elf::InputError(patched.elf.path,
                        fmt::format("section {} does not divide into {}-byte entries; pass --struct-size {}=BYTES for "
                                    "this kernel",
                                    sec.name, n, arch::entryKindName(sp.kind)));
}

namespace {

// The entry of `v` (sorted, disjoint) holding `offset`, or v.size().
size_t entryIndex(const std::vector<SpecialEntry>& v, uint64_t offset) {
  auto it = std::upper_bound(v.begin(), v.end(), offset, [](uint64_t off, const SpecialEntry& e) { return off < e.end; });
  return it != v.end() && offset >= it->begin ? size_t(it - v.begin()) : v.size();
}

}  // namespace

const SpecialEntry* Inclusion::entryAt(uint32_t s, uint64_t offset) const {
  const auto& v = specialEntries[s];
  size_t i = entryIndex(v, offset);
  return i < v.size() ? &v[i] : nullptr;
}

SpecialEntry* Inclusion::entryAt(uint32_t s, uint64_t offset) {
  auto& v = specialEntries[s];
  size_t i = entryIndex(v, offset);
  return i < v.size() ? &v[i] : nullptr;
}

void Includer::includeSymbol(uint32_t sym, const std::string& why) {
  if (inc.includedSym[sym]) return;
  inc.includedSym[sym] = true;
  if (inc.includeReason[sym].empty()) inc.includeReason[sym] = why;
  const elf::Symbol& s = patched.sym(sym);
  if (s.isDefined()) includeSection(s.shndx);
  const SymbolInfo& info = patched.symbols[sym];
  // A .cold piece runs in its parent's frame and has no entry of its own: the parent comes
  // too, and is what the kernel redirects. A .part clone is a function in its own right
  // (it has an ftrace entry); it travels with an included parent but not the other way.
  if (info.parent >= 0 && info.isColdPiece)
    includeSymbol(static_cast<uint32_t>(info.parent), "its .cold piece changed");
  for (uint32_t c : info.children) includeSymbol(c, "split off an included function");
  if (s.isDefined())
    for (uint32_t o : patched.sections[s.shndx].objects)
      if (patched.symbols[o].isPrefix && patched.symbols[o].prefixOf == sym) includeSymbol(o, "padding of an included function");
}

Inclusion include(const StageInputs& in) { return Includer(in).run(); }

Inclusion Includer::run() {
  const size_t nP = patched.elf.symbols.size();
  inc.includedSym.assign(nP, false);
  inc.includedSec.assign(patched.elf.sections.size(), false);
  inc.includeReason.assign(nP, {});
  inc.specialEntries.assign(patched.elf.sections.size(), {});
  seed();
  // Closure over references, then special-section entries, until nothing is added.
  std::vector<bool> scanned(patched.elf.sections.size(), false);
  for (bool grew = true; grew;) {
    grew = scanReferences(scanned);
    grew |= filterSpecialSectionsAgain(scanned);
  }
  markPatchTargets();
  return std::move(inc);
}

// The seeds: changed and new functions (__init code is refused, not included), and the
// kpatch callbacks with their functions.
void Includer::seed() {
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isFunction || info.isPrefix || !patched.sym(p).isDefined() || directives.ignoredFunctions.count(p))
      continue;
    if (patched.kindOfSymbol(p) != SectionKind::Text) continue;
    if (comparison.symStatus[p] == Status::Changed) includeSymbol(p, "changed: " + comparison.changeReason[p]);
    else if (comparison.symStatus[p] == Status::New) includeSymbol(p, "new");
  }
  for (uint32_t s : directives.callbackSections) includeSection(s);
  for (const auto& cb : directives.callbacks) includeSymbol(cb.function, "livepatch callback");
}

// Follows the references of every included section not scanned yet; true if there was one.
bool Includer::scanReferences(std::vector<bool>& scanned) {
  bool grew = false;
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s) {
    if (!inc.includedSec[s] || scanned[s]) continue;
    scanned[s] = true;
    grew = true;
    const elf::Section& sec = patched.sec(s);
    bool byEntry = patched.keptEntryByEntry(s);
    for (const auto& r : sec.relocs)
      if (!byEntry || inc.inKeptEntry(s, r.offset)) followReference(sec, r, scanned);  // only kept entries count
  }
  return grew;
}

// What one reference of included code or data brings along; the rest stays a reference.
void Includer::followReference(const elf::Section& sec, const elf::Reloc& r, std::vector<bool>& scanned) {
  RelocTarget t = patched.resolve(sec, r);
  const elf::Symbol& ts = patched.sym(t.sym);
  if (!ts.isDefined()) return;
  const SectionInfo& tsec = patched.sections[ts.shndx];
  const SymbolInfo& ti = patched.symbols[t.sym];
  if (t.anonymous()) {
    // An address table (.toc) gives the entry used; other anonymous pieces (strings,
    // constants, alternative code) come along whole.
    if (tsec.addressTableEntrySize) {
      if (keepAddressTableEntry(t.section, t.offset)) scanned[t.section] = false;
    } else if (tsec.kind == SectionKind::Strings || tsec.kind == SectionKind::ReadOnly ||
               tsec.kind == SectionKind::CodeIsland || tsec.kind == SectionKind::Data) {
      includeSection(t.section);
    }
    return;
  }
  Status status = comparison.symStatus[t.sym];
  if (ti.isFunction) {
    if (status == Status::New && tsec.kind == SectionKind::Text) includeSymbol(t.sym, "new");
    else if (!inc.includedSym[t.sym] && tsec.kind == SectionKind::Text && target.callMustStayLocal(sec, r))
      includeSymbol(t.sym, "called without a way back to the kernel's copy (see the architecture)");
  } else if (ti.isObject) {
    if (status == Status::New && tsec.kind != SectionKind::Special) includeSymbol(t.sym, "new data used by included code");
    else if (status == Status::New) includeSymbol(t.sym, "descriptor used by included code");
    else if (status == Status::Changed && tsec.kind == SectionKind::ReadOnly)
      includeSymbol(t.sym, "changed constant used by included code");
  }
}

// Filters the special sections again; when an entry was added, they are scanned again.
bool Includer::filterSpecialSectionsAgain(std::vector<bool>& scanned) {
  auto kept = [&] {
    size_t n = 0;
    for (auto& v : inc.specialEntries)
      for (auto& e : v) n += e.keep;
    return n;
  };
  size_t before = kept();
  filterSpecialSections();
  if (kept() == before) return false;
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (patched.sections[s].kind == SectionKind::Special) scanned[s] = false;
  return true;
}

void Includer::markPatchTargets() {
  inc.patchTarget.assign(patched.elf.symbols.size(), false);
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) inc.patchTarget[p] = isPatchTarget(p);
}

bool Includer::isPatchTarget(uint32_t p) const {
  const SymbolInfo& info = patched.symbols[p];
  if (!info.isFunction || info.isColdPiece || !correlation.twinOfSym[p] || !inc.includedSym[p] ||
      patched.kindOfSymbol(p) != SectionKind::Text)
    return false;
  bool changed = comparison.symStatus[p] == Status::Changed;
  for (uint32_t c : info.children) changed |= patched.symbols[c].isColdPiece && comparison.symStatus[c] != Status::Same;
  return changed;
}

// Keeps the entry of address table `s` holding `offset` (every entry, if none holds it);
// true when that is new, so that what the entry refers to joins the closure.
bool Includer::keepAddressTableEntry(uint32_t s, int64_t offset) {
  auto& entries = inc.specialEntries[s];
  const elf::Section& sec = patched.sec(s);
  if (entries.empty()) {
    unsigned n = patched.sections[s].addressTableEntrySize;
    for (uint64_t off = 0; off < sec.size; off += n) entries.push_back({off, std::min<uint64_t>(off + n, sec.size), false});
  }
  includeSection(s);
  SpecialEntry* e = offset >= 0 ? inc.entryAt(s, uint64_t(offset)) : nullptr;
  bool added = false;
  for (auto& each : entries)
    if ((!e || &each == e) && !each.keep) added = each.keep = true;
  return added;
}

void Includer::filterSpecialSections() {
  auto codeIncluded = [&](const elf::Section& sec, const elf::Reloc& r) {
    RelocTarget t = patched.resolve(sec, r);
    const elf::Symbol& s = patched.sym(t.sym);
    if (!s.isDefined()) return false;
    if (patched.symbols[t.sym].isFunction) return bool(inc.includedSym[t.sym]);
    return t.anonymous() && patched.sections[t.section].kind == SectionKind::Text && inc.includedSec[t.section];
  };
  using Policy = arch::SpecialSection::Policy;
  for (const auto& sec : patched.elf.sections) {
    const SectionInfo& info = patched.sections[sec.index];
    if (info.kind != SectionKind::Special || directives.ignoredSections.count(sec.index)) continue;
    const arch::SpecialSection& sp = *info.special;
    if (sp.policy == Policy::Drop || sp.policy == Policy::ParallelTo) continue;
    auto& entries = inc.specialEntries[sec.index];
    if (entries.empty()) {
      if (sp.policy == Policy::KeepEntriesReferencedByIncludedCode || entrySize(sp) == 0) {
        for (uint32_t o : info.objects)
          entries.push_back({patched.sym(o).value, patched.sym(o).value + patched.sym(o).size, false});
      } else {
        unsigned n = checkedEntrySize(sec, sp);
        for (uint64_t off = 0; off < sec.size; off += n) entries.push_back({off, std::min<uint64_t>(off + n, sec.size), false});
      }
    }
    bool any = false;
    if (sp.policy == Policy::KeepEntriesReferencedByIncludedCode) {
      for (auto& e : entries) {
        uint32_t o = patched.symbolCovering(sec.index, int64_t(e.begin));
        e.keep = e.keep || (o && inc.includedSym[o]);
        any |= e.keep;
      }
    } else {
      for (const auto& r : sec.relocs) {
        SpecialEntry* e = inc.entryAt(sec.index, r.offset);
        if (e && !e->keep && codeIncluded(sec, r)) e->keep = true;
      }
      for (const auto& e : entries) any |= e.keep;
    }
    if (any) includeSection(sec.index);
  }
  for (const auto& sec : patched.elf.sections) {
    const SectionInfo& info = patched.sections[sec.index];
    if (info.kind == SectionKind::Special && info.special->policy == Policy::ParallelTo) filterInLockstep(sec);
  }
}

// A section with one entry per entry of its leader, in the same order (.orc_unwind holds
// one struct orc_entry per .orc_unwind_ip address): it keeps what the leader keeps.
void Includer::filterInLockstep(const elf::Section& sec) {
  const arch::SpecialSection& sp = *patched.sections[sec.index].special;
  const elf::Section* leader = patched.elf.findSection(sp.parallelTo);
  if (!leader) return;  // nothing it could describe
  const auto& leaderEntries = inc.specialEntries[leader->index];
  unsigned n = entrySize(sp);
  if (n == 0 || sec.size != leaderEntries.size() * n)
    throw elf::InputError(patched.elf.path, fmt::format("{} has {} bytes for {} {} entries; pass --struct-size {}=BYTES "
                                                        "for this kernel",
                                                        sec.name, sec.size, leaderEntries.size(), sp.parallelTo,
                                                        arch::entryKindName(sp.kind)));
  auto& entries = inc.specialEntries[sec.index];
  entries.clear();
  bool any = false;
  for (size_t i = 0; i < leaderEntries.size(); ++i) {
    entries.push_back({i * n, (i + 1) * n, leaderEntries[i].keep});
    any |= leaderEntries[i].keep;
  }
  if (any) includeSection(sec.index);
}

}  // namespace lpb::differ
