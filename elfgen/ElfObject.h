// The ELF object model: one relocatable object read with libelf into plain structs.
//
// Everything downstream (arch targets, the differ, the module emitter) works on these
// structs, never on libelf handles, so that the rules stay readable and testable.
// Byte order is already translated for the tables libelf knows (symbols, relocations);
// section contents stay exactly as in the file (an architecture reads its own code).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lpb::elf {

// Bad input: the message names the file and the problem in one line.
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, const std::string& problem)
      : std::runtime_error(file + ": " + problem) {}
};

struct Reloc {
  uint64_t offset = 0;  // within the section it applies to
  uint32_t type = 0;
  uint32_t sym = 0;     // index into ElfObject::symbols
  int64_t addend = 0;
};

struct Section {
  uint32_t index = 0;
  std::string_view name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t size = 0;
  uint64_t addralign = 0;
  uint64_t addr = 0;      // sh_addr (linked images)
  uint64_t entsize = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  std::span<const uint8_t> data;  // empty for SHT_NOBITS
  uint32_t relaSection = 0;       // the SHT_RELA section applying to this one, 0 if none
  std::vector<Reloc> relocs;      // its relocations, sorted by offset
  uint32_t group = 0;             // the SHT_GROUP section holding this one, 0 if none
  bool isAlloc() const;
  bool isExec() const;
  bool isWrite() const;
  bool isMergeStrings() const;
};

struct Symbol {
  uint32_t index = 0;
  std::string_view name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;   // STT_*
  uint8_t bind = 0;   // STB_*
  uint8_t other = 0;  // st_other (visibility, ppc64 local-entry bits)
  uint32_t shndx = 0; // real section index (SHN_XINDEX resolved); SHN_UNDEF, SHN_ABS, SHN_COMMON kept
  bool isDefined() const;  // in a real section of this object
};

// What the ELF header says about the machine an object is for.
struct ElfIdentity {
  uint16_t machine = 0;   // e_machine
  uint32_t eflags = 0;    // e_flags
  uint8_t byteOrder = 0;  // ELFDATA2LSB / ELFDATA2MSB
};
// Reads only the header of a 64-bit ELF file (a vmlinux is large; this is cheap).
// Throws InputError naming the file.
ElfIdentity readIdentity(const std::string& path);

class ElfObject {
 public:
  // Reads and validates a 64-bit relocatable object; throws InputError naming the file.
  static ElfObject open(const std::string& path);
  // Same, for any 64-bit ELF (vmlinux, a .ko) whose symbol table is wanted.
  static ElfObject openAny(const std::string& path);

  std::string path;
  uint16_t fileType = 0;  // e_type
  uint16_t machine = 0;   // e_machine
  uint32_t eflags = 0;    // e_flags
  uint8_t byteOrder = 0;  // ELFDATA2LSB / ELFDATA2MSB
  uint8_t osabi = 0;
  std::vector<Section> sections;  // index 0 is the null section
  std::vector<Symbol> symbols;    // index 0 is the null symbol
  uint32_t symtabIndex = 0;

  ElfIdentity identity() const { return {machine, eflags, byteOrder}; }
  const Section* findSection(std::string_view name) const;
  // The GNU build id (NT_GNU_BUILD_ID note) as hex, or "" when the file has none.
  std::string buildId() const;
  // Reads an unsigned integer of `size` bytes at `offset` of a section, in the file's byte order.
  uint64_t readUint(const Section& sec, uint64_t offset, unsigned size) const;

  struct FileImage;  // the file's bytes (read, or mapped for linked images)

  ElfObject(ElfObject&&) noexcept;
  ElfObject& operator=(ElfObject&&) noexcept;
  ~ElfObject();

 private:
  ElfObject() = default;
  static ElfObject load(const std::string& path, bool relocatableOnly);
  class Loader;  // ElfObject.cpp: one step of load() per part of the file
  friend class Loader;
  std::unique_ptr<FileImage> image_;  // every view above points into it
};

}  // namespace lpb::elf
