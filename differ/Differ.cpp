#include "differ/Differ.h"

#include <elf.h>

#include <algorithm>
#include <map>
#include <fmt/format.h>

#include "differ/DifferState.h"
#include "relocs/SymbolPositions.h"

namespace lpb::differ {

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Patchable: return "ok";
    case Verdict::Refused: return "refused";
    case Verdict::NoChange: return "nochange";
  }
  return "?";
}

std::string_view functionStatusName(FunctionStatus s) {
  switch (s) {
    case FunctionStatus::Changed: return "changed";
    case FunctionStatus::New: return "new";
    case FunctionStatus::UnchangedButIncluded: return "unchanged-but-included";
    case FunctionStatus::Refused: return "refused";
  }
  return "?";
}

Differ::Differ(const elf::ElfObject& o, const elf::ElfObject& p, const arch::Target& t, const DiffOptions& op)
    : target(t), opts(op), orig(o, t), patched(p, t) {}

DiffResult diffObjects(const elf::ElfObject& orig, const elf::ElfObject& patched, const DiffOptions& opts) {
  const arch::Target* t = arch::targetFor(orig);
  if (!t)
    throw elf::InputError(orig.path, fmt::format("unsupported architecture (e_machine {})", orig.machine));
  const arch::Target* tp = arch::targetFor(patched);
  if (tp != t)
    throw elf::InputError(patched.path, fmt::format("architecture {} does not match the original's ({})",
                                                    tp ? tp->name() : fmt::format("e_machine {}", patched.machine),
                                                    t->name()));
  auto d = std::make_shared<Differ>(orig, patched, *t, opts);
  DiffResult r = d->run();
  r.state = d;
  return r;
}

bool Differ::isPatchTarget(uint32_t p) const {
  // The kernel redirects a function that changed, or whose .cold piece did; a .cold piece
  // itself has no entry to redirect, and a new function has nothing to redirect from.
  const SymbolInfo& info = patched.symbols[p];
  if (!info.isFunction || info.isColdPiece || !correlation.twinOfSym[p] || !inclusion.includedSym[p] ||
      patched.kindOfSymbol(p) != SectionKind::Text)
    return false;
  bool changed = comparison.symStatus[p] == Status::Changed;
  for (uint32_t c : info.children) changed |= patched.symbols[c].isColdPiece && comparison.symStatus[c] != Status::Same;
  return changed;
}

DiffResult Differ::run() {
  correlation = correlate(orig, patched);
  comparison = compare(orig, patched, correlation, target);
  processKpatchSections();
  include();
  checkRules();
  resolveExternals();

  // Callbacks: each entry of a .kpatch.callbacks.<kind> section points at the function.
  for (uint32_t s : callbackSections) {
    std::string kind(patched.sec(s).name.substr(std::string_view(".kpatch.callbacks.").size()));
    for (const auto& r : patched.sec(s).relocs) {
      uint32_t t = patched.resolve(patched.sec(s), r).sym;
      if (patched.symbols[t].isFunction) callbacks.emplace_back(kind, displayName(t));
    }
  }

  // The report, one line per included or refused function.
  const relocs::SymbolPositions& positions = this->positions();
  std::set<std::string> refusedNames;
  for (const auto& r : refusals) refusedNames.insert(r.name);
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isFunction || info.isPrefix || !patched.sym(p).isDefined()) continue;
    std::string name = displayName(p);
    bool refused = refusedNames.count(name);
    if (!inclusion.includedSym[p] && !refused) continue;
    FunctionReport f;
    f.name = name;
    f.status = refused                           ? FunctionStatus::Refused
               : comparison.symStatus[p] == Status::Changed ? FunctionStatus::Changed
               : comparison.symStatus[p] == Status::New     ? FunctionStatus::New
                                                 : FunctionStatus::UnchangedButIncluded;
    f.reason = inclusion.includeReason[p];
    if (forcedFunctions.count(p)) f.reason += " (KPATCH_FORCE_UNSAFE)";
    if (info.parent >= 0) f.parent = displayName(static_cast<uint32_t>(info.parent));
    f.patchTarget = !refused && isPatchTarget(p);
    if (f.patchTarget) {
      uint32_t o = correlation.twinOfSym[p];
      bool wasLocal = o && orig.sym(o).bind == STB_LOCAL;
      f.sympos = (wasLocal ? positions.positionOf(f.name, orig.fileName) : positions.positionOfGlobal(f.name)).value_or(0);
    }
    functions.push_back(std::move(f));
  }

  DiffResult r;
  r.arch = std::string(target.name());
  r.refusals = refusals;
  r.functions = functions;
  r.externals = externals;
  r.warnings = warnings;
  r.callbacks = callbacks;
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (patched.sections[s].kind == SectionKind::Unknown && patched.sec(s).size)
      r.unknownSections.emplace_back(patched.sec(s).name);
  bool anything = std::any_of(inclusion.includedSym.begin(), inclusion.includedSym.end(), [](bool b) { return b; }) ||
                  !callbackSections.empty();
  r.verdict = !refusals.empty() ? Verdict::Refused : anything ? Verdict::Patchable : Verdict::NoChange;
  return r;
}

const relocs::SymbolPositions& Differ::positions() {
  if (!positions_) positions_.emplace(opts.symbols ? *opts.symbols : orig.elf);
  return *positions_;
}

void Differ::resolveExternals() {
  const relocs::SymbolPositions& positions = this->positions();

  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s) {
    if (!inclusion.includedSec[s]) continue;
    const elf::Section& sec = patched.sec(s);
    for (const auto& r : sec.relocs) {
      RelocTarget t = patched.resolve(sec, r);
      const elf::Symbol& ts = patched.sym(t.sym);
      bool inside = ts.isDefined() && (patched.symbols[t.sym].isFunction || patched.symbols[t.sym].isObject
                                           ? bool(inclusion.includedSym[t.sym])
                                           : bool(inclusion.includedSec[ts.shndx]));
      if (t.sym == 0 || inside || externalIndex.count(t.sym) || t.anonymous()) continue;
      if (keptEntryByEntry(s) && !inKeptEntry(s, r.offset)) continue;
      // The module's own link or the module loader supplies these (ppc64le's .TOC.).
      if (!ts.isDefined() && target.isSuppliedToEveryModule(ts.name)) continue;
      if (target.reachesOnlyWithinModule(r.type)) {
        refuse("module-relative-reference", displayName(t.sym),
               fmt::format("{}+0x{:x} reaches {} relative to the patch module's own base (relocation type {}), which "
                           "cannot reach the running kernel's copy; build the unit with the module code model",
                           sec.name, r.offset, displayName(t.sym), r.type));
        continue;
      }
      ExternalSymbol x;
      x.name = displayName(t.sym);
      uint32_t o = correlation.twinOfSym[t.sym];
      const elf::Symbol& os = o ? orig.sym(o) : ts;
      x.wasLocal = os.bind == STB_LOCAL;
      x.type = os.type;
      if (!x.wasLocal) {
        x.sympos = positions.positionOfGlobal(x.name).value_or(0);
      } else {
        std::optional<uint32_t> pos = positions.positionOf(x.name, orig.fileName);
        x.sympos = pos.value_or(0);
        if (!pos)
          refuse("missing-symbol", x.name,
                 fmt::format("the patch refers to static {} but {} has no such symbol for {} (inlined or "
                             "optimized away in the running kernel); include it in the patch",
                             x.name, (opts.symbols ? opts.symbols->path : orig.elf.path), orig.fileName));
      }
      externalIndex[t.sym] = externals.size();
      externals.push_back(std::move(x));
    }
  }
}

}  // namespace lpb::differ
