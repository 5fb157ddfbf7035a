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
constexpr std::string_view kCallbackPrefix = ".kpatch.callbacks.";
}

unsigned Differ::entrySize(const arch::SpecialSection& s) const {
  if (s.kind != arch::EntryKind::None) {
    auto it = opts.structSizes.find(s.kind);
    if (it != opts.structSizes.end()) return it->second;
  }
  return s.kind == arch::EntryKind::None ? s.entrySize : target.defaultEntrySize(s.kind);
}

std::string Differ::displayName(uint32_t p) const {
  uint32_t o = correlation.twinOfSym[p];
  return std::string(o ? orig.sym(o).name : patched.sym(p).name);
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
unsigned Differ::checkedEntrySize(const elf::Section& sec, const arch::SpecialSection& sp) {
  unsigned n = entrySize(sp);
  if (sec.relocs.empty() || relocPatternFits(sec, n, 0.5)) {
    if (n == 0) throw elf::InputError(patched.elf.path, fmt::format("no entry size known for {}; pass --struct-size {}=BYTES",
                                                                     sec.name, arch::entryKindName(sp.kind)));
    return n;
  }
  for (unsigned guess = 4; guess <= 64; guess += 2)
    if (relocPatternFits(sec, guess, 0.9)) {
      warnings.push_back(fmt::format("{}: {} entries are {} bytes, not {} (--struct-size {}); using {}", patched.elf.path,
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

const SpecialEntry* Differ::entryAt(uint32_t s, uint64_t offset) const {
  const auto& v = inclusion.specialEntries[s];
  size_t i = entryIndex(v, offset);
  return i < v.size() ? &v[i] : nullptr;
}

SpecialEntry* Differ::entryAt(uint32_t s, uint64_t offset) {
  auto& v = inclusion.specialEntries[s];
  size_t i = entryIndex(v, offset);
  return i < v.size() ? &v[i] : nullptr;
}

void Differ::processKpatchSections() {
  // kpatch-build's macros (kpatch-macros.h) put pointers into these sections; patches
  // written for it keep their meaning here.
  for (const auto& sec : patched.elf.sections) {
    if (patched.sections[sec.index].kind != SectionKind::KpatchMeta) continue;
    std::string_view n = sec.name;
    if (n == ".kpatch.ignore.functions" || n == ".kpatch.force") {
      for (const auto& r : sec.relocs) {
        uint32_t fn = patched.resolve(sec, r).sym;
        if (!patched.symbols[fn].isFunction) continue;
        (n == ".kpatch.force" ? forcedFunctions : ignoredFunctions).insert(fn);
      }
    } else if (n == ".kpatch.ignore.sections") {
      for (const auto& r : sec.relocs) {
        RelocTarget t = patched.resolve(sec, r);
        const elf::Symbol& s = patched.sym(t.sym);
        if (!s.isDefined()) continue;
        int64_t at = t.anonymous() ? patched.exactOffset(sec, r) : t.offset + int64_t(s.value);
        std::string_view want = patched.stringAt(s.shndx, at);
        for (const auto& other : patched.elf.sections)
          if (other.name == want) ignoredSections.insert(other.index);
      }
    } else if (n.starts_with(kCallbackPrefix)) {
      callbackSections.push_back(sec.index);
    }
  }
  // Ignored functions (and their families) and sections count as unchanged.
  for (uint32_t fn : std::set<uint32_t>(ignoredFunctions)) {
    comparison.symStatus[fn] = Status::Same;
    for (uint32_t c : patched.symbols[fn].children) comparison.symStatus[c] = Status::Same;
    comparison.secStatus[patched.sym(fn).shndx] = Status::Same;
  }
  for (uint32_t s : ignoredSections) {
    comparison.secStatus[s] = Status::Same;
    for (uint32_t o : patched.sections[s].objects) comparison.symStatus[o] = Status::Same;
  }
}

void Differ::includeSection(uint32_t sec) { inclusion.includedSec[sec] = true; }

void Differ::includeSymbol(uint32_t sym, const std::string& why) {
  if (inclusion.includedSym[sym]) return;
  inclusion.includedSym[sym] = true;
  if (inclusion.includeReason[sym].empty()) inclusion.includeReason[sym] = why;
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

void Differ::include() {
  const size_t nP = patched.elf.symbols.size();
  inclusion.includedSym.assign(nP, false);
  inclusion.includedSec.assign(patched.elf.sections.size(), false);
  inclusion.includeReason.assign(nP, {});
  inclusion.specialEntries.assign(patched.elf.sections.size(), {});

  for (uint32_t p = 1; p < nP; ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isFunction || info.isPrefix || !patched.sym(p).isDefined() || ignoredFunctions.count(p)) continue;
    SectionKind k = patched.kindOfSymbol(p);
    if (k != SectionKind::Text) continue;  // __init code is refused, not included
    if (comparison.symStatus[p] == Status::Changed) includeSymbol(p, "changed: " + comparison.changeReason[p]);
    else if (comparison.symStatus[p] == Status::New) includeSymbol(p, "new");
  }
  for (uint32_t s : callbackSections) {
    includeSection(s);
    for (const auto& r : patched.sec(s).relocs) {
      uint32_t t = patched.resolve(patched.sec(s), r).sym;
      if (patched.symbols[t].isFunction) includeSymbol(t, "livepatch callback");
    }
  }

  // Closure over references, then special-section entries, until nothing is added.
  std::vector<bool> scanned(patched.elf.sections.size(), false);
  for (bool grew = true; grew;) {
    grew = false;
    for (uint32_t s = 1; s < patched.elf.sections.size(); ++s) {
      if (!inclusion.includedSec[s] || scanned[s]) continue;
      scanned[s] = true;
      grew = true;
      const elf::Section& sec = patched.sec(s);
      bool byEntry = keptEntryByEntry(s);
      for (const auto& r : sec.relocs) {
        if (byEntry && !inKeptEntry(s, r.offset)) continue;  // only kept entries count
        RelocTarget t = patched.resolve(sec, r);
        const elf::Symbol& ts = patched.sym(t.sym);
        if (!ts.isDefined()) continue;  // stays a reference
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
          continue;
        }
        if (ti.isFunction) {
          if (comparison.symStatus[t.sym] == Status::New && tsec.kind == SectionKind::Text) includeSymbol(t.sym, "new");
          else if (!inclusion.includedSym[t.sym] && tsec.kind == SectionKind::Text && target.callMustStayLocal(sec, r))
            includeSymbol(t.sym, "called without a way back to the kernel's copy (see the architecture)");
        } else if (ti.isObject) {
          bool readOnly = tsec.kind == SectionKind::ReadOnly;
          if (comparison.symStatus[t.sym] == Status::New && tsec.kind != SectionKind::Special)
            includeSymbol(t.sym, "new data used by included code");
          else if (comparison.symStatus[t.sym] == Status::New)
            includeSymbol(t.sym, "descriptor used by included code");
          else if (comparison.symStatus[t.sym] == Status::Changed && readOnly)
            includeSymbol(t.sym, "changed constant used by included code");
        }
      }
    }
    grew |= [&] {
      size_t before = 0, after = 0;
      for (auto& v : inclusion.specialEntries)
        for (auto& e : v) before += e.keep;
      filterSpecialSections();
      for (auto& v : inclusion.specialEntries)
        for (auto& e : v) after += e.keep;
      if (after != before)
        for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
          if (patched.sections[s].kind == SectionKind::Special) scanned[s] = false;
      return after != before;
    }();
  }
}

// Keeps the entry of address table `s` holding `offset` (every entry, if none holds it);
// true when that is new, so that what the entry refers to joins the closure.
bool Differ::keepAddressTableEntry(uint32_t s, int64_t offset) {
  auto& entries = inclusion.specialEntries[s];
  const elf::Section& sec = patched.sec(s);
  if (entries.empty()) {
    unsigned n = patched.sections[s].addressTableEntrySize;
    for (uint64_t off = 0; off < sec.size; off += n) entries.push_back({off, std::min<uint64_t>(off + n, sec.size), false});
  }
  includeSection(s);
  SpecialEntry* e = offset >= 0 ? entryAt(s, uint64_t(offset)) : nullptr;
  bool added = false;
  for (auto& each : entries)
    if ((!e || &each == e) && !each.keep) added = each.keep = true;
  return added;
}

void Differ::filterSpecialSections() {
  auto codeIncluded = [&](const elf::Section& sec, const elf::Reloc& r) {
    RelocTarget t = patched.resolve(sec, r);
    const elf::Symbol& s = patched.sym(t.sym);
    if (!s.isDefined()) return false;
    if (patched.symbols[t.sym].isFunction) return bool(inclusion.includedSym[t.sym]);
    return t.anonymous() && patched.sections[t.section].kind == SectionKind::Text && inclusion.includedSec[t.section];
  };
  using Policy = arch::SpecialSection::Policy;
  for (const auto& sec : patched.elf.sections) {
    const SectionInfo& info = patched.sections[sec.index];
    if (info.kind != SectionKind::Special || ignoredSections.count(sec.index)) continue;
    const arch::SpecialSection& sp = *info.special;
    if (sp.policy == Policy::Drop || sp.policy == Policy::ParallelTo) continue;
    auto& entries = inclusion.specialEntries[sec.index];
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
        e.keep = e.keep || (o && inclusion.includedSym[o]);
        any |= e.keep;
      }
    } else {
      for (const auto& r : sec.relocs) {
        SpecialEntry* e = entryAt(sec.index, r.offset);
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
void Differ::filterInLockstep(const elf::Section& sec) {
  const arch::SpecialSection& sp = *patched.sections[sec.index].special;
  const elf::Section* leader = patched.elf.findSection(sp.parallelTo);
  if (!leader) return;  // nothing it could describe
  const auto& leaderEntries = inclusion.specialEntries[leader->index];
  unsigned n = entrySize(sp);
  if (n == 0 || sec.size != leaderEntries.size() * n)
    throw elf::InputError(patched.elf.path, fmt::format("{} has {} bytes for {} {} entries; pass --struct-size {}=BYTES "
                                                        "for this kernel",
                                                        sec.name, sec.size, leaderEntries.size(), sp.parallelTo,
                                                        arch::entryKindName(sp.kind)));
  auto& entries = inclusion.specialEntries[sec.index];
  entries.clear();
  bool any = false;
  for (size_t i = 0; i < leaderEntries.size(); ++i) {
    entries.push_back({i * n, (i + 1) * n, leaderEntries[i].keep});
    any |= leaderEntries[i].keep;
  }
  if (any) includeSection(sec.index);
}

}  // namespace lpb::differ
