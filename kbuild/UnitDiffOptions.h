// The object differ's options for one unit of a kernel build, in one place so that
// `lp-build build` and `lp-build check --deep` reach the same verdict on the same objects:
// the kernel's special-section struct sizes (from its profile, --struct-size applied), sympos
// and static-key ownership against vmlinux or the unit's module, and type layouts compared
// (struct/union layout and enum value changes are refusals). Header-only: kbuild itself does
// not link the differ.
#pragma once

#include "differ/Differ.h"
#include "elfgen/ElfObject.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/KernelTree.h"

namespace lpb::kbuild {

// `symbols`: vmlinux for a unit linked into vmlinux, else the built module it links into;
// `sourceDir`: the kernel's source tree.
inline differ::DiffOptions unitDiffOptions(const KernelProfile& profile, const Unit& unit,
                                           const elf::ElfObject* symbols, const std::string& sourceDir) {
  differ::DiffOptions opts;
  opts.structSizes = profile.structSizes;
  opts.symbols = symbols;
  opts.compareTypeLayouts = true;
  opts.kernelSourceDir = sourceDir;
  if (unit.linkedInto != "vmlinux") opts.module = unit.linkedInto;
  return opts;
}

}  // namespace lpb::kbuild
