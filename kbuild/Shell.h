// Running the real tools (the compiler, GNU patch, make) and reading kbuild's shell text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lpb::kbuild {

// A kbuild command line is POSIX shell text: `;`-separated steps of words with '...',
// "..." and backslash quoting (kbuild writes `-DKBUILD_MODNAME='"proc"'`).
std::vector<std::string> splitShellSteps(std::string_view line);
std::vector<std::string> splitShellWords(std::string_view step);

struct ProcessResult {
  int status = -1;       // exit status, or 128+signal
  std::string output;    // stdout and stderr together (when captured)
};

struct ProcessOptions {
  std::string cwd;
  std::string stdinFile;            // empty: /dev/null
  bool capture = true;              // collect stdout+stderr (else inherit)
  std::vector<std::string> env;     // extra NAME=VALUE
};

// Where `name` would run from: itself if it has a '/', else the first executable of that
// name in PATH ("" when there is none).
std::string findProgram(const std::string& name);

// Runs argv[0] (searched in PATH) and waits for it.
ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

// Starts several processes at once, at most `jobs` running, and waits for all.
std::vector<ProcessResult> runParallel(const std::vector<std::vector<std::string>>& argvs,
                                       const std::vector<ProcessOptions>& opts, unsigned jobs);

// The first line of `text` that looks like an error (for one-line messages), else its first line.
std::string firstErrorLine(const std::string& text);

}  // namespace lpb::kbuild
