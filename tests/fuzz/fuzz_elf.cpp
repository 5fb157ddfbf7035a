// libFuzzer entry: lpb::fuzz::linkedImage (tests/fuzz/Harnesses.h says what it feeds).
#include "tests/fuzz/Harnesses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lpb::fuzz::linkedImage(data, size);
  return 0;
}
