// The unified-diff reader (the patches a user hands lp-build).
#include "kbuild/Patch.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lpb;
  std::string path = fuzz::inputFile("patch.diff", data, size);
  fuzz::expectOnlyInputErrors([&] { (void)kbuild::readPatch(path); });
  return 0;
}
