#include "pipeline/UnitDiff.h"

#include <fmt/format.h>

namespace lpb::pipeline {

SymbolFiles::SymbolFiles(const kbuild::KernelTree& tree, const elf::ElfObject& vmlinux,
                         std::function<void(const std::string&, const elf::ElfObject&)> onModuleOpened)
    : tree_(tree), vmlinux_(vmlinux), onModuleOpened_(std::move(onModuleOpened)) {}

const elf::ElfObject& SymbolFiles::forUnit(const kbuild::Unit& unit) {
  if (unit.linkedInto == "vmlinux") return vmlinux_;
  auto& m = modules_[unit.linkedInto];
  if (!m) {
    auto ko = tree_.moduleFile(unit.linkedInto);
    if (!ko) {
      modules_.erase(unit.linkedInto);
      throw elf::InputError(tree_.objDir(), fmt::format("module {} (for {}) is not built in this tree",
                                                        unit.linkedInto, unit.source));
    }
    m = std::make_unique<elf::ElfObject>(elf::ElfObject::openAny(*ko));
    if (onModuleOpened_) onModuleOpened_(unit.linkedInto, *m);
  }
  return *m;
}

std::vector<std::string> SymbolFiles::modules() const {
  std::vector<std::string> out;
  for (const auto& [name, elf] : modules_) out.push_back(name);
  return out;
}

differ::DiffOptions unitDiffOptions(const kbuild::KernelProfile& profile, const kbuild::Unit& unit,
                                    const elf::ElfObject& symbols, const std::string& sourceDir) {
  differ::DiffOptions opts;
  opts.structSizes = profile.structSizes;
  opts.symbols = &symbols;
  opts.compareTypeLayouts = true;
  opts.kernelSourceDir = sourceDir;
  if (unit.linkedInto != "vmlinux") opts.module = unit.linkedInto;
  return opts;
}

UnitDiff diffUnit(const kbuild::UnitObjects& objects, const kbuild::KernelProfile& profile, SymbolFiles& symbols,
                  const std::string& sourceDir) {
  UnitDiff d;
  d.objects = objects;
  const elf::ElfObject& symbolFile = symbols.forUnit(objects.unit);
  d.original = std::make_unique<elf::ElfObject>(elf::ElfObject::open(objects.original));
  d.patched = std::make_unique<elf::ElfObject>(elf::ElfObject::open(objects.patched));
  d.result = differ::diffObjects(*d.original, *d.patched, unitDiffOptions(profile, objects.unit, symbolFile, sourceDir));
  return d;
}

}  // namespace lpb::pipeline
