// The lp-build commands: each registers its options on the CLI11 app and runs from them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace lpb::cli {

struct DiffArgs {
  std::string orig, patched, output, symbols, module, json;
  std::vector<std::string> structSizes;
};
void addDiffCommand(CLI::App& app, DiffArgs& args);
int runDiff(const DiffArgs& args);

}  // namespace lpb::cli
