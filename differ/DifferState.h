// The differ's stages (one file each), each a function of the results before it:
//   Correlate.cpp  correlate(orig, patched) -> Correlation: which symbol and section is which
//   Compare.cpp    compare(orig, patched, Correlation) -> Comparison: what changed (code and
//                  relocation targets, not addresses)
//   Kpatch.cpp     readKpatchDirectives(patched) -> KpatchDirectives (kpatch-macros.h), and
//                  ignoreDirected: what they tell to ignore counts as unchanged
//   Include.cpp    include(StageInputs) -> Inclusion: what the patch object contains, entry
//                  by entry for special sections and address tables
//   Rules.cpp      checkRules(StageInputs, Inclusion&) -> refusals
//   Differ.cpp     Differ::run: the stages in order, then the references the patch keeps to
//                  the running kernel and the report
//   Emit.cpp       writeDiffObject: the chosen pieces as a new relocatable object
// The Differ owns the two object models and every result, for Emit. All per-symbol and
// per-section vectors index the PATCHED object unless named *Orig.
#pragma once

#include <optional>

#include "relocs/SymbolPositions.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "differ/Differ.h"
#include "differ/ObjectModel.h"

namespace lpb::differ {

enum class Status : uint8_t { Same, Changed, New };

// One entry of a special section: [begin, end) of the section, and whether it is kept.
struct SpecialEntry {
  uint64_t begin = 0, end = 0;
  bool keep = false;
};


// Correlate.cpp's result: which symbol and section of one object is which of the other's,
// and what each function and object uses. Indexes as named (patched unless *Orig).
struct Correlation {
  std::vector<uint32_t> twinOfSym;      // patched symbol -> orig symbol (0: none)
  std::vector<uint32_t> twinOfSymOrig;  // orig symbol -> patched symbol
  std::vector<uint32_t> twinOfSec;      // patched section -> orig section
  std::vector<uint32_t> twinOfSecOrig;
  // Symbols each function/object uses (resolved relocation targets), per object.
  std::vector<std::set<uint32_t>> usesOrig, usesPatched;
};
Correlation correlate(const ObjectModel& orig, const ObjectModel& patched);

// Compare.cpp's result, indexed by the patched object's symbols and sections.
struct Comparison {
  std::vector<Status> symStatus;          // functions and objects
  std::vector<std::string> changeReason;  // what differs first, for changed symbols
  std::vector<Status> secStatus;          // sections compared whole (anonymous data, code islands)
};
Comparison compare(const ObjectModel& orig, const ObjectModel& patched, const Correlation& correlation,
                   const arch::Target& target);

// What kpatch-style patches ask for through kpatch-macros.h (Kpatch.cpp).
struct KpatchDirectives {
  std::set<uint32_t> ignoredFunctions, forcedFunctions;  // KPATCH_IGNORE_FUNCTION, KPATCH_FORCE_UNSAFE
  std::set<uint32_t> ignoredSections;                     // KPATCH_IGNORE_SECTION
  std::vector<uint32_t> callbackSections;                 // .kpatch.callbacks.<kind>
  struct Callback {
    std::string kind;   // pre_patch, post_patch, pre_unpatch, post_unpatch
    uint32_t function;  // patched symbol
  };
  std::vector<Callback> callbacks;  // one per entry of the callback sections
};
KpatchDirectives readKpatchDirectives(const ObjectModel& patched);
// Ignored functions (with their families) and sections count as unchanged.
void ignoreDirected(const KpatchDirectives& directives, const ObjectModel& patched, Comparison& comparison);

// What the stages after Compare read: the two objects and the results before them.
struct StageInputs {
  const ObjectModel& orig;
  const ObjectModel& patched;
  const Correlation& correlation;
  const Comparison& comparison;
  const KpatchDirectives& directives;
  const arch::Target& target;
  const DiffOptions& opts;
  // A patched symbol's name in reports and in the patch object: the original's when paired.
  std::string displayName(uint32_t patchedSym) const {
    uint32_t o = correlation.twinOfSym[patchedSym];
    return std::string(o ? orig.sym(o).name : patched.sym(patchedSym).name);
  }
};

// Include.cpp's result: what the patch object contains, indexed by the patched object's
// symbols and sections.
struct Inclusion {
  std::vector<bool> includedSym, includedSec;
  std::vector<std::vector<SpecialEntry>> specialEntries;  // per section kept entry by entry
  std::vector<std::string> includeReason;                 // per symbol
  // Included functions the kernel redirects: changed (or their .cold piece did) and in the
  // original; a .cold piece has no entry of its own and a new function nothing to redirect.
  std::vector<bool> patchTarget;
  std::vector<std::string> warnings;  // entry sizes that disagreed with the given ones

  // The kept or dropped entry holding `offset` of section `s` (nullptr: none).
  const SpecialEntry* entryAt(uint32_t s, uint64_t offset) const;
  SpecialEntry* entryAt(uint32_t s, uint64_t offset);
  bool inKeptEntry(uint32_t s, uint64_t offset) const {
    const SpecialEntry* e = entryAt(s, offset);
    return e && e->keep;
  }
};
Inclusion include(const StageInputs& in);

// Every refusal rule, in the order the report lists them. A rule may still drop a special
// entry from the inclusion (a module-owned tracepoint key stays disabled) or add to a
// function's reason; it never includes anything.
std::vector<Refusal> checkRules(const StageInputs& in, Inclusion& inclusion);
// Adds a refusal unless the same rule already refused the same name.
void addRefusal(std::vector<Refusal>& refusals, std::string rule, std::string name, std::string reason);

class Differ {
 public:
  Differ(const elf::ElfObject& orig, const elf::ElfObject& patched, const arch::Target& target,
         const DiffOptions& opts);
  DiffResult run();
  void write(const std::string& path, const EmitOptions& emit) const;
  std::string displayName(uint32_t patchedSym) const { return inputs().displayName(patchedSym); }

  const arch::Target& target;
  const DiffOptions opts;  // a copy: the result (and Emit) outlive the caller's options
  ObjectModel orig, patched;

  Correlation correlation;
  Comparison comparison;  // with what the kpatch directives ignore marked the same
  KpatchDirectives directives;
  Inclusion inclusion;
  std::vector<Refusal> refusals;
  std::vector<ExternalSymbol> externals;
  std::map<uint32_t, size_t> externalIndex;  // patched symbol -> externals[]

 private:
  StageInputs inputs() const { return {orig, patched, correlation, comparison, directives, target, opts}; }
  void resolveExternals();
  ExternalSymbol externalFor(uint32_t sym);
  std::vector<FunctionReport> reportFunctions();
  // Positions of same-named symbols in the symbols file (vmlinux: built once, on first use).
  const relocs::SymbolPositions& positions();
  std::optional<relocs::SymbolPositions> positions_;
};

}  // namespace lpb::differ
