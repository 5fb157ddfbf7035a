// The Clang side of the pre-flight checker: parse one kernel compilation unit with the
// kernel's own flags and describe, as JSON, every declaration that lies in the files a
// patch touches. The description is what preflight/ compares between the original and the
// patched unit; it holds facts (names, lines, token hashes, attributes, calls), no verdicts.
//
// This code is the only part of lp-build linked against libclang-cpp. It runs in its own
// process (lpb-unit-model) because loading libclang-cpp and libLLVM costs ~30 ms at every
// start, which `lp-build diff` (a few milliseconds) must not pay.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lpb::preflight {

// GCC kernel flags -> Clang flags for a syntax-only parse: GCC-only options dropped,
// warnings off, target triple from the compiler name. `gccArgv[0]` is the compiler.
std::vector<std::string> clangArgsFromGcc(const std::vector<std::string>& gccArgv);

struct UnitModelRequest {
  std::vector<std::string> gccArgv;    // as kbuild ran it (compiler first, source included)
  std::string workingDir;              // kbuild's cwd for the command: the object directory
  std::vector<std::string> interest;   // absolute paths of the files whose declarations are wanted
};

// Parses and describes the unit. On a parse failure throws std::runtime_error whose message
// is the first error diagnostic ("file:line: message").
nlohmann::json buildUnitModel(const UnitModelRequest& req);

}  // namespace lpb::preflight
