// The differ's stages (one file each) and the data between them:
//   Correlate.cpp  correlate(orig, patched) -> Correlation: which symbol and section is which
//   Compare.cpp    compare(..., Correlation) -> Comparison: what changed (code and
//                  relocation targets, not addresses)
//   Include.cpp    Differ::include -> Inclusion: what the patch object contains, entry by
//                  entry for special sections and address tables
//   Rules.cpp      Differ::checkRules -> refusals
//   Emit.cpp       Differ::write: the chosen pieces as a new relocatable object
// The Differ holds the two object models, the results and the kpatch directives; the
// stages after Compare read them through it. All per-symbol and per-section vectors index
// the PATCHED object unless named *Orig.
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

// Include.cpp's result: what the patch object contains, indexed by the patched object's
// symbols and sections.
struct Inclusion {
  std::vector<bool> includedSym, includedSec;
  std::vector<std::vector<SpecialEntry>> specialEntries;  // per section kept entry by entry
  std::vector<std::string> includeReason;                 // per symbol
};

class Differ {
 public:
  Differ(const elf::ElfObject& orig, const elf::ElfObject& patched, const arch::Target& target,
         const DiffOptions& opts);
  DiffResult run();
  void write(const std::string& path, const EmitOptions& emit) const;

  // --- Include.cpp ---
  void processKpatchSections();
  void include();
  void includeSymbol(uint32_t sym, const std::string& why);
  void includeSection(uint32_t sec);
  void filterSpecialSections();
  void filterInLockstep(const elf::Section& sec);
  bool keepAddressTableEntry(uint32_t sec, int64_t offset);
  // Is section `s` of the patched object kept entry by entry (special sections, address
  // tables), so that only what its kept entries refer to counts?
  bool keptEntryByEntry(uint32_t s) const {
    return patched.sections[s].kind == SectionKind::Special || patched.sections[s].addressTableEntrySize;
  }
  // --- Rules.cpp ---
  void checkRules();
  void checkFunction(uint32_t sym);
  void checkChangedObject(uint32_t sym);
  void checkChangedConstant(uint32_t sym, uint64_t origSize);
  void checkUnknownSections();
  void checkRuntimeConstants();
  void checkRemovedStaticLocals();
  void checkSectionGroups();
  void checkModuleOwnedKeys();
  bool keyIsModuleOwned(uint32_t key) const;
  void checkTypeLayouts();
  // The architecture's rule for patch targets that receive arguments in their caller's frame.
  void checkStackArguments();
  void refuse(std::string rule, std::string name, std::string reason);
  void resolveExternals();

  const arch::Target& target;
  const DiffOptions opts;  // a copy: the result (and Emit) outlive the caller's options
  ObjectModel orig, patched;

  Correlation correlation;  // Correlate.cpp
  Comparison comparison;    // Compare.cpp; KPATCH_IGNORE_* then marks some the same
  Inclusion inclusion;      // Include.cpp (Rules.cpp may still drop an entry)
  std::set<uint32_t> ignoredFunctions, forcedFunctions;   // kpatch macros
  std::set<uint32_t> ignoredSections;
  std::vector<uint32_t> callbackSections;
  std::vector<std::pair<std::string, std::string>> callbacks;  // (kind, function)
  std::vector<Refusal> refusals;
  std::vector<FunctionReport> functions;
  std::vector<ExternalSymbol> externals;
  std::map<uint32_t, size_t> externalIndex;  // patched symbol -> externals[]

  // Positions of same-named symbols in the symbols file (vmlinux: built once, on first use).
  const relocs::SymbolPositions& positions();
  std::optional<relocs::SymbolPositions> positions_;


  // The kept/dropped entry holding `offset` of special section `s` (nullptr: none).
  const SpecialEntry* entryAt(uint32_t s, uint64_t offset) const;
  SpecialEntry* entryAt(uint32_t s, uint64_t offset);
  bool inKeptEntry(uint32_t s, uint64_t offset) const {
    const SpecialEntry* e = entryAt(s, offset);
    return e && e->keep;
  }
  unsigned entrySize(const arch::SpecialSection& s) const;
  unsigned checkedEntrySize(const elf::Section& sec, const arch::SpecialSection& s);
  std::vector<std::string> warnings;
  std::string displayName(uint32_t patchedSym) const;  // the original's name when paired
  bool isPatchTarget(uint32_t sym) const;
};

}  // namespace lpb::differ
