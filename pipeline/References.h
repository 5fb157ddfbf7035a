// The relocation stage: how every reference out of the patch code is written in the
// module. A reference to a symbol the kernel exports stays an undefined symbol for the
// module loader; any other becomes a livepatch symbol (`.klp.sym.OBJ.NAME,POS`), which the
// klp rewrite later turns into `.klp.rela` relocations (relocs/KernelSymbols.h decides).
// Each unit's patch object is written here, with those names.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "module/PatchModule.h"
#include "pipeline/Report.h"
#include "pipeline/UnitDiff.h"
#include "relocs/KernelSymbols.h"

namespace lpb::pipeline {

struct LinkedPatch {
  // The module's objects, functions, callbacks and namespaces (name, description and
  // replace are the caller's).
  module::ModuleSpec spec;
  std::map<std::string, unsigned> referenceKinds;  // "export", "export:NS", "livepatch:OBJ" -> count
};

// Writes unitN.o for each patchable unit into `workDir`. A reference nothing defines is
// refused as `missing-symbol` through `report`.
LinkedPatch linkReferences(const std::vector<UnitDiff>& diffs, const relocs::KernelSymbols& symbols,
                           const std::string& vmlinuxPath, const std::string& workDir, BuildReport& report);

}  // namespace lpb::pipeline
