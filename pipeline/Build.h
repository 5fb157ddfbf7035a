// `lp-build build` as a sequence of stages (Build::run lists them):
//
//   tree + patches -> shadow tree -> affected units -> compile (original, patched; in the
//   background, while the kernel's profile and symbols are read) -> diff per unit ->
//   link references -> patch module (kbuild) -> .klp.rela rewrite -> verify -> report
//
// The kind of kernel tree (a built tree, a distro kernel lp-build prepared) is
// kbuild::KernelTree's business: the stages ask it, they do not branch on it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "arch/Target.h"
#include "kbuild/KernelTree.h"
#include "pipeline/Report.h"

namespace lpb::pipeline {

struct BuildRequest {
  std::vector<std::string> patches;          // unified diffs against the kernel source (-p1)
  kbuild::TreeOptions tree;                  // which kernel, and where its pieces are
  std::vector<std::string> targets;          // only code of these objects (vmlinux, module names)
  std::string moduleName;                    // a valid module name (moduleNameFor)
  std::string output;                        // where the .ko goes
  std::map<arch::EntryKind, unsigned> structSizes;  // --struct-size overrides
  std::vector<std::string> ccLauncher;       // words put in front of each compile
  unsigned jobs = 1;
  bool replace = true;                       // klp_patch.replace
  bool kbuildMake = false;                   // link with `make M=` instead of the recorded recipe
  std::string signKey, signCert;             // sign the module (both or neither)
  bool verify = false;                       // boot it in QEMU
  std::string verifyCheck, verifyLog;
  bool keepWorkDir = false;
  std::string dataDir, cacheRoot, workRoot;  // lp-build's own files, its cache, its scratch space
};

// The module name for `name` (-n), or livepatch-<first patch's name>, made a valid one;
// throws elf::InputError for a name the module's own objects use.
std::string moduleNameFor(const std::vector<std::string>& patches, const std::string& name);

// Runs the build. Refusals, warnings and progress go to `report`; bad input throws
// elf::InputError (the work directory is removed either way, unless kept).
BuildStatus runBuild(const BuildRequest& request, BuildReport& report);

}  // namespace lpb::pipeline
