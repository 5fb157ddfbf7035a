// The ELF object reader and the differ on a pair of objects, then the writer: the input
// is a 4-byte little-endian length N, N bytes of the original object, then the patched
// object. Seeds: the conformance corpus's pairs and the test objects (seed-corpus.sh).
#include "differ/Differ.h"
#include "tests/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lpb;
  if (size < 4) return 0;
  size_t n = size_t(data[0]) | size_t(data[1]) << 8 | size_t(data[2]) << 16 | size_t(data[3]) << 24;
  if (n > size - 4) return 0;
  std::string orig = fuzz::inputFile("orig.o", data + 4, n);
  std::string patched = fuzz::inputFile("patched.o", data + 4 + n, size - 4 - n);
  std::string out = fuzz::inputFile("out.o", nullptr, 0);
  fuzz::expectOnlyInputErrors([&] {
    elf::ElfObject a = elf::ElfObject::open(orig);
    elf::ElfObject b = elf::ElfObject::open(patched);
    differ::DiffOptions opts;
    differ::DiffResult r = differ::diffObjects(a, b, opts);
    if (r.verdict == differ::Verdict::Patchable) differ::writeDiffObject(r, out);
  });
  return 0;
}
