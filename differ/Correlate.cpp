// Pairing the original's symbols and sections with the patched object's.
//
// Most symbols pair by name. The compiler renumbers its clones between builds
// (`foo.isra.2` may become `foo.isra.5`), so what is left pairs by the name without
// numbers. A function's static variables (`count.3`) are numbered per compilation unit and
// shift whenever another one is added, so they pair by who uses them: the patched variable
// is the twin of the original variable of the same name that the same function used. The
// compiler's and kernel's bookkeeping statics (__warned, __key, ...) never pair.
#include <elf.h>

#include <algorithm>
#include <map>

#include "differ/DifferState.h"

namespace lpb::differ {

namespace {

bool pairsByName(const ObjectModel& m, uint32_t i) {
  const elf::Symbol& s = m.sym(i);
  const SymbolInfo& info = m.symbols[i];
  if (s.type == STT_SECTION || s.type == STT_FILE || s.name.empty() || s.name.starts_with(".L")) return false;
  return !info.isStaticLocal && !info.isSpecialStatic && !info.isPrefix;
}

bool sameKind(const elf::Symbol& a, const elf::Symbol& b) {
  // An undefined reference carries no reliable type; the name is what counts.
  return !a.isDefined() || !b.isDefined() || a.type == b.type;
}

// Who uses what: for every relocation in code or data, the function/object it sits in uses
// the symbol it resolves to.
std::vector<std::set<uint32_t>> computeUses(const ObjectModel& m) {
  std::vector<std::set<uint32_t>> uses(m.elf.symbols.size());
  for (const auto& sec : m.elf.sections) {
    if (sec.relocs.empty()) continue;
    SectionKind k = m.sections[sec.index].kind;
    if (k == SectionKind::Table || k == SectionKind::Ignored) continue;
    for (const auto& r : sec.relocs) {
      uint32_t user = m.symbolCovering(sec.index, static_cast<int64_t>(r.offset));
      if (!user) continue;
      if (m.symbols[user].isPrefix) user = m.symbols[user].prefixOf;
      RelocTarget t = m.resolve(sec, r);
      uses[user].insert(t.sym);
      // Through a table of addresses (ppc64 .toc): code uses what the entry points at.
      if (t.anonymous() && m.sections[t.section].objects.empty())
        for (const auto& e : m.sec(t.section).relocs)
          if (static_cast<int64_t>(e.offset) == t.offset) uses[user].insert(m.resolve(m.sec(t.section), e).sym);
    }
  }
  return uses;
}

}  // namespace

namespace {

using ByBaseName = std::multimap<std::string, uint32_t>;

// Defined symbols that pair by name, by their name without the compiler's numbering.
ByBaseName byBaseName(const ObjectModel& m) {
  ByBaseName out;
  for (uint32_t i = 1; i < m.elf.symbols.size(); ++i)
    if (pairsByName(m, i) && m.sym(i).isDefined()) out.emplace(m.symbols[i].baseName, i);
  return out;
}

// Same size, bytes and relocations (targets by base name): two copies of one clone.
bool identicalCopies(const ObjectModel& patched, uint32_t p, const ObjectModel& orig, uint32_t o) {
  const elf::Symbol &ps = patched.sym(p), &os = orig.sym(o);
  if (ps.size != os.size || ps.type != os.type) return false;
  const elf::Section &pSec = patched.sec(ps.shndx), &oSec = orig.sec(os.shndx);
  if (pSec.size != oSec.size || pSec.type != oSec.type || pSec.relocs.size() != oSec.relocs.size()) return false;
  if (pSec.type != SHT_NOBITS && !std::equal(pSec.data.begin(), pSec.data.end(), oSec.data.begin())) return false;
  for (size_t i = 0; i < pSec.relocs.size(); ++i) {
    const elf::Reloc &a = pSec.relocs[i], &b = oSec.relocs[i];
    if (a.offset != b.offset || a.type != b.type || a.addend != b.addend ||
        patched.symbols[a.sym].baseName != orig.symbols[b.sym].baseName)
      return false;
  }
  return true;
}

// The pairing passes over one pair of objects, filling a Correlation.
class Correlator {
 public:
  Correlator(const ObjectModel& orig, const ObjectModel& patched) : orig(orig), patched(patched) {}
  Correlation run();

