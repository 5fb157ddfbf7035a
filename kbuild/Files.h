// Small file-system helpers shared by the stages.
#pragma once

#include <string>
#include <string_view>

namespace lpb::kbuild {

// The file's contents ("" if unreadable).
std::string readFile(const std::string& path);

// Removes the entries of `dir` named `<anything><marker><pid>` whose process is gone: the
// scratch that killed lp-build runs leave behind.
void removeEntriesOfDeadProcesses(const std::string& dir, std::string_view marker);

}  // namespace lpb::kbuild
