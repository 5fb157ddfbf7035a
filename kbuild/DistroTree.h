// A distro kernel, never built here: the kernel a user actually runs.
//
// What a distribution ships is enough to build a livepatch for its kernel without
// building the kernel: the pristine source of the exact version (Debian:
// linux-source-X.Y), the config it was built with (/boot/config-REL), its debug vmlinux
// (the -dbg package), Module.symvers (linux-headers-REL) and the installed modules
// (/lib/modules/REL). lp-build prepares, once per (source, config, compiler, release,
// Module.symvers), an object directory in its cache: `make O=DIR olddefconfig prepare
// modules_prepare` with the distro's config and the release string from vmlinux's banner
// (so that vermagic matches). Per patch, kbuild itself compiles each touched unit there
// (a single-object build), which leaves the same `.cmd` record a full build would: the
// unit's exact flags in this configuration and its dependencies. The record also says what
// the unit links into: `-DMODULE` and KBUILD_MODNAME for a module; a unit of vmlinux is
// one the distro's vmlinux DWARF names among its compilation units.
//
// The source tree is only read (kbuild with O= writes nothing into it). The prepared
// directory is made under a lock and stamped when complete; a killed preparation leaves
// no stamp, and the next run starts that directory again.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kbuild/KernelTree.h"

namespace lpb::kbuild {

// What vmlinux's banner says about the build ("Linux version REL (USER@HOST) (CC VERSION,
// LD VERSION) #...").
struct KernelBanner {
  std::string release;   // "6.12.117+deb12-cloud-amd64"
  std::string compiler;  // the compiler's command name: "x86_64-linux-gnu-gcc-12", "gcc"
};
// Throws elf::InputError when vmlinux has no linux_banner.
KernelBanner readKernelBanner(const std::string& vmlinuxPath);

// A distro's files for one release, found where Debian/Ubuntu and Fedora/RHEL install them
// under `root` ("/" normally; the directory `dpkg -x` extracted packages into). A file
// given explicitly is kept; a missing one is an InputError naming the file and the package
// that provides it.
struct DistroFiles {
  std::string config, vmlinux, symvers, modulesDir, vmlinuz;
  std::string debugModulesDir;  // optional: modules with their file symbols (-dbg package)
};
DistroFiles findDistroFiles(const std::string& release, const std::string& root, DistroFiles given);

// Prepares (or finds prepared) the object directory for a pristine source tree and a
// distro's files, and opens it as a DistroTree. Called by KernelTree::open for a source
// tree that was never configured.
KernelTree openDistroTree(const TreeOptions& opts);

class DistroTree : public TreeKind {
 public:
  DistroTree(std::vector<std::string> makeArgs, std::string modulesDir, std::string debugModulesDir, std::string moduleCache,
             std::set<std::string> vmlinuxSources, unsigned jobs);
  std::string_view name() const override { return "distro"; }
  std::vector<Unit> unitsAffectedBy(const KernelTree& tree, const std::vector<std::string>& files) const override;
  std::optional<Unit> unitForSource(const KernelTree& tree, const std::string& file) const override;
  std::optional<std::string> moduleFile(const KernelTree& tree, const std::string& module) const override;
  std::optional<std::string> loadableModule(const KernelTree& tree, const std::string& module) const override;
  std::vector<std::string> makeVariables() const override;

 private:
  // Has kbuild compile these objects in the prepared tree (under its lock) unless their
  // records exist; objects this configuration cannot build are simply left without one.
  void buildRecords(const KernelTree& tree, const std::vector<std::string>& objects) const;
  std::optional<Unit> unitFromRecord(const KernelTree& tree, const std::string& object, const std::string& source) const;
  std::vector<std::string> includersOf(const KernelTree& tree, const std::vector<std::string>& headers) const;
  void indexModules() const;
  std::string plainCopy(const std::string& module, const std::string& file) const;

  std::vector<std::string> makeArgs_;  // make -C SRC O=DIR ARCH=... KERNELRELEASE=...
  std::string modulesDir_, debugModulesDir_, moduleCache_;
  std::set<std::string> vmlinuxSources_;  // source-relative, from vmlinux's DWARF
  unsigned jobs_;
  mutable bool modulesIndexed_ = false;
  mutable std::map<std::string, std::string> installedModules_;  // name (with _) -> file
  mutable std::map<std::string, std::string> debugModules_;      // the same, from debugModulesDir_
};

}  // namespace lpb::kbuild
