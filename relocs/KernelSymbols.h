// Where each outside reference of the patch lands in the running kernel, and how the
// module must say so.
//
// The module loader resolves only exported symbols, and only when the patch module loads.
// Everything else a patched function uses (statics of its own file, unexported globals,
// anything inside a module that may load later) becomes a livepatch relocation against a
// `.klp.sym.<object>.<name>,<sympos>` symbol, which livepatch resolves through kallsyms
// when that object is present (Documentation/livepatch/module-elf-format.rst).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "elfgen/ElfObject.h"
#include "relocs/SymbolPositions.h"

namespace lpb::relocs {

struct Export {
  std::string name;
  std::string module;     // "vmlinux" or the module's path without .ko ("fs/binfmt_misc")
  std::string nameSpace;  // EXPORT_SYMBOL_NS namespace, or empty
};

// Reads Module.symvers (CRC, symbol, module, export type, namespace per line).
// Throws elf::InputError naming the file when it is missing or malformed.
std::map<std::string, Export> readSymvers(const std::string& path);

// A reference the patch makes to something it does not contain.
struct Reference {
  std::string name;
  bool wasLocal = false;  // a static of the unit's file
  uint32_t sympos = 0;    // the differ's position for a static (in the unit's own object)
};

// How one reference is written in the patch module.
struct Link {
  enum class Kind { Direct, Livepatch } kind = Kind::Direct;
  std::string object;     // Livepatch: "vmlinux" or the module name the symbol is in
  std::string symbol;     // the name to give the undefined symbol
  std::string nameSpace;  // Direct to a namespaced export: the module must import it
};

class KernelSymbols {
 public:
  KernelSymbols(const elf::ElfObject& vmlinux, std::map<std::string, Export> exports);
  // A module the patch changes code of (`name` as the kernel spells it: binfmt_misc).
  void addModule(const std::string& name, const elf::ElfObject& ko);

  // How a reference from a unit that links into `into` ("vmlinux" or a module name)
  // resolves; nullopt when nothing in the kernel defines it. `definedByPatch` holds the
  // globals the patch module itself defines.
  std::optional<Link> resolve(const std::string& into, const Reference& ref,
                              const std::set<std::string>& definedByPatch) const;

  static std::string klpSymbolName(const std::string& object, const std::string& name, uint32_t sympos);

 private:
  struct Object {
    const elf::ElfObject* elf;
    SymbolPositions positions;
    std::set<std::string_view> globals;  // defined global function/object/notype symbols
  };
  Object vmlinux_;
  std::map<std::string, Object> modules_;
  std::map<std::string, Export> exports_;
};

}  // namespace lpb::relocs
