// Module.symvers (a distro's headers package, or the tree's) and kbuild's shell text (the
// command lines of .cmd records).
#include "kbuild/Shell.h"
#include "relocs/KernelSymbols.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lpb;
  std::string path = fuzz::inputFile("Module.symvers", data, size);
  fuzz::expectOnlyInputErrors([&] { (void)relocs::readSymvers(path); });
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::expectOnlyInputErrors([&] {
    for (const auto& step : kbuild::splitShellSteps(text)) (void)kbuild::splitShellWords(step);
  });
  return 0;
}
