// The patch module: livepatch metadata around the patch objects, linked with kbuild's
// commands for the tree, then finished with livepatch relocations.
//
// The metadata is split in two. The livepatch runtime (module/runtime/lpb-runtime.c)
// holds everything that needs the kernel's types and is compiled once per tree; each
// patch only adds a table (lpb-table.h: objects, functions with old_sympos, callbacks)
// that compiles without kernel headers. The runtime builds klp_patch -> klp_object ->
// klp_func from the table at init. The patch objects from the differ are linked beside
// them as they are. kbuild's modpost adds vermagic and the symbol CRCs of the target,
// objtool adds the unwind tables and the call-site lists of the patch code. Only the
// final `.klp.rela` rewrite is lp-build's own (elfgen/KlpRewrite.h).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "elfgen/KlpRewrite.h"
#include "kbuild/KernelTree.h"
#include "module/LinkRecipe.h"

namespace lpb::module {

struct PatchedFunction {
  std::string object;     // "vmlinux" or the module name
  std::string oldName;    // the function the kernel redirects
  uint32_t oldSympos = 0;
  std::string newSymbol;  // global symbol of the new version in a patch object
};

struct Callback {
  std::string object;  // whose transition it runs around
  std::string kind;    // pre_patch, post_patch, pre_unpatch, post_unpatch
  std::string symbol;  // global symbol in a patch object
};

struct ModuleSpec {
  std::string name;                     // module name: livepatch-fix (kbuild spells it livepatch_fix)
  std::string description;
  bool replace = true;                  // atomic replace (klp_patch.replace)
  std::vector<std::string> objects;     // patch objects from the differ
  std::vector<PatchedFunction> functions;
  std::vector<Callback> callbacks;
  std::set<std::string> namespaces;     // symbol namespaces the patch code imports
};

struct ModuleResult {
  std::string path;  // the finished .ko, inside the work directory
  elf::KlpRewriteStats klp;
};

struct LinkOptions {
  // Run `make M=` for this patch instead of replaying the recorded recipe: kbuild's every
  // step, recorded or not (module BTF, for one), at about 0.8 s more. Also what happens
  // when the recipe is not replayable (LinkRecipe::notReplayable).
  bool useMake = false;
  std::vector<std::string> makeArgs;  // ARCH=, CROSS_COMPILE=, LLVM= (kbuildMakeArgs)
  unsigned jobs = 1;
};

// Writes the patch table to `dir` and links the module with kbuild's commands for the
// tree (LinkRecipe.h, replayed in the tree's object directory, or `make M=`), then
// rewrites the livepatch relocations. `runtimeDir` holds lpb-table.h. Throws
// elf::InputError when a kbuild step fails (its output is in dir/kbuild.log).
ModuleResult buildPatchModule(const LinkRecipe& recipe, const std::string& runtimeDir, const std::string& objDir,
                              const ModuleSpec& spec, const std::string& dir, const LinkOptions& link);

// The C source of the patch table (lpb-table.h; exposed for tests).
std::string tableSource(const ModuleSpec& spec);

}  // namespace lpb::module
