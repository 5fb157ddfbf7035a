// Compiling the units a patch affects, original and patched, with kbuild's own command
// lines plus -ffunction-sections -fdata-sections (so that every function and object sits
// in its own section, which is what the differ compares).
//
// Only these units are compiled, never the kernel. The original objects do not change
// between patches of the same tree, so they are kept in a cache keyed by the command
// line and the size and time of every file the unit read; the patched ones are always
// compiled fresh. All compiles of a run go out at once, `jobs` at a time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "arch/Target.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Patch.h"

namespace lpb::kbuild {

struct CompileSettings {
  std::string workDir;      // where the patched objects go
  std::string cacheDir;     // where original objects are kept across runs ("" = no cache)
  std::vector<std::string> extraIncludes;  // -I directories added to every compile (lp-build's header)
  // The tree's architecture: units linked into vmlinux get its module code model
  // (Target::moduleCodeModelFlags). nullptr: kbuild's commands as they are.
  const arch::Target* target = nullptr;
  // A compiler launcher put in front of every compile (ccache, distcc, icecc: --cc-launcher).
  // It is not part of the original-object cache key, and the compiler-identity check still
  // reads the compiler kbuild recorded, which the launcher runs.
  std::vector<std::string> launcher;
  unsigned jobs = 2;
  std::function<void(const std::string& what)> progress;  // called as each compile ends
};

struct UnitObjects {
  Unit unit;
  std::string original, patched;  // object files
  bool originalFromCache = false;
  double seconds = 0;             // wall time of this unit's compiles
};

// Throws elf::InputError("SRC: error ...") when a unit fails to compile.
std::vector<UnitObjects> compileUnits(const KernelTree& tree, const ShadowTree& shadow, const std::vector<Unit>& units,
                                      const CompileSettings& settings);

// The compile command for `unit` as lp-build runs it (for tools that want the flags).
// `extraFlags` go just before -c (after kbuild's own, so they win).
std::vector<std::string> differCompileArgs(const CompileCommand& c, const std::string& output,
                                           const std::vector<std::string>& extraIncludes,
                                           const std::vector<std::string>& extraFlags = {});

// lp-build's own headers (<lpb/livepatch.h>, kpatch-macros.h, kpatch-syscall.h):
// `<dataDir>/include`, for every command that compiles or parses a unit.
std::string lpbIncludeDir(const std::string& dataDir);

// `compiler` with `-I` for each of `includes` just before -c: after kbuild's own include
// directories, so the kernel's headers win. The build's compiles and check's parses both
// put lp-build's headers here.
std::vector<std::string> withIncludesBeforeCompile(const std::vector<std::string>& compiler,
                                                   const std::vector<std::string>& includes);

// What every lp-build command compiles with: lp-build's own header directory
// (`<dataDir>/include`, for <lpb/livepatch.h>) and the original-object cache
// (`<cacheRoot>/objects`), so `build` and `check --deep` share cached originals.
CompileSettings standardCompileSettings(const std::string& dataDir, const std::string& cacheRoot,
                                        const std::string& workDir);

}  // namespace lpb::kbuild
