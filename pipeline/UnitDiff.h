// The "compile and diff one unit" stage, shared by `lp-build build` and `lp-build check
// --deep` so that both reach the same verdict on the same objects: the differ gets the
// kernel's special-section struct sizes (its profile, --struct-size applied), sympos and
// static-key ownership against vmlinux or the unit's module, and type layouts compared.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "differ/Differ.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/KernelTree.h"

namespace lpb::pipeline {

// The objects a unit's references are looked up in: vmlinux, or the built module the unit
// links into (each opened once, on first use).
class SymbolFiles {
 public:
  // `onModuleOpened` sees each module when it is first read (the build adds its symbols).
  SymbolFiles(const kbuild::KernelTree& tree, const elf::ElfObject& vmlinux,
              std::function<void(const std::string& module, const elf::ElfObject&)> onModuleOpened = {});
  // Throws elf::InputError when the unit's module is not built in the tree.
  const elf::ElfObject& forUnit(const kbuild::Unit& unit);
  // The modules opened so far (the modules the patch changes), by name.
  std::vector<std::string> modules() const;

 private:
  const kbuild::KernelTree& tree_;
  const elf::ElfObject& vmlinux_;
  std::function<void(const std::string&, const elf::ElfObject&)> onModuleOpened_;
  std::map<std::string, std::unique_ptr<elf::ElfObject>> modules_;
};

// A unit's two objects and the differ's result on them. The result refers into the objects,
// which this owns (and keeps at a fixed address).
struct UnitDiff {
  kbuild::UnitObjects objects;
  std::unique_ptr<elf::ElfObject> original, patched;
  differ::DiffResult result;
};

// The differ's options for one unit (`symbols`: SymbolFiles::forUnit).
differ::DiffOptions unitDiffOptions(const kbuild::KernelProfile& profile, const kbuild::Unit& unit,
                                    const elf::ElfObject& symbols, const std::string& sourceDir);

// Runs the differ on one compiled unit.
UnitDiff diffUnit(const kbuild::UnitObjects& objects, const kbuild::KernelProfile& profile, SymbolFiles& symbols,
                  const std::string& sourceDir);

}  // namespace lpb::pipeline
