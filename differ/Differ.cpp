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

DiffResult Differ::run() {
  correlation = correlate(orig, patched);
  comparison = compare(orig, patched, correlation, target);
  directives = readKpatchDirectives(patched);
  ignoreDirected(directives, patched, comparison);
  inclusion = include(inputs());
  refusals = checkRules(inputs(), inclusion);
  resolveExternals();

  DiffResult r;
  r.arch = std::string(target.name());
  for (const auto& cb : directives.callbacks) r.callbacks.emplace_back(cb.kind, displayName(cb.function));
  r.functions = reportFunctions();
  r.refusals = refusals;
  r.externals = externals;
  r.warnings = inclusion.warnings;
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (patched.sections[s].kind == SectionKind::Unknown && patched.sec(s).size)
      r.unknownSections.emplace_back(patched.sec(s).name);
  bool anything = std::any_of(inclusion.includedSym.begin(), inclusion.includedSym.end(), [](bool b) { return b; }) ||
                  !directives.callbackSections.empty();
  r.verdict = !refusals.empty() ? Verdict::Refused : anything ? Verdict::Patchable : Verdict::NoChange;
  return r;
}

// The report, one line per included or refused function.
std::vector<FunctionReport> Differ::reportFunctions() {
  const relocs::SymbolPositions& positions = this->positions();
  std::set<std::string> refusedNames;
  for (const auto& r : refusals) refusedNames.insert(r.name);
  std::vector<FunctionReport> out;
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isFunction || info.isPrefix || !patched.sym(p).isDefined()) continue;
    std::string name = displayName(p);
    bool refused = refusedNames.count(name);
    if (!inclusion.includedSym[p] && !refused) continue;
    FunctionReport f;
    f.name = name;
    f.status = refused                                      ? FunctionStatus::Refused
               : comparison.symStatus[p] == Status::Changed ? FunctionStatus::Changed
               : comparison.symStatus[p] == Status::New     ? FunctionStatus::New
                                                            : FunctionStatus::UnchangedButIncluded;
    f.reason = inclusion.includeReason[p];
    if (directives.forcedFunctions.count(p)) f.reason += " (KPATCH_FORCE_UNSAFE)";
    if (info.parent >= 0) f.parent = displayName(static_cast<uint32_t>(info.parent));
    f.patchTarget = !refused && inclusion.patchTarget[p];
    if (f.patchTarget) {
      uint32_t o = correlation.twinOfSym[p];
      bool wasLocal = o && orig.sym(o).bind == STB_LOCAL;
      f.sympos = (wasLocal ? positions.positionOf(f.name, orig.fileName) : positions.positionOfGlobal(f.name)).value_or(0);
    }
    out.push_back(std::move(f));
  }
  return out;
}

const relocs::SymbolPositions& Differ::positions() {
  if (!positions_) positions_.emplace(opts.symbols ? *opts.symbols : orig.elf);
  return *positions_;
}

// What included code and data refer to outside the patch object: each becomes an external
// symbol, resolved by name (a klp relocation for statics of the original, with its position).
void Differ::resolveExternals() {
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
      if (patched.keptEntryByEntry(s) && !inclusion.inKeptEntry(s, r.offset)) continue;
      // The module's own link or the module loader supplies these (ppc64le's .TOC.).
      if (!ts.isDefined() && target.isSuppliedToEveryModule(ts.name)) continue;
      if (target.reachesOnlyWithinModule(r.type)) {
        addRefusal(refusals, "module-relative-reference", displayName(t.sym),
                   fmt::format("{}+0x{:x} reaches {} relative to the patch module's own base (relocation type {}), "
                               "which cannot reach the running kernel's copy; build the unit with the module code model",
                               sec.name, r.offset, displayName(t.sym), r.type));
        continue;
      }
      externalIndex[t.sym] = externals.size();
      externals.push_back(externalFor(t.sym));
    }
  }
}

// The external symbol for patched symbol `sym`: bound and typed as in the original.
ExternalSymbol Differ::externalFor(uint32_t sym) {
  const relocs::SymbolPositions& positions = this->positions();
  ExternalSymbol x;
  x.name = displayName(sym);
  uint32_t o = correlation.twinOfSym[sym];
  const elf::Symbol& os = o ? orig.sym(o) : patched.sym(sym);
  x.wasLocal = os.bind == STB_LOCAL;
  x.type = os.type;
  if (!x.wasLocal) {
    x.sympos = positions.positionOfGlobal(x.name).value_or(0);
    return x;
  }
  std::optional<uint32_t> pos = positions.positionOf(x.name, orig.fileName);
  x.sympos = pos.value_or(0);
  if (!pos)
    addRefusal(refusals, "missing-symbol", x.name,
               fmt::format("the patch refers to static {} but {} has no such symbol for {} (inlined or optimized away "
                           "in the running kernel); include it in the patch",
                           x.name, (opts.symbols ? opts.symbols->path : orig.elf.path), orig.fileName));
  return x;
}

}  // namespace lpb::differ
