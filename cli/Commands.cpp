#include "cli/Commands.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace lpb::cli {

std::map<arch::EntryKind, unsigned> parseStructSizes(const std::vector<std::string>& kvs) {
  std::map<arch::EntryKind, unsigned> out;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : arch::entryKindFromName(kv.substr(0, eq));
    unsigned long n = 0;
    try {
      if (kind) n = std::stoul(kv.substr(eq + 1));
    } catch (...) {
      kind.reset();
    }
    if (!kind || n == 0 || n > 4096)
      throw elf::InputError("--struct-size " + kv,
                            "expected KIND=BYTES with KIND one of bug ex alt jump orc para static_call printk_index fixup");
    out[*kind] = unsigned(n);
  }
  return out;
}

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
