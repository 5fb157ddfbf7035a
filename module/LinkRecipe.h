// kbuild's recipe for linking an external module, recorded once per kernel tree.
//
// `make M=dir modules` spends most of its time reading the tree's makefiles: about
// 0.8 s on every patch, against 0.3 s for a typical unit compile. The commands it runs
// are fixed by the tree, though, and kbuild writes each one down (`savedcmd_` in the
// `.cmd` files). So lp-build runs kbuild once per tree on a probe module shaped like a
// patch module, keeps the commands kbuild ran, and replays them for every patch, with
// the probe's directory and name replaced by the patch's. The compiler, objtool,
// modpost and the linker see exactly what kbuild would have given them.
//
// The probe also leaves the two objects that do not change from patch to patch: the
// livepatch runtime (module/runtime/lpb-runtime.c) and kbuild's `.module-common.o`.
//
// One more saving is checked rather than assumed: modpost's `<module>.mod.c` always
// starts with the same includes, so the recording precompiles them (GCC's precompiled
// header) and compiles the probe's .mod.c both ways under another name. The
// precompiled path is used only when the two objects agree in every loaded section,
// relocation and symbol.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kbuild/KernelTree.h"

namespace lpb::module {

// How to call kbuild's make for a tree (ARCH, CROSS_COMPILE, LLVM).
std::vector<std::string> kbuildMakeArgs(const kbuild::KernelTree& tree, std::string_view kbuildArch,
                                        const std::string& compiler);

// The KCFLAGS= make argument every kbuild run for a module in `moduleDir` gets: the
// caller's own KCFLAGS, and the module directory (a per-run work directory) mapped to
// "." in the debug info, so that the same inputs give a byte-identical module.
std::string reproducibleKcflags(const std::string& moduleDir);

// Commands are shell text as kbuild wrote it, with placeholders:
//   @DIR@   the module's directory        @FILE@  the module name as in file names (livepatch-fix)
//   @MOD@   the name as KBUILD_MODNAME spells it (livepatch_fix)
struct LinkRecipe {
  std::string dir;                 // cache directory: runtime object, .module-common.o, PCH
  std::string compileTable;        // lpb-table.c -> lpb-table.o
  std::string link;                // ld -r of the module's objects, then objtool
  std::string modpost;             // writes <module>.mod.c and Module.symvers
  std::string compileModC;         // <module>.mod.c -> <module>.mod.o
  std::string linkKo;              // the final .ko
  // The .mod.o compile through the precompiled header: argv with @OUT@, @SRC@,
  // @RECIPE@ (this directory) and @DIR@.
  // Empty when the check at recording time did not pass.
  std::vector<std::string> compileModCPrecompiled;
  std::string modCIncludes;        // the leading #include block the header holds
  // Why the commands cannot be replayed (a kbuild that does not record one of them,
  // as older kernels' modpost step); empty when they can. The runtime object is
  // recorded either way, and the module is then linked by `make M=` per patch.
  std::string notReplayable;
  bool hasModuleCommon = false;    // kbuild links .module-common.o (Linux 6.11 and later)
  // kbuild ran the commands from the module directory and named the module's files
  // relative to it (Linux 6.13 and later); before, from the tree's object directory, with
  // absolute paths. The replay does the same.
  bool runsInModuleDir = false;
  // `file` of module directory `dir` as the commands name it, and where they run.
  std::string pathInModule(const std::string& dir, const std::string& file) const {
    return runsInModuleDir ? file : dir + "/" + file;
  }
  std::string workingDirectory(const std::string& dir, const std::string& objDir) const {
    return runsInModuleDir ? dir : objDir;
  }
  std::string runtimeObject() const { return dir + "/lpb-runtime.o"; }
  std::string moduleCommonObject() const { return dir + "/module-common.o"; }
};

// Replaces the placeholders for a module `name` in `dir`.
std::string instantiate(std::string command, const std::string& dir, const std::string& name);

// The .mod.o compile through the precompiled header, for module `name` in `dir`: writes
// `source` (modpost's .mod.c with the module's own -D values redefined after the
// includes) and returns the argv that compiles it to `object`; {} when the plain
// command must be used instead.
std::vector<std::string> precompiledModCCommand(const LinkRecipe& r, const std::string& modC, const std::string& dir,
                                                const std::string& name, const std::string& source,
                                                const std::string& object);

// The recipe kept in `file` (a cache directory's recipe.json) for the directory `dir`, or
// nullopt when it is missing, of another format or damaged: then it is recorded again.
std::optional<LinkRecipe> readRecipeFile(const std::string& file, const std::string& dir);

// The recipe for `tree`: read from `cacheDir` or recorded there now (one kbuild run of
// the probe, about two seconds). `runtimeDir` holds lpb-runtime.c and lpb-table.h. Only
// reads the tree's paths, so it may run beside work on the same KernelTree. Throws
// elf::InputError when kbuild cannot build the probe.
LinkRecipe linkRecipeFor(const kbuild::KernelTree& tree, const std::vector<std::string>& makeArgs,
                         const std::string& runtimeDir, const std::string& cacheDir);

}  // namespace lpb::module
