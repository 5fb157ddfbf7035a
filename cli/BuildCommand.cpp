// `lp-build [build] PATCH...`: a kernel fix in, a livepatch module out. The options become
// a pipeline::BuildRequest; the stages are pipeline/Build.cpp's.
//
// Exit status: 0 module written, 1 refused, 2 bad input, 3 the patch changes nothing.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "cli/Commands.h"
#include "cli/Progress.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"
#include "pipeline/Build.h"

namespace fs = std::filesystem;

namespace lpb::cli {

void addBuildCommand(CLI::App& app, BuildArgs& a) {
  CLI::App* b = app.add_subcommand("build", "Build a livepatch module from kernel source patches (the default command)");
  b->add_option("patches", a.patches, "unified diffs against the kernel source (-p1)")->required();
  addKernelOptions(*b, a.kernel);
  b->add_option("-t,--target", a.targets, "only patch code of this object: vmlinux or a module name (repeatable)");
  b->add_option("-n,--name", a.name, "module name (default: livepatch-<first patch's name>)");
  b->add_option("-o,--output", a.output, "where to write the module (default: ./<name>.ko)");
  b->add_option("-j,--jobs", a.jobs, "parallel compiles (default: number of CPUs)");
  b->add_flag("-R,--non-replace", a.nonReplace, "do not replace earlier cumulative patches (klp_patch.replace = false)");
  b->add_option("--json", a.json, "write a JSON report");
  b->add_flag("--keep-tmp", a.keepTmp, "keep the work directory");
  b->add_flag("--kbuild-make", a.kbuildMake,
              "link the module with `make M=` rather than kbuild's recorded commands (slower; runs every kbuild "
              "step, such as module BTF)");
  b->add_flag("--verify", a.verify, "boot the kernel in QEMU, load the module, wait for the transition, disable it");
  b->add_option("--verify-check", a.verifyCheck, "shell command run in the guest while the patch is enabled (--verify)");
  b->add_option("--verify-log", a.verifyLog, "keep the guest's serial console log of --verify in this file");
  b->add_option("--cc-launcher", a.ccLauncher,
                "run every compile through this launcher (ccache, distcc, icecc; words split as the shell does)");
  b->add_option("--struct-size", a.structSizes, "special-section entry size override, KIND=BYTES (" + arch::entryKindNames() + ")");
  b->add_option("--sign-key", a.signKey, "sign the module with this private key (the tree's scripts/sign-file; for "
                                         "kernels that enforce module signatures)");
  b->add_option("--sign-cert", a.signCert, "the X.509 certificate of --sign-key");
}

namespace {

// --cc-launcher, as the words to put in front of each compile; the program must exist.
std::vector<std::string> ccLauncher(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string> words = kbuild::splitShellWords(text);
  if (words.empty() || kbuild::findProgram(words[0]).empty())
    throw elf::InputError("--cc-launcher " + text, "no such program in PATH");
  return words;
}

// An output lp-build could not write is bad input before any work, not a failure at the
// end: the directory must exist and be writable, and the path must not be a directory.
void checkOutputPath(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw elf::InputError(path, what + " is a directory; give a file name");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    throw elf::InputError(path, fmt::format("{}: the directory {} does not exist", what, dir.string()));
  if (::access(dir.c_str(), W_OK) != 0)
    throw elf::InputError(path, fmt::format("{}: the directory {} is not writable", what, dir.string()));
}

pipeline::BuildRequest buildRequest(const BuildArgs& a, Progress& progress) {
  pipeline::BuildRequest r;
  r.structSizes = parseStructSizes(a.structSizes);
  r.ccLauncher = ccLauncher(a.ccLauncher);
  r.moduleName = pipeline::moduleNameFor(a.patches, a.name);
  r.output = a.output.empty() ? r.moduleName + ".ko" : a.output;
  checkOutputPath(r.output, "the module (-o)");
  if (!a.json.empty()) checkOutputPath(a.json, "the report (--json)");
  if (!a.verifyLog.empty()) checkOutputPath(a.verifyLog, "the guest log (--verify-log)");
  r.patches = a.patches;
  r.tree = treeOptions(a.kernel, [&](const std::string& what) { progress.step("kernel", what); });
  r.targets = a.targets;
  r.jobs = a.jobs ? a.jobs : std::max(1u, unsigned(::sysconf(_SC_NPROCESSORS_ONLN)));
  r.replace = !a.nonReplace;
  r.kbuildMake = a.kbuildMake;
  r.signKey = a.signKey;
  r.signCert = a.signCert;
  r.verify = a.verify;
  r.verifyCheck = a.verifyCheck;
  r.verifyLog = a.verifyLog;
  r.keepWorkDir = a.keepTmp;
  r.dataDir = dataDir();
  r.cacheRoot = cacheRoot();
  r.workRoot = workRoot();
  return r;
}

// The JSON report (--json), written whatever the outcome; false when it cannot be.
bool writeReport(const BuildArgs& a, const nlohmann::json& report) {
  if (a.json.empty()) return true;
  try {
    kbuild::writeFileAtomically(a.json, report.dump(2) + "\n");
  } catch (const elf::InputError& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return false;
  }
  return true;
}

}  // namespace

int runBuild(const BuildArgs& a) {
  Progress progress;
  pipeline::BuildReport report([&](const std::string& stage, const std::string& what) { progress.step(stage, what); },
                               [&] { progress.clear(); });
  pipeline::BuildStatus status = pipeline::BuildStatus::Error;
  try {
    status = pipeline::runBuild(buildRequest(a, progress), report);
  } catch (const elf::InputError& e) {
    progress.clear();
    fmt::print(stderr, "lp-build: {}\n", e.what());
    report.json["error"] = e.what();
  } catch (const std::filesystem::filesystem_error& e) {
    progress.clear();
    fmt::print(stderr, "lp-build: {}\n", e.what());
    report.json["error"] = e.what();
  } catch (const std::exception& e) {
    // Not bad input: lp-build's own fault. Still one line, and no work directory left.
    progress.clear();
    fmt::print(stderr, "lp-build: internal error (a bug in lp-build): {}\n", e.what());
    report.json["error"] = std::string("internal error: ") + e.what();
  }
  progress.clear();
  if (!writeReport(a, report.finished(status))) return 2;
  return pipeline::exitCodeFor(status);
}

}  // namespace lpb::cli
