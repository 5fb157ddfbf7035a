#include "differ/Differ.h"

#include <elf.h>

#include <algorithm>
#include <map>
#include <fmt/format.h>

#include "differ/DifferState.h"

namespace lpb::differ {

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
  correlate();
  compare();
  processKpatchSections();
  include();
  checkRules();
  resolveExternals();

  // The report, one line per included or refused function.
  std::set<std::string> refusedNames;
  for (const auto& r : refusals) refusedNames.insert(r.name);
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!info.isFunction || info.isPrefix || !patched.sym(p).isDefined()) continue;
    std::string name = displayName(p);
    bool refused = refusedNames.count(name);
    if (!includedSym[p] && !refused) continue;
    FunctionReport f;
    f.name = name;
    f.status = refused                           ? FunctionStatus::Refused
               : symStatus[p] == Status::Changed ? FunctionStatus::Changed
               : symStatus[p] == Status::New     ? FunctionStatus::New
                                                 : FunctionStatus::UnchangedButIncluded;
    f.reason = includeReason[p];
    if (forcedFunctions.count(p)) f.reason += " (KPATCH_FORCE_UNSAFE)";
    if (info.parent >= 0) f.parent = displayName(static_cast<uint32_t>(info.parent));
    f.patchTarget = !refused && symStatus[p] == Status::Changed && info.parent < 0 && twinOfSym[p] &&
                    patched.kindOfSymbol(p) == SectionKind::Text;
    functions.push_back(std::move(f));
  }

  DiffResult r;
  r.arch = std::string(target.name());
  r.refusals = refusals;
  r.functions = functions;
  r.externals = externals;
  r.warnings = warnings;
  bool anything = std::any_of(includedSym.begin(), includedSym.end(), [](bool b) { return b; }) ||
                  !callbackSections.empty();
  r.verdict = !refusals.empty() ? Verdict::Refused : anything ? Verdict::Patchable : Verdict::NoChange;
  return r;
}

void Differ::resolveExternals() {
  // Position of a static symbol among the same-named locals of the symbols file, in the
  // order the kernel counts them: kallsyms (address) order for vmlinux, symbol-table order
  // for a module or object.
  const elf::ElfObject& symfile = opts.symbols ? *opts.symbols : orig.elf;
  // Local function/object symbols by name, each with the STT_FILE scope it sits in.
  std::multimap<std::string_view, std::pair<const elf::Symbol*, std::string_view>> locals;
  {
    std::string_view file;
    for (const auto& s : symfile.symbols) {
      if (s.type == STT_FILE) file = s.name;
      if (s.bind == STB_LOCAL && (s.type == STT_FUNC || s.type == STT_OBJECT)) locals.emplace(s.name, std::pair{&s, file});
    }
  }
  auto sympos = [&](std::string_view name, bool& found) -> uint32_t {
    std::vector<const elf::Symbol*> same;
    const elf::Symbol* ours = nullptr;
    auto [lo, hi] = locals.equal_range(name);
    for (auto it = lo; it != hi; ++it) {
      auto [s, file] = it->second;
      same.push_back(s);
      std::string_view base = file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1);
      if (!ours && (base == orig.fileName || file == orig.fileName)) ours = s;
    }
    std::sort(same.begin(), same.end(), [](auto* a, auto* b) { return a->index < b->index; });
    found = !same.empty();
    if (same.size() <= 1) return 0;
    if (!ours) {
      found = false;
      return 0;
    }
    if (symfile.fileType != ET_REL)
      std::stable_sort(same.begin(), same.end(), [](auto* a, auto* b) { return a->value < b->value; });
    return static_cast<uint32_t>(std::find(same.begin(), same.end(), ours) - same.begin() + 1);
  };

  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s) {
    if (!includedSec[s]) continue;
    const elf::Section& sec = patched.sec(s);
    for (const auto& r : sec.relocs) {
      RelocTarget t = patched.resolve(sec, r);
      const elf::Symbol& ts = patched.sym(t.sym);
      bool inside = ts.isDefined() && (patched.symbols[t.sym].isFunction || patched.symbols[t.sym].isObject
                                           ? bool(includedSym[t.sym])
                                           : bool(includedSec[ts.shndx]));
      if (t.sym == 0 || inside || externalIndex.count(t.sym) || t.anonymous()) continue;
      if (patched.sections[s].kind == SectionKind::Special && !inKeptEntry(s, r.offset)) continue;
      ExternalSymbol x;
      x.name = displayName(t.sym);
      uint32_t o = twinOfSym[t.sym];
      const elf::Symbol& os = o ? orig.sym(o) : ts;
      x.wasLocal = os.bind == STB_LOCAL;
      x.type = os.type;
      if (x.wasLocal) {
        bool found = false;
        x.sympos = sympos(x.name, found);
        if (!found)
          refuse("missing-symbol", x.name,
                 fmt::format("the patch refers to static {} but {} has no such symbol for {} (inlined or "
                             "optimized away in the running kernel); include it in the patch",
                             x.name, symfile.path, orig.fileName));
      }
      externalIndex[t.sym] = externals.size();
      externals.push_back(std::move(x));
    }
  }
}

}  // namespace lpb::differ