 private:
  void pairSymbols(uint32_t patchedSym, uint32_t origSym);
  void pairCloneFamilies(const ByBaseName& origByBase, const ByBaseName& patchedByBase);
  void pairByName();
  void pairByBaseName(const ByBaseName& origByBase);
  void pairPrefixes();
  void pairStaticLocals();
  void pairSections();

  const ObjectModel& orig;
  const ObjectModel& patched;
  Correlation c;
};

}  // namespace

// Pairs the original's symbols and sections with the patched object's, most certain
// evidence first.
Correlation Correlator::run() {
  c.twinOfSym.assign(patched.elf.symbols.size(), 0);
  c.twinOfSymOrig.assign(orig.elf.symbols.size(), 0);
  ByBaseName origByBase = byBaseName(orig), patchedByBase = byBaseName(patched);
  pairCloneFamilies(origByBase, patchedByBase);
  pairByName();
  pairByBaseName(origByBase);
  pairPrefixes();
  c.usesOrig = computeUses(orig);
  c.usesPatched = computeUses(patched);
  pairStaticLocals();
  pairSections();
  return std::move(c);
}

void Correlator::pairSymbols(uint32_t p, uint32_t o) {
  c.twinOfSym[p] = o;
  c.twinOfSymOrig[o] = p;
}

// Clones the compiler numbers (foo.constprop.3) may come in families whose numbers shift
// between builds: within such a family, identical copies pair first, then the numbers.
void Correlator::pairCloneFamilies(const ByBaseName& origByBase, const ByBaseName& patchedByBase) {
  auto inFamily = [&](uint32_t p) {
    const std::string& b = patched.symbols[p].baseName;
    return b != patched.sym(p).name && (origByBase.count(b) > 1 || patchedByBase.count(b) > 1);
  };
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    if (!pairsByName(patched, p) || !patched.sym(p).isDefined() || !inFamily(p)) continue;
    auto [lo, hi] = origByBase.equal_range(patched.symbols[p].baseName);
    for (auto it = lo; it != hi; ++it)
      if (!c.twinOfSymOrig[it->second] && identicalCopies(patched, p, orig, it->second)) {
        pairSymbols(p, it->second);
        break;
      }
  }
}

// The same name, and the same kind of symbol.
void Correlator::pairByName() {
  std::map<std::string_view, uint32_t> origByName;
  for (uint32_t o = 1; o < orig.elf.symbols.size(); ++o)
    if (pairsByName(orig, o) && !c.twinOfSymOrig[o]) origByName.emplace(orig.sym(o).name, o);
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    if (!pairsByName(patched, p) || c.twinOfSym[p]) continue;
    auto it = origByName.find(patched.sym(p).name);
    if (it != origByName.end() && !c.twinOfSymOrig[it->second] && sameKind(orig.sym(it->second), patched.sym(p)))
      pairSymbols(p, it->second);
  }
}

// The same name once the compiler's numbering is taken out (.isra.N, .constprop.N, .cold.N).
void Correlator::pairByBaseName(const ByBaseName& origByBase) {
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    if (!pairsByName(patched, p) || c.twinOfSym[p] || !patched.sym(p).isDefined()) continue;
    auto [lo, hi] = origByBase.equal_range(patched.symbols[p].baseName);
    for (auto it = lo; it != hi; ++it)
      if (!c.twinOfSymOrig[it->second] && orig.sym(it->second).type == patched.sym(p).type) {
        pairSymbols(p, it->second);
        break;
      }
  }
}

// Prefix symbols (__pfx_, __cfi_) follow their function.
void Correlator::pairPrefixes() {
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isPrefix || !c.twinOfSym[info.prefixOf]) continue;
    uint32_t of = c.twinOfSym[info.prefixOf];
    if (!orig.sym(of).isDefined()) continue;
    for (uint32_t o : orig.sections[orig.sym(of).shndx].objects)
      if (orig.symbols[o].isPrefix && orig.symbols[o].prefixOf == of && !c.twinOfSymOrig[o]) pairSymbols(p, o);
  }
}

