// libFuzzer entry: lpb::fuzz::unitModel (tests/fuzz/Harnesses.h says what it feeds).
#include "tests/fuzz/Harnesses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lpb::fuzz::unitModel(data, size);
  return 0;
}
