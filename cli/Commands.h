// The lp-build commands: each registers its options on the CLI11 app and runs from them.
// To add a command: an `XArgs` struct and `addXCommand`/`runX` here, a file `XCommand.cpp`,
// a member in `Commands` and a line in Commands.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include <map>

#include "arch/Target.h"
#include "kbuild/KernelTree.h"

namespace lpb::cli {

// `--struct-size KIND=BYTES` values (diff, build). Throws elf::InputError naming the bad one.
std::map<arch::EntryKind, unsigned> parseStructSizes(const std::vector<std::string>& kindEqBytes);

struct DiffArgs {
  std::string orig, patched, output, symbols, module, json;
  std::vector<std::string> structSizes;
};
void addDiffCommand(CLI::App& app, DiffArgs& args);
int runDiff(const DiffArgs& args);

// Which kernel: a built tree (-s), or a distro kernel (a pristine -s with its -c -v
// --symvers --modules, or --kernel RELEASE finding them under --kernel-root).
struct KernelArgs {
  std::string sourceDir, config, vmlinux, symvers, modules, release, root, vmlinuz;
};
void addKernelOptions(CLI::App& cmd, KernelArgs& k);
// The tree options for KernelArgs (without -s and --kernel: the built-in default tree).
// Throws elf::InputError for a distro file that is not where --kernel looks.
kbuild::TreeOptions treeOptions(const KernelArgs& k, const std::function<void(const std::string&)>& progress);

struct BuildArgs {
  std::vector<std::string> patches;
  KernelArgs kernel;
  std::string name, output, json, verifyCheck, verifyLog, signKey, signCert, ccLauncher;
  std::vector<std::string> targets, structSizes;
  unsigned jobs = 0;
  bool nonReplace = false, keepTmp = false, verify = false, kbuildMake = false;
};
void addBuildCommand(CLI::App& app, BuildArgs& args);
int runBuild(const BuildArgs& args);

struct CheckArgs {
  std::vector<std::string> patches;
  KernelArgs kernel;
  std::string arch, json;
  bool deep = false;
};
void addCheckCommand(CLI::App& app, CheckArgs& args);
int runCheck(const CheckArgs& args);

struct CiArgs {
  std::string patchDir, output = "lpb-artifacts", kernelRoot, verifyCheck, ccLauncher, signKey, signCert;
  std::vector<std::string> releases, trees;
  unsigned jobs = 0;
  bool defaultKernel = false, noVerify = false;
};
void addCiCommand(CLI::App& app, CiArgs& args);
int runCi(const CiArgs& args);

struct TargetsArgs {
  bool json = false;
};
void addTargetsCommand(CLI::App& app, TargetsArgs& args);
int runTargets(const TargetsArgs& args);

// Where lp-build's own files are (scripts/, include/, module/runtime/): LPB_DATA_DIR, else
// ../share/lp-build beside the binary when installed, else the source tree it was built from.
std::string dataDir();
// The cache root (kernels, original objects, profiles, work directories): LPB_CACHE, else
// /var/cache/lp-build when writable, else ~/.cache/lp-build.
std::string cacheRoot();
// Where builds keep their scratch: LPB_WORK when set, else under $LPB_CACHE when set,
// else on /dev/shm when it is a writable tmpfs, else under cacheRoot().
std::string workRoot();

struct Commands {
  DiffArgs diff;
  BuildArgs build;
  CheckArgs check;
  CiArgs ci;
  TargetsArgs targets;
};
void addCommands(CLI::App& app, Commands& c);
int runCommand(const CLI::App& app, const Commands& c);

}  // namespace lpb::cli
