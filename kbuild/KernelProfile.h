// What lp-build must know about the running kernel, read from the kernel itself rather
// than from environment variables: its architecture (vmlinux's e_machine), its release
// (the banner in vmlinux), the compiler that built it (vmlinux's .comment), and the sizes
// of the structs behind special-section entries (vmlinux's DWARF). The DWARF walk is the
// slow part, so the result is cached per vmlinux (path, size, time).
#pragma once

#include <map>
#include <string>

#include "arch/Target.h"
#include "elfgen/ElfObject.h"
#include "kbuild/KernelTree.h"

namespace lpb::kbuild {

struct KernelProfile {
  const arch::Target* target = nullptr;
  std::string release;   // "6.12.57"
  std::string compiler;  // vmlinux's .comment compiler line: "GCC: (Debian 12.2.0-14) 12.2.0"
  std::map<arch::EntryKind, unsigned> structSizes;
};

// What the caches of things read from vmlinux are keyed by: its GNU build id, or (an
// image without one) its path, size and modification time.
std::string vmlinuxIdentity(const elf::ElfObject& vmlinux);

// The text of vmlinux's linux_banner ("Linux version 6.12.57 (user@host) (gcc ...) #1 ..."),
// or "" when it has none.
std::string linuxBanner(const elf::ElfObject& vmlinux);

// Throws elf::InputError for a vmlinux that is missing, not ELF, of an unsupported
// architecture, or of another release than the tree, and for a tree without CONFIG_LIVEPATCH.
KernelProfile readKernelProfile(const KernelTree& tree, const elf::ElfObject& vmlinux, const std::string& cacheDir);

// Throws elf::InputError when the compiler in `command` is not the one that built vmlinux,
// or when `launcher` (--cc-launcher) runs a compiler that says otherwise.
void checkCompiler(const KernelProfile& profile, const CompileCommand& command, const std::string& vmlinuxPath,
                   const std::vector<std::string>& launcher = {});

}  // namespace lpb::kbuild
