// Writes a new relocatable ELF object from plain descriptions of its sections, symbols and
// relocations. Used for the differ's output object (and later the klp-relocation rewrite of
// the linked module). The file appears atomically: it is written beside the destination
// and renamed into place, so an interrupted run leaves no partial output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lpb::elf {

struct OutReloc {
  uint64_t offset = 0;
  uint32_t type = 0;
  uint32_t sym = 0;  // index returned by ObjectWriter::addSymbol
  int64_t addend = 0;
};

struct OutSection {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t addralign = 1;
  uint64_t entsize = 0;
  std::vector<uint8_t> data;   // contents; for SHT_NOBITS only `size` counts
  uint64_t size = 0;           // SHT_NOBITS size (others use data.size())
  uint32_t linkSection = 0;    // sh_link as an index returned by addSection (0: none)
  uint32_t info = 0;           // sh_info verbatim (not for RELA: that is set by the writer)
  std::vector<OutReloc> relocs;  // written as a ".rela<name>" section
  uint64_t relaFlags = 0;        // extra sh_flags for that RELA section (e.g. SHF_RELA_LIVEPATCH)
  std::string relaName;          // overrides ".rela<name>" when set
};

struct OutSymbol {
  std::string name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;
  uint8_t bind = 0;
  uint8_t other = 0;
  uint32_t section = 0;  // index returned by addSection, or a reserved SHN_* value
  bool sectionIsReserved = false;  // `section` is SHN_UNDEF/SHN_ABS/SHN_LIVEPATCH..., not an added section
};

class ObjectWriter {
 public:
  ObjectWriter(uint16_t machine, uint32_t eflags, uint8_t byteOrder, uint8_t osabi)
      : machine_(machine), eflags_(eflags), byteOrder_(byteOrder), osabi_(osabi) {}
  // Sections are numbered from 1 in the order added.
  uint32_t addSection(OutSection s);
  OutSection& section(uint32_t index) { return sections_.at(index - 1); }
  // Symbols are numbered from 1 in the order added; the writer puts locals first on output.
  uint32_t addSymbol(OutSymbol s);
  OutSymbol& symbol(uint32_t index) { return symbols_.at(index - 1); }
  // Writes the object; throws std::runtime_error naming the path on failure.
  void write(const std::string& path) const;

 private:
  uint16_t machine_;
  uint32_t eflags_;
  uint8_t byteOrder_;
  uint8_t osabi_;
  std::vector<OutSection> sections_;
  std::vector<OutSymbol> symbols_;
};

}  // namespace lpb::elf
