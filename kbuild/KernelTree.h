// The kernel tree lp-build works against, read from kbuild's own records.
//
// A tree is a source directory and the object directory it was configured and built in
// (the same directory for an in-tree build; `make O=DIR` builds leave a `source` link in
// DIR). kbuild leaves one `.NAME.o.cmd` file beside every object it compiled: the exact
// command line (`savedcmd_...`), the source (`source_...`) and every header the unit read
// (`deps_...`). lp-build never runs make in the user's tree: it reads those records and
// compiles the units it needs into its own work directory.
#pragma once

#include <map>
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
  std::string sourceDir;  // -s: a source tree (built in-tree, or holding nothing but source)
  std::string objDir;     // where the build is (default: sourceDir, or its O= dir)
  std::string config, vmlinux, symvers;  // -c, -v, --symvers overrides
};

class KernelTree {
 public:
  // Throws elf::InputError("PATH: problem") when the tree is not usable.
  static KernelTree open(const TreeOptions& opts);

  const std::string& sourceDir() const { return src_; }
  const std::string& objDir() const { return obj_; }
  const std::string& configPath() const { return config_; }
  const std::string& vmlinuxPath() const { return vmlinux_; }
  const std::string& symversPath() const { return symvers_; }
  // CONFIG_X from the .config ("y", "m", a value), or empty.
  std::string configValue(const std::string& name) const;

  // Every unit whose kbuild record names one of `files` (source-relative paths) as its
  // source or as a dependency, each attributed to vmlinux or to its module.
  std::vector<Unit> unitsAffectedBy(const std::vector<std::string>& files) const;
  // The unit that compiled source-relative `file`, if kbuild built it.
  std::optional<Unit> unitForSource(const std::string& file) const;
  // Throws elf::InputError when the unit has no usable kbuild record.
  CompileCommand compileCommand(const Unit& unit) const;
  // Every file the unit read when kbuild built it (absolute paths), for cache keys.
  std::vector<std::string> dependencies(const Unit& unit) const;
  // The built module file of a module ("fs/binfmt_misc.ko", object-dir relative), if built.
  std::optional<std::string> moduleFile(const std::string& module) const;

 private:
  struct Record {
    std::string object, source;
    std::vector<std::string> deps;  // source-relative where inside the source tree
  };
  void indexRecords() const;
  void indexModules() const;
  std::optional<Record> readRecord(const std::string& object) const;
  Record parseRecord(const std::string& object, const std::string& text) const;
  bool isInKernel(const std::string& object) const;

  std::string src_, obj_, config_, vmlinux_, symvers_;
  std::map<std::string, std::string> configValues_;
  mutable std::vector<Record> records_;  // every .o.cmd, read on first use
  mutable bool indexed_ = false, modulesIndexed_ = false;
  mutable std::map<std::string, std::string> moduleOfObject_;  // from modules.order and *.mod
  mutable std::map<std::string, std::string> moduleKo_;        // module -> its .ko (object-dir relative)
};

}  // namespace lpb::kbuild
