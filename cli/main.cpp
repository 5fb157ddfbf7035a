// lp-build: Linux kernel livepatch module builder.
//   lp-build [build] PATCH... [options]       patch -> livepatch module (the default command)
//   lp-build check PATCH... [options]         pre-flight: can this fix be live-patched?
//   lp-build diff ORIG.o PATCHED.o -o OUT.o   the object differ
// Exit status: 0 success, 1 refused (reasons on stderr), 2 bad input or usage, 3 no change.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "cli/Commands.h"

namespace {

// `build` is the default command: `lp-build fix.patch` means `lp-build build fix.patch`.
std::vector<std::string> withDefaultCommand(int argc, char** argv, const std::vector<std::string>& commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return {"build"};
  const std::string& first = args[0];
  bool isCommand = std::find(commands.begin(), commands.end(), first) != commands.end();
  bool isTopLevelFlag = first == "-h" || first == "--help" || first == "--version";
  if (!isCommand && !isTopLevelFlag) args.insert(args.begin(), "build");
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lp-build: turn a kernel source fix into a livepatch module"};
  app.require_subcommand(1);
  // The version line also says where lp-build's own files are found (an installation's
  // share/lp-build, or the source tree of a build).
  app.set_version_flag("--version", fmt::format("lp-build {} (data: {})", LPB_VERSION, lpb::cli::dataDir()));
  lpb::cli::Commands commands;
  lpb::cli::addCommands(app, commands);

  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  std::vector<std::string> args = withDefaultCommand(argc, argv, names);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "bad usage";
    fmt::print(stderr, "lp-build: {} (see lp-build --help)\n", msg);
    return 2;
  }
  // Each command reports its own errors; anything that still escapes is lp-build's fault,
  // said in one line rather than an abort.
  try {
    return lpb::cli::runCommand(app, commands);
  } catch (const std::exception& e) {
    fmt::print(stderr, "lp-build: internal error (a bug in lp-build): {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "lp-build: internal error (a bug in lp-build): unknown exception\n");
  }
  return 2;
}
