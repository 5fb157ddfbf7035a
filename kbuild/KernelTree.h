// The kernel tree lp-build works against, read from kbuild's own records.
//
// A tree is a source directory and the object directory it was configured and built in
// (the same directory for an in-tree build; `make O=DIR` builds leave a `source` link in
// DIR). kbuild leaves one `.NAME.o.cmd` file beside every object it compiled: the exact
// command line (`savedcmd_...`), the source (`source_...`) and every header the unit read
// (`deps_...`). lp-build never runs make in the user's tree: it reads those records and
// compiles the units it needs into its own work directory.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lpb::kbuild {

// One compilation unit of the built kernel.
struct Unit {
  std::string object;      // relative to the object directory: "fs/proc/cmdline.o"
  std::string source;      // relative to the source directory: "fs/proc/cmdline.c"
  std::string linkedInto;  // "vmlinux" or the module name ("binfmt_misc")
};

// The command kbuild ran to build one unit, split into words.
struct CompileCommand {
  std::vector<std::string> compiler;    // gcc ... -c -o OBJ SRC, as kbuild ran it (cwd: object dir)
  std::vector<std::string> postSteps;   // each later `;`-separated step (objtool ...), as shell text
  std::string objectArg;                // the word after -o
  std::string sourceArg;                // the source word, as written in the command
  std::string cwd;                      // where it runs (the object dir)
};

struct TreeOptions {
  std::string sourceDir;  // -s: a built tree (in-tree, or its O= dir), or a pristine source tree
  std::string objDir;     // where the build is (default: sourceDir, or its O= dir)
  std::string config, vmlinux, symvers;  // -c, -v, --symvers overrides
  std::string modulesDir;  // --modules: the installed modules of a distro kernel
  std::string debugModulesDir;  // the same modules with full symbol tables (the -dbg package), if any
  std::string bootImage;   // --vmlinuz: the image --verify boots (default: the tree's bzImage)
  std::string cacheRoot;   // where a distro kernel's prepared tree goes (kbuild/DistroTree.h)
  unsigned jobs = 2;       // make -j for preparing a distro tree
  std::function<void(const std::string&)> progress;  // hears about a long preparation
};

class KernelTree;

// What differs between kinds of kernel tree: how lp-build learns which units a patch
// affects, what each links into, and where a patched module's ELF file is. A built tree
// answers from the records its build left (`BuiltTree`, below); a distro kernel, never
// built, from single-object builds in a tree lp-build prepared (`DistroTree`,
// kbuild/DistroTree.h). Everything after that (compile commands, dependencies) reads
// kbuild's `.cmd` records, which both kinds have for every unit they return.
class TreeKind {
 public:
  virtual ~TreeKind() = default;
  virtual std::string_view name() const = 0;  // "built", "distro"
  virtual std::vector<Unit> unitsAffectedBy(const KernelTree& tree, const std::vector<std::string>& files) const = 0;
  virtual std::optional<Unit> unitForSource(const KernelTree& tree, const std::string& file) const = 0;
  // The absolute path of the module's ELF file as the running kernel has it, if any.
  virtual std::optional<std::string> moduleFile(const KernelTree& tree, const std::string& module) const = 0;
  // The module's file as the kernel loads it (--verify boots with it); by default the
  // same as moduleFile.
  virtual std::optional<std::string> loadableModule(const KernelTree& tree, const std::string& module) const {
    return moduleFile(tree, module);
  }
  // VAR=VALUE words every `make` in the object directory needs (CC, KERNELRELEASE, ...).
  virtual std::vector<std::string> makeVariables() const { return {}; }
};

class KernelTree {
 public:
  // A built tree, or (a pristine source tree with a distro's -c and -v) a distro kernel,
  // prepared first (kbuild/DistroTree.h). `kind` opens an object directory as that kind.
  // Throws elf::InputError("PATH: problem") when the tree is not usable.
  static KernelTree open(const TreeOptions& opts, std::shared_ptr<const TreeKind> kind = nullptr);

  const std::string& sourceDir() const { return src_; }
  const std::string& objDir() const { return obj_; }
  const std::string& configPath() const { return config_; }
  const std::string& vmlinuxPath() const { return vmlinux_; }
  const std::string& symversPath() const { return symvers_; }
  // What qemu-run.sh boots: a kernel image, or the object directory that holds the built one.
  const std::string& bootImage() const { return boot_; }
  const TreeKind& kind() const { return *kind_; }
  // CONFIG_X from the .config ("y", "m", a value), or empty.
  std::string configValue(const std::string& name) const;

  // Every unit whose source is one of `files` (source-relative paths) or that includes
  // one of them, each attributed to vmlinux or to its module.
  std::vector<Unit> unitsAffectedBy(const std::vector<std::string>& files) const {
    return kind_->unitsAffectedBy(*this, files);
  }
  // The unit that compiles source-relative `file`, if this kernel builds it.
  std::optional<Unit> unitForSource(const std::string& file) const { return kind_->unitForSource(*this, file); }
  // Throws elf::InputError when the unit has no usable kbuild record.
  CompileCommand compileCommand(const Unit& unit) const;
  // Every file the unit read when kbuild built it (absolute paths), for cache keys.
  std::vector<std::string> dependencies(const Unit& unit) const;
  // The module's ELF file (absolute), if the kernel has that module.
  std::optional<std::string> moduleFile(const std::string& module) const { return kind_->moduleFile(*this, module); }

  // kbuild's record of one object (`.NAME.o.cmd` beside it in the object directory).
  struct Record {
    std::string object, source;
    std::vector<std::string> deps;  // source-relative where inside the source tree
  };
  std::optional<Record> readRecord(const std::string& object) const;
  Record parseRecord(const std::string& object, const std::string& text) const;

 private:
  std::string src_, obj_, config_, vmlinux_, symvers_, boot_;
  std::map<std::string, std::string> configValues_;
  std::shared_ptr<const TreeKind> kind_;
};

// The two readers of kbuild's `.NAME.o.cmd` text (KernelTree uses them; fuzzed in tests/fuzz):
// the record of `object` (its source and every file it read; paths under `sourceDir`
// made source-relative), and its compile command (throws elf::InputError naming
// `cmdFile` when the text holds no C compile of `object`).
KernelTree::Record parseCmdRecord(const std::string& object, const std::string& text, const std::string& sourceDir);
CompileCommand parseCompileCommand(const std::string& object, const std::string& text, const std::string& cmdFile,
                                   const std::string& objDir);

// A tree kbuild built: every unit has its record, modules.order and `*.mod` say what
// links into which module, and the built `.ko` files are beside their objects.
class BuiltTree : public TreeKind {
 public:
  std::string_view name() const override { return "built"; }
  std::vector<Unit> unitsAffectedBy(const KernelTree& tree, const std::vector<std::string>& files) const override;
  std::optional<Unit> unitForSource(const KernelTree& tree, const std::string& file) const override;
  std::optional<std::string> moduleFile(const KernelTree& tree, const std::string& module) const override;

 private:
  void indexRecords(const KernelTree& tree) const;
  void indexModules(const KernelTree& tree) const;
  bool isInKernel(const std::string& object) const;
  Unit unitOf(const KernelTree::Record& r) const;

  mutable std::vector<KernelTree::Record> records_;  // every .o.cmd, read on first use
  mutable bool indexed_ = false, modulesIndexed_ = false;
  mutable std::map<std::string, std::string> moduleOfObject_;  // from modules.order and *.mod
  mutable std::map<std::string, std::string> moduleKo_;        // module -> its .ko (object-dir relative)
};

}  // namespace lpb::kbuild
