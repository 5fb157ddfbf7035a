#include "cli/Commands.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace lpb::cli {

std::string dataDir() {
  if (const char* d = std::getenv("LPB_DATA_DIR")) return d;
  return LPB_DATA_DIR;
}

std::string cacheRoot() {
  if (const char* c = std::getenv("LPB_CACHE")) return c;
  std::string def = "/var/cache/lp-build";
  std::error_code ec;
  std::filesystem::create_directories(def, ec);
  if (!ec && ::access(def.c_str(), W_OK) == 0) return def;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/lp-build";
}

void addCommands(CLI::App& app, Commands& c) {
  addBuildCommand(app, c.build);
  addDiffCommand(app, c.diff);
  addCheckCommand(app, c.check);
}

int runCommand(const CLI::App& app, const Commands& c) {
  if (app.got_subcommand("build")) return runBuild(c.build);
  if (app.got_subcommand("diff")) return runDiff(c.diff);
  if (app.got_subcommand("check")) return runCheck(c.check);
  return 2;
}

}  // namespace lpb::cli
