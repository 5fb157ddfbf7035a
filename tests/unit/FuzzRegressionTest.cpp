// Every input the fuzzers found a bug with (testdata/fuzz/<harness>/<name>) goes through
// its harness again: the bug must stay fixed (no crash, no sanitizer report, nothing but
// elf::InputError escaping). scripts/fuzz.sh writes new findings to build-fuzz/fuzz/findings/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/Harnesses.h"

namespace fs = std::filesystem;

TEST_CASE("saved fuzz findings stay fixed") {
  fs::path root = fs::path(LPB_SOURCE_DIR) / "testdata" / "fuzz";
  size_t replayed = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    lpb::fuzz::Harness h = lpb::fuzz::harnessNamed(dir.path().filename().string());
    bool known = h != nullptr;
    REQUIRE_MESSAGE(known, "testdata/fuzz/" << dir.path().filename().string() << ": no such harness");
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::ifstream in(f.path(), std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      MESSAGE("replaying " << f.path().string());
      h(bytes.data(), bytes.size());
      ++replayed;
    }
  }
  CHECK(replayed > 0);
}