// Static locals (GCC's count.3), by the paired functions that use them; Clang names them
// `function.variable`, unique in the unit, so there the name decides.
void Correlator::pairStaticLocals() {
  const size_t nP = patched.elf.symbols.size();
  std::vector<std::vector<uint32_t>> usersPatched(nP);
  for (uint32_t u = 1; u < nP; ++u)
    for (uint32_t t : c.usesPatched[u]) usersPatched[t].push_back(u);
  for (uint32_t p = 1; p < nP; ++p) {
    if (!patched.symbols[p].isStaticLocal || c.twinOfSym[p]) continue;
    for (uint32_t user : usersPatched[p]) {
      uint32_t ou = c.twinOfSym[user];
      if (!ou) continue;
      for (uint32_t v : c.usesOrig[ou])
        if (orig.symbols[v].isStaticLocal && !c.twinOfSymOrig[v] &&
            orig.symbols[v].baseName == patched.symbols[p].baseName && orig.sym(v).type == patched.sym(p).type) {
          pairSymbols(p, v);
          break;
        }
      if (c.twinOfSym[p]) break;
    }
    if (c.twinOfSym[p]) continue;
    std::string_view n = patched.sym(p).name;
    size_t dot = n.find('.');
    if (dot != std::string_view::npos && dot + 1 < n.size() && patched.findSymbol(n.substr(0, dot)) &&
        !std::isdigit(static_cast<unsigned char>(n[dot + 1])))
      if (uint32_t o = orig.findSymbol(n); o && orig.symbols[o].isStaticLocal && !c.twinOfSymOrig[o]) pairSymbols(p, o);
  }
}

// Sections: through the symbol they hold, else by name (in order, for repeated names), and
// SHF_LINK_ORDER sections through the section they describe.
void Correlator::pairSections() {
  const size_t sP = patched.elf.sections.size(), sO = orig.elf.sections.size();
  c.twinOfSec.assign(sP, 0);
  c.twinOfSecOrig.assign(sO, 0);
  auto pairSec = [&](uint32_t p, uint32_t o) {
    c.twinOfSec[p] = o;
    c.twinOfSecOrig[o] = p;
  };
  for (uint32_t p = 1; p < sP; ++p) {
    uint32_t prim = patched.sections[p].primary;
    if (!prim || !c.twinOfSym[prim] || !orig.sym(c.twinOfSym[prim]).isDefined()) continue;
    uint32_t o = orig.sym(c.twinOfSym[prim]).shndx;
    if (orig.sections[o].primary == c.twinOfSym[prim] && !c.twinOfSecOrig[o]) pairSec(p, o);
  }
  std::multimap<std::string_view, uint32_t> origSecByName;
  for (uint32_t o = 1; o < sO; ++o)
    if (!c.twinOfSecOrig[o] && !(orig.sec(o).flags & SHF_LINK_ORDER) && orig.sections[o].kind != SectionKind::Table)
      origSecByName.emplace(orig.sec(o).name, o);
  for (uint32_t p = 1; p < sP; ++p) {
    const elf::Section& s = patched.sec(p);
    if (c.twinOfSec[p] || (s.flags & SHF_LINK_ORDER) || patched.sections[p].kind == SectionKind::Table) continue;
    if (patched.sections[p].primary && !c.twinOfSym[patched.sections[p].primary]) continue;  // a new object
    auto [lo, hi] = origSecByName.equal_range(s.name);
    for (auto it = lo; it != hi; ++it)
      if (!c.twinOfSecOrig[it->second] && !orig.sections[it->second].primary) {
        pairSec(p, it->second);
        break;
      }
  }
  for (uint32_t p = 1; p < sP; ++p) {
    const elf::Section& s = patched.sec(p);
    if ((s.flags & SHF_LINK_ORDER) && s.link < sP && c.twinOfSec[s.link])
      for (uint32_t o = 1; o < sO; ++o)
        if ((orig.sec(o).flags & SHF_LINK_ORDER) && orig.sec(o).link == c.twinOfSec[s.link] &&
            orig.sec(o).name == s.name && !c.twinOfSecOrig[o]) {
          pairSec(p, o);
          break;
        }
  }
}

Correlation correlate(const ObjectModel& orig, const ObjectModel& patched) {
  return Correlator(orig, patched).run();
}

}  // namespace lpb::differ
