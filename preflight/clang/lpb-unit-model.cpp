// lpb-unit-model: the Clang parse of one unit, run by `lp-build check` as a child process.
//   lpb-unit-model --cwd OBJDIR [--interest FILE]... -- GCC-COMMAND...
// Prints the unit's model (preflight/clang/UnitModel.h) as JSON on stdout. On failure prints
// one line (the first error, "file:line: message") on stderr and exits 2.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "preflight/clang/UnitModel.h"

int main(int argc, char** argv) {
  lpb::preflight::UnitModelRequest req;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) break;
    if (a == "--cwd") req.workingDir = argv[++i];
    else if (a == "--interest") req.interest.push_back(argv[++i]);
  }
  for (; i < argc; ++i) req.gccArgv.push_back(argv[i]);
  if (req.gccArgv.empty() || req.workingDir.empty()) {
    std::fprintf(stderr, "usage: lpb-unit-model --cwd OBJDIR [--interest FILE]... -- GCC-COMMAND...\n");
    return 2;
  }
  try {
    std::string out = lpb::preflight::buildUnitModel(req).dump();
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
