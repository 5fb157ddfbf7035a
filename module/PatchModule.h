// The patch module: livepatch metadata around the patch objects, linked by kbuild
// against the kernel tree, then finished with livepatch relocations.
//
// The metadata is a small C file (klp_patch -> one klp_object per patched object, vmlinux
// or a module -> klp_func per patched function, callbacks) that kbuild compiles with the
// tree's own flags; the patch objects from the differ are linked beside it as they are.
// kbuild's modpost adds vermagic and the symbol CRCs of the target, objtool adds the
// unwind tables and the call-site lists of the patch code. Only the final `.klp.rela`
// rewrite is lp-build's own (elfgen/KlpRewrite.h).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "elfgen/KlpRewrite.h"
#include "kbuild/KernelTree.h"

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
  std::set<std::string> objectsWithoutFunctions;  // patched objects that only carry callbacks
  std::set<std::string> namespaces;     // symbol namespaces the patch code imports
};

struct ModuleResult {
  std::string path;  // the finished .ko, inside the work directory
  elf::KlpRewriteStats klp;
};

// Writes the module sources to `dir`, runs kbuild (`make M=dir modules`) against the tree
// and rewrites the livepatch relocations. Throws elf::InputError when kbuild fails.
// `compiler` is the compiler word of the tree's own commands ("gcc",
// "powerpc64le-linux-gnu-gcc"): its prefix is kbuild's CROSS_COMPILE.
ModuleResult buildPatchModule(const kbuild::KernelTree& tree, std::string_view kbuildArch, const std::string& compiler,
                              const ModuleSpec& spec, const std::string& dir, unsigned jobs);

// The C source of the metadata (exposed for tests).
std::string metadataSource(const ModuleSpec& spec);

}  // namespace lpb::module
