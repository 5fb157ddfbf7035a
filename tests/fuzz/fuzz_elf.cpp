// The ELF reader for linked images (vmlinux, .ko: openAny), its build-id note, and the
// DWARF readers (struct sizes for the kernel profile, type layouts, unit names).
#include "elfgen/DwarfTypes.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lpb;
  std::string path = fuzz::inputFile("image", data, size);
  fuzz::expectOnlyInputErrors([&] {
    elf::ElfObject o = elf::ElfObject::openAny(path);
    (void)o.buildId();
  });
  fuzz::expectOnlyInputErrors([&] { (void)elf::structSizes(path, {"bug_entry", "jump_entry", "exception_table_entry"}); });
  fuzz::expectOnlyInputErrors([&] { (void)elf::typeLayouts(path); });
  fuzz::expectOnlyInputErrors([&] { (void)elf::compileUnitNames(path); });
  return 0;
}
