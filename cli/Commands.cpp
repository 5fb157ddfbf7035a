#include "cli/Commands.h"

namespace lpb::cli {

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
