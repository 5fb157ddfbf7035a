// The built-in default kernel tree, shared by every command that takes -s (`build`,
// `check`): Debian's linux-source-6.12 with lp-build's small livepatch-capable config, built
// once and cached by scripts/kernel/build-kernel.sh.
#pragma once

#include <functional>
#include <string>

namespace lpb::kbuild {

// Runs `<dataDir>/scripts/kernel/build-kernel.sh` (minutes the first time, a stamp check
// after; LPB_CACHE selects the cache) and returns the O= build directory it prints, which
// KernelTree::open takes as `sourceDir`. `progress` hears that the cache is being checked.
// Throws elf::InputError (naming the script) when it fails.
std::string defaultTreeDir(const std::string& dataDir, const std::function<void(const std::string&)>& progress = {});

// The pristine source of a distro kernel of `release` when Debian's linux-source-X.Y of that
// version is installed: extracted once into the cache by build-kernel.sh --source-only.
// Throws elf::InputError saying what to install or give (-s) otherwise.
std::string distroSourceDir(const std::string& dataDir, const std::string& release,
                            const std::function<void(const std::string&)>& progress = {});

}  // namespace lpb::kbuild
