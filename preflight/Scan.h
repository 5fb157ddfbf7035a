// Lexical scans of kernel sources that are not parsed: which functions of a file use an
// identifier. Used to measure how far a header change reaches and who calls a function
// whose prototype changes, across units that would take minutes to parse one by one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kbuild/Files.h"

namespace lpb::preflight {

// The functions defined in C `source` whose bodies mention `identifier`, in order, each once.
// Preprocessor lines are skipped; a function is a top-level `name(...) {` at brace depth 0.
std::vector<std::string> functionsUsing(std::string_view source, std::string_view identifier);

// Whole-word occurrence of `identifier` anywhere in `source` (fast pre-filter).
bool mentions(std::string_view source, std::string_view identifier);

using kbuild::readFile;  // the file's contents ("" if unreadable)

}  // namespace lpb::preflight
