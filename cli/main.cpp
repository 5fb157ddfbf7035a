// lp-build: Linux kernel livepatch module builder.
//   lp-build diff ORIG.o PATCHED.o -o OUT.o   the object differ
// Exit status: 0 success, 1 refused (reasons on stderr), 2 bad input or usage, 3 no change.
#include <cstdio>
#include <fmt/format.h>

#include "cli/Commands.h"

int main(int argc, char** argv) {
  CLI::App app{"lp-build: turn a kernel source fix into a livepatch module"};
  app.require_subcommand(1);
  lpb::cli::DiffArgs diff;
  lpb::cli::addDiffCommand(app, diff);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "bad usage";
    fmt::print(stderr, "lp-build: {} (see lp-build --help)\n", msg);
    return 2;
  }
  if (app.got_subcommand("diff")) return lpb::cli::runDiff(diff);
  return 2;
}
