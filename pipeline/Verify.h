// `--verify`: boot the kernel under QEMU (the architecture's machine, arch::QemuMachine),
// load the modules the patch changes and then the patch module, wait for the transition,
// run the user's check, disable the patch, and look for oopses and warnings.
#pragma once

#include <string>
#include <vector>

#include "arch/Target.h"
#include "kbuild/KernelTree.h"
#include "pipeline/Report.h"

namespace lpb::pipeline {

struct VerifyRequest {
  std::string modulePath;                 // the patch module (absolute)
  std::string moduleName;                 // its name (livepatch-fix)
  std::vector<std::string> patchedModules;  // modules the patch changes, loaded first
  std::string check;                      // shell command run while the patch is enabled
  std::string keepLog;                    // copy the serial log here
  std::string workDir, dataDir;
};

// qemu-run.sh's exit status: 0 verified; 1 loading, transition or the check failed; 3 the
// kernel reported an oops or warning; other: the guest did not finish.
int verifyInQemu(const arch::QemuMachine& machine, const kbuild::KernelTree& tree, const VerifyRequest& req,
                 const BuildReport& report);
// One phrase for a verifyInQemu status.
std::string verifyFailure(int status);

}  // namespace lpb::pipeline
