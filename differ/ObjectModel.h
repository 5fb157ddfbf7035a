// One compiled unit as the differ sees it: each section classified, each symbol given its
// role, and each relocation resolvable to the symbol it really lands in. Built once per
// object (original and patched) and then only read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arch/Target.h"
#include "elfgen/ElfObject.h"

namespace lpb::differ {

enum class SectionKind {
  Text,      // executable code holding functions
  CodeIsland,// executable code referenced by offset, not a function (.altinstr_replacement, .fixup...)
  Data,      // writable data (.data*, .bss*)
  ReadOnly,  // read-only data (.rodata*), not strings
  Strings,   // mergeable string literals
  Init,      // __init/__exit code and data: runs once at boot/unload, never patched
  Special,   // an architecture or common special section (Target::findSpecial)
  KpatchMeta,// .kpatch.* sections of kpatch-style patches
  ModInfo,   // .modinfo
  Ignored,   // metadata that never reaches a patch module (debug info, notes, exports, .discard)
  Unknown,   // allocated, not recognised: a change to it is refused, never dropped
  Table,     // symbol/string/relocation/group tables
};

struct SymbolInfo {
  bool isFunction = false;
  bool isObject = false;
  bool isStaticLocal = false;   // a function's static variable (GCC `name.N`, Clang `func.name`)
  bool isSpecialStatic = false; // compiler/kernel bookkeeping statics never paired (__warned, __key...)
  bool isPrefix = false;        // belongs to the next function (Target::isFunctionPrefixSymbol)
  std::string baseName;         // name without compiler numbering, for pairing
  int32_t parent = -1;          // .cold/.part child: its parent function
  bool isColdPiece = false;     // a .cold child: no entry of its own, reached only from its parent
  std::vector<uint32_t> children;
  uint32_t prefixOf = 0;        // for a prefix symbol: the function it precedes
};

struct SectionInfo {
  SectionKind kind = SectionKind::Ignored;
  const arch::SpecialSection* special = nullptr;
  uint32_t primary = 0;    // the one function/object this section holds (-ffunction/data-sections)
  std::vector<uint32_t> objects;  // function/object symbols defined here, by address
  uint32_t sectionSymbol = 0;     // its STT_SECTION symbol, if any
  // A table of addresses code loads through (ppc64le .toc): the patch keeps its entries one
  // by one, like a special section's. 0: not such a table.
  unsigned addressTableEntrySize = 0;
};

// Where a relocation lands, after section-symbol references are replaced by the symbol
// they fall in (a reference to `.text.foo+0x10` becomes `foo+0x10`).
struct RelocTarget {
  uint32_t sym = 0;
  int64_t addend = 0;     // relative to `sym`, or to the section start when `anonymous`
  // The byte referred to (the addend without PC bias), for anonymous targets, relative to
  // the section. For named targets it is the addend: they compare by identity and addend.
  int64_t offset = 0;
  uint32_t section = 0;   // anonymous: the section referred to (no symbol covers the byte)
  bool exact = false;     // `offset` accounts for the PC bias (else it is the plain addend)
  bool anonymous() const { return section != 0; }
};

class ObjectModel {
 public:
  ObjectModel(const elf::ElfObject& elf, const arch::Target& target);
  const elf::ElfObject& elf;
  const arch::Target& target;
  std::vector<SectionInfo> sections;  // parallel to elf.sections
  std::vector<SymbolInfo> symbols;    // parallel to elf.symbols
  std::string fileName;               // the STT_FILE symbol: source file name

  const elf::Symbol& sym(uint32_t i) const { return elf.symbols[i]; }
  const elf::Section& sec(uint32_t i) const { return elf.sections[i]; }
  SectionKind kindOfSymbol(uint32_t sym) const;
  // Finding the exact byte of a PC-relative reference from x86 code means decoding the
  // function, so resolve() does it only where the answer picks the symbol; exactOffset()
  // gives it when a comparison needs it.
  RelocTarget resolve(const elf::Section& in, const elf::Reloc& r) const;
  int64_t exactOffset(const elf::Section& in, const elf::Reloc& r) const;
  // The NUL-terminated string a reference into a strings section points at.
  std::string_view stringAt(uint32_t section, int64_t offset) const;
  // The symbol defined at `offset` in `section` (function/object), or 0.
  uint32_t symbolCovering(uint32_t section, int64_t offset) const;
  uint32_t findSymbol(std::string_view name) const;
  // A section symbol or an assembler-local label (.LC0): refers to a place, not an object.
  bool isSectionRelative(uint32_t sym) const;
  // Decoded instructions of a code section (nullptr: not decodable), remembered.
  const std::vector<arch::Insn>* decoded(const elf::Section& code) const { return code_.get(code); }
  // Code islands (.altinstr_aux, .fixup...) hold one piece per use site, with no symbols:
  // the piece a reference lands in runs from there to the next place referenced.
  std::pair<int64_t, int64_t> islandPiece(uint32_t section, int64_t offset) const;
  // Is section `s` kept entry by entry (special sections, address tables), so that only
  // what its kept entries refer to counts?
  bool keptEntryByEntry(uint32_t s) const {
    return sections[s].kind == SectionKind::Special || sections[s].addressTableEntrySize;
  }

 private:
  void classifySections();
  void classifySymbols();
  // A memo, not state: what decoding and island scans found stays the same answer.
  struct DecodedCode : arch::InsnCache {
    DecodedCode(const elf::ElfObject& elf, const arch::Target& target) : elf(elf), target(target) {}
    const std::vector<arch::Insn>* get(const elf::Section& code) override;
    const elf::ElfObject& elf;
    const arch::Target& target;
    std::map<uint32_t, std::optional<std::vector<arch::Insn>>> cache;
  };
  mutable DecodedCode code_;
  std::map<std::string_view, uint32_t> byName_;
  mutable std::map<uint32_t, std::vector<int64_t>> islandStarts_;
};

// `name` without compiler numbering: `.isra.3` -> `.isra`, `counter.12` -> `counter`,
// `__UNIQUE_ID_ddebug123` -> `__UNIQUE_ID_ddebug`.
std::string stripNumbering(std::string_view name);
bool isSpecialStaticName(std::string_view name);

}  // namespace lpb::differ
