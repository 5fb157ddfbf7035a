// Where a static symbol sits among the same-named statics of the running kernel.
//
// A klp relocation names its target `.klp.sym.<object>.<name>,<sympos>`: sympos 0 means
// "the only one", n means "the n-th of that name". The kernel counts them as it walks
// kallsyms, which for vmlinux is address order and for a module its symbol-table order, so
// that is how they are counted here. Which of several is ours is decided by the STT_FILE
// scope the symbol sits in (the compilation unit's source file name).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "elfgen/ElfObject.h"

namespace lpb::relocs {

class SymbolPositions {
 public:
  explicit SymbolPositions(const elf::ElfObject& symbols);
  // The sympos of local function/object `name` from source file `file`; nullopt when the
  // symbols file has no such local from that file (inlined or optimized away there), or
  // has no file symbols to tell several same-named locals apart.
  std::optional<uint32_t> positionOf(std::string_view name, std::string_view file) const;
  // The sympos of global `name`: 0 when no other symbol has the name (the kernel's lookup
  // counts locals and globals alike); nullopt when the symbols file has no such global.
  std::optional<uint32_t> positionOfGlobal(std::string_view name) const;

 private:
  struct Named {
    const elf::Symbol* sym;
    std::string_view file;  // the STT_FILE scope of a local; empty for a global
  };
  std::optional<uint32_t> positionAmong(std::string_view name, const elf::Symbol* ours) const;
  using Entry = std::pair<std::string_view, Named>;
  std::pair<std::vector<Entry>::const_iterator, std::vector<Entry>::const_iterator> named(std::string_view name) const;
  const elf::ElfObject& elf_;
  // Every function and object symbol, sorted by name (symbol-table order within a name):
  // one sort of a vector, several times faster than a tree on vmlinux's symbol table.
  std::vector<Entry> byName_;
  bool hasFileSymbols_ = false;
};

}  // namespace lpb::relocs
