#include "elfgen/ElfObject.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <fmt/format.h>

namespace lpb::elf {

bool Section::isAlloc() const { return flags & SHF_ALLOC; }
bool Section::isExec() const { return flags & SHF_EXECINSTR; }
bool Section::isWrite() const { return flags & SHF_WRITE; }
bool Section::isMergeStrings() const {
  return (flags & (SHF_MERGE | SHF_STRINGS)) == (SHF_MERGE | SHF_STRINGS);
}

bool Symbol::isDefined() const {
  return shndx != SHN_UNDEF && shndx < SHN_LORESERVE;
}

namespace {

int openRegularFile(const std::string& path, struct stat& st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, fmt::format("cannot open: {}", std::strerror(errno)));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path, "not a regular file");
  }
  return fd;
}

}  // namespace

// The bytes of one input file. Objects are read into memory; linked images (a distro's
// debug vmlinux is 340 MB, of which lp-build reads the symbol table and a few sections)
// are mapped, private and copy-on-write, so that only the pages read are loaded.
struct ElfObject::FileImage {
  std::vector<uint8_t> owned;
  uint8_t* mapped = nullptr;
  size_t size = 0;
  uint8_t* data() { return mapped ? mapped : owned.data(); }
  ~FileImage() {
    if (mapped) ::munmap(mapped, size);
  }
};

namespace {

std::unique_ptr<ElfObject::FileImage> readFileImage(const std::string& path, bool map) {
  struct stat st {};
  int fd = openRegularFile(path, st);
  auto img = std::make_unique<ElfObject::FileImage>();
  img->size = static_cast<size_t>(st.st_size);
  if (map && img->size > 0) {
    void* p = ::mmap(nullptr, img->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) throw InputError(path, fmt::format("cannot map: {}", std::strerror(errno)));
    img->mapped = static_cast<uint8_t*>(p);
    return img;
  }
  img->owned.resize(img->size);
  size_t got = 0;
  while (got < img->size) {
    ssize_t n = ::read(fd, img->owned.data() + got, img->size - got);
    if (n <= 0) {
      ::close(fd);
      throw InputError(path, "read failed");
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return img;
}

struct ElfHandle {
  Elf* e = nullptr;
  ~ElfHandle() { if (e) elf_end(e); }
};

}  // namespace

ElfObject::~ElfObject() = default;
ElfObject::ElfObject(ElfObject&&) noexcept = default;
ElfObject& ElfObject::operator=(ElfObject&&) noexcept = default;

ElfObject ElfObject::open(const std::string& path) { return load(path, true); }
ElfObject ElfObject::openAny(const std::string& path) { return load(path, false); }

ElfIdentity readIdentity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[sizeof(Elf64_Ehdr)] = {};
  if (!in) throw InputError(path, "cannot open");
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() < EI_NIDENT || std::memcmp(h, ELFMAG, SELFMAG) != 0) throw InputError(path, "not an ELF file");
  if (h[EI_CLASS] != ELFCLASS64) throw InputError(path, "wrong ELF class: lp-build needs a 64-bit ELF file");
  if (in.gcount() < std::streamsize(sizeof h)) throw InputError(path, "truncated ELF header");
  bool little = h[EI_DATA] == ELFDATA2LSB;
  if (!little && h[EI_DATA] != ELFDATA2MSB) throw InputError(path, "unknown ELF byte order");
  auto field = [&](size_t at, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint64_t(h[at + (little ? i : size - 1 - i)]) << (8 * i);
    return v;
  };
  return {uint16_t(field(offsetof(Elf64_Ehdr, e_machine), 2)), uint32_t(field(offsetof(Elf64_Ehdr, e_flags), 4)),
          h[EI_DATA]};
}

// Reads an ELF file into an ElfObject, checking each part before anything points into it.
class ElfObject::Loader {
 public:
  Loader(const std::string& path, bool relocatableOnly) : path_(path), relocatableOnly_(relocatableOnly) {
    obj.path = path;
    obj.image_ = readFileImage(path, !relocatableOnly);
    b_ = std::span<const uint8_t>(obj.image_->data(), obj.image_->size);
  }
  ElfObject run() {
    readHeader();
    readSections();
    readSymbols();
    if (relocatableOnly_ && !obj.symtabIndex) throw fail("no symbol table: not a compiled object");
    readRelocations();
    readGroups();
    return std::move(obj);
  }

 private:
  InputError fail(const std::string& what) const { return InputError(path_, what); }
  void readHeader();
  void readSections();
  void readSection(size_t i);
  void readSymbols();
  void readSymbol(Elf_Data* d, Elf_Data* xd, size_t i, uint32_t strtab);
  void readRelocations();
  void readRelocationSection(Section& rs);
  void readGroups();

  std::string path_;
  bool relocatableOnly_;
  ElfObject obj;
  std::span<const uint8_t> b_;
  ElfHandle h_;
  size_t shnum_ = 0, shstrndx_ = 0;
};

// The identification bytes, the ELF header and the section header table's bounds.
void ElfObject::Loader::readHeader() {
  const auto& b = b_;
  if (b.size() < EI_NIDENT || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0)
    throw fail("not an ELF file");
  if (b[EI_CLASS] != ELFCLASS64)
    throw fail(b[EI_CLASS] == ELFCLASS32 ? "wrong ELF class: 32-bit object, lp-build needs 64-bit"
                                         : "wrong ELF class");
  if (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB) throw fail("unknown ELF byte order");
  if (b.size() < sizeof(Elf64_Ehdr)) throw fail("truncated ELF header");

  elf_version(EV_CURRENT);
  h_.e = elf_memory(reinterpret_cast<char*>(obj.image_->data()), obj.image_->size);
  if (!h_.e) throw fail(fmt::format("libelf: {}", elf_errmsg(-1)));
  GElf_Ehdr eh;
  if (!gelf_getehdr(h_.e, &eh)) throw fail(fmt::format("bad ELF header: {}", elf_errmsg(-1)));
  if (relocatableOnly_ && eh.e_type != ET_REL) throw fail("not a relocatable object (ET_REL)");
  obj.fileType = eh.e_type;
  obj.machine = eh.e_machine;
  obj.eflags = eh.e_flags;
  obj.byteOrder = b[EI_DATA];
  obj.osabi = b[EI_OSABI];
  if (eh.e_shoff > b.size() || eh.e_shnum > (b.size() - eh.e_shoff) / sizeof(Elf64_Shdr) + 1)
    throw fail("truncated: section header table lies past the end of the file");
  if (eh.e_shoff && eh.e_shentsize != sizeof(Elf64_Shdr))
    throw fail(fmt::format("corrupt ELF header: section header entry size {} (expected {})", eh.e_shentsize,
                           sizeof(Elf64_Shdr)));
  if (elf_getshdrnum(h_.e, &shnum_) != 0) throw fail("corrupt section header table");
  if (elf_getshdrstrndx(h_.e, &shstrndx_) != 0 || (shnum_ && shstrndx_ >= shnum_))
    throw fail("corrupt section header string table index");
}

// Section headers and contents.
void ElfObject::Loader::readSections() {
  obj.sections.resize(shnum_);
  for (size_t i = 1; i < shnum_; ++i) readSection(i);
}

void ElfObject::Loader::readSection(size_t i) {
  const auto& b = b_;
  Elf_Scn* scn = elf_getscn(h_.e, i);
  GElf_Shdr sh;
  if (!scn || !gelf_getshdr(scn, &sh)) throw fail(fmt::format("corrupt section header {}", i));
  Section& s = obj.sections[i];
  s.index = static_cast<uint32_t>(i);
  const char* nm = elf_strptr(h_.e, shstrndx_, sh.sh_name);
  if (!nm) throw fail(fmt::format("corrupt section name offset in section header {}", i));
  s.name = nm;
  s.type = sh.sh_type;
  s.flags = sh.sh_flags;
  s.size = sh.sh_size;
  s.addralign = sh.sh_addralign;
  s.addr = sh.sh_addr;
  s.entsize = sh.sh_entsize;
  s.link = sh.sh_link;
  s.info = sh.sh_info;
  // Values the differ copies into its output: libelf refuses to write them otherwise.
  // (A kernel object aligns to a page, or a huge page at most; the writer pads to it.)
  if (s.addralign & (s.addralign - 1))
    throw fail(fmt::format("corrupt section {}: alignment {} is not a power of two", s.name, s.addralign));
  if (s.addralign > (uint64_t(1) << 24))
    throw fail(fmt::format("corrupt section {}: alignment {} is more than 16 MiB", s.name, s.addralign));
  if (s.entsize && s.type != SHT_NOBITS && s.size % s.entsize)
    throw fail(fmt::format("corrupt section {}: size {} is not a multiple of its entry size {}", s.name, s.size,
                           s.entsize));
  if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL) {
    if (sh.sh_offset > b.size() || sh.sh_size > b.size() - sh.sh_offset)
      throw fail(fmt::format("truncated: section {} lies past the end of the file", s.name));
    s.data = std::span<const uint8_t>(b.data() + sh.sh_offset, sh.sh_size);
  }
  if (s.link >= shnum_ && s.type != SHT_NULL && (s.type == SHT_SYMTAB || s.type == SHT_RELA ||
                                                 s.type == SHT_REL || s.type == SHT_GROUP))
    throw fail(fmt::format("corrupt section {}: sh_link {} out of range", s.name, s.link));
  if (s.type == SHT_SYMTAB) obj.symtabIndex = s.index;
}

// The symbol table (with SHT_SYMTAB_SHNDX for section indexes that do not fit).
void ElfObject::Loader::readSymbols() {
  if (!obj.symtabIndex) return;
  Elf_Scn* scn = elf_getscn(h_.e, obj.symtabIndex);
  const Section& st = obj.sections[obj.symtabIndex];
  Elf_Data* d = elf_getdata(scn, nullptr);
  if (!d) throw fail(fmt::format("corrupt symbol table: {}", elf_errmsg(-1)));
  if (st.link == 0 || obj.sections[st.link].type != SHT_STRTAB)
    throw fail("corrupt symbol table: its string table link is not a string table");
  Elf_Data* xd = nullptr;
  for (size_t i = 1; i < shnum_; ++i)
    if (obj.sections[i].type == SHT_SYMTAB_SHNDX && obj.sections[i].link == obj.symtabIndex)
      xd = elf_getdata(elf_getscn(h_.e, i), nullptr);
  size_t n = st.entsize ? st.size / st.entsize : 0;
  if (st.entsize != sizeof(Elf64_Sym) || st.size % sizeof(Elf64_Sym))
    throw fail("corrupt symbol table: bad entry size");
  obj.symbols.resize(n);
  for (size_t i = 0; i < n; ++i) readSymbol(d, xd, i, st.link);
  // A section symbol's name is its section's name: give it one, the differ talks about it.
  for (auto& s : obj.symbols)
    if (s.type == STT_SECTION && s.isDefined() && s.name.empty()) s.name = obj.sections[s.shndx].name;
}

void ElfObject::Loader::readSymbol(Elf_Data* d, Elf_Data* xd, size_t i, uint32_t strtab) {
  GElf_Sym gs;
  Elf32_Word xndx = 0;
  if (!gelf_getsymshndx(d, xd, static_cast<int>(i), &gs, &xndx))
    throw fail(fmt::format("corrupt symbol table entry {}", i));
  Symbol& s = obj.symbols[i];
  s.index = static_cast<uint32_t>(i);
  const char* nm = elf_strptr(h_.e, strtab, gs.st_name);
  if (!nm) throw fail(fmt::format("corrupt symbol table: name of symbol {} out of range", i));
  s.name = nm;
  s.value = gs.st_value;
  s.size = gs.st_size;
  s.type = GELF_ST_TYPE(gs.st_info);
  s.bind = GELF_ST_BIND(gs.st_info);
  s.other = gs.st_other;
  if (gs.st_shndx == SHN_XINDEX && !xd)
    throw fail(fmt::format("corrupt symbol table: symbol {} uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX", i));
  s.shndx = gs.st_shndx == SHN_XINDEX ? xndx : gs.st_shndx;
  if (!s.isDefined()) return;
  std::string what = s.name.empty() ? std::to_string(i) : std::string(s.name);
  if (s.shndx >= shnum_)
    throw fail(fmt::format("corrupt symbol table: symbol {} in section {} out of range", what, s.shndx));
  const Section& in = obj.sections[s.shndx];
  if (relocatableOnly_ && s.type != STT_SECTION && s.type != STT_FILE &&
      (s.value > in.size || s.size > in.size - s.value))
    throw fail(fmt::format("corrupt symbol table: {} (0x{:x}+0x{:x}) extends past the end of section {} "
                           "(0x{:x} bytes)",
                           what, s.value, s.size, in.name, in.size));
}

// Relocations, attached to the section they apply to. A linked image (vmlinux, ET_EXEC)
// may keep relocation sections too, as every CONFIG_RELOCATABLE distro kernel and every
// s390 kernel does; their offsets are run-time addresses, not section offsets, and
// nothing lp-build reads from a linked image needs them.
void ElfObject::Loader::readRelocations() {
  if (obj.fileType != ET_REL) return;
  for (size_t i = 1; i < shnum_; ++i) {
    Section& rs = obj.sections[i];
    if (rs.type == SHT_REL && relocatableOnly_)
      throw fail(fmt::format("section {}: SHT_REL relocations are not supported (RELA expected)", rs.name));
    if (rs.type != SHT_RELA) continue;
    if (!relocatableOnly_ && !(rs.flags & SHF_INFO_LINK)) continue;
    readRelocationSection(rs);
  }
}

void ElfObject::Loader::readRelocationSection(Section& rs) {
  if (rs.link != obj.symtabIndex)
    throw fail(fmt::format("corrupt relocation section {}: not linked to the symbol table", rs.name));
  if (rs.info == 0 || rs.info >= shnum_)
    throw fail(fmt::format("corrupt relocation section {}: target section {} out of range", rs.name, rs.info));
  if (rs.entsize != sizeof(Elf64_Rela) || rs.size % sizeof(Elf64_Rela))
    throw fail(fmt::format("corrupt relocation section {}: bad entry size", rs.name));
  Section& target = obj.sections[rs.info];
  target.relaSection = rs.index;
  Elf_Data* d = elf_getdata(elf_getscn(h_.e, rs.index), nullptr);
  if (!d) throw fail(fmt::format("corrupt relocation section {}: {}", rs.name, elf_errmsg(-1)));
  size_t n = rs.size / sizeof(Elf64_Rela);
  target.relocs.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    GElf_Rela r;
    if (!gelf_getrela(d, static_cast<int>(k), &r)) throw fail(fmt::format("corrupt relocation {} in {}", k, rs.name));
    Reloc rel{r.r_offset, static_cast<uint32_t>(GELF_R_TYPE(r.r_info)), static_cast<uint32_t>(GELF_R_SYM(r.r_info)),
              r.r_addend};
    if (rel.sym >= obj.symbols.size())
      throw fail(fmt::format("relocation {} in {} names symbol {} out of range", k, rs.name, rel.sym));
    if (const Symbol& ts = obj.symbols[rel.sym]; ts.type == STT_SECTION && ts.isDefined() &&
        (obj.sections[ts.shndx].flags & SHF_STRINGS) &&
        (rel.addend < -64 || rel.addend > static_cast<int64_t>(obj.sections[ts.shndx].size) + 64))
      throw fail(fmt::format("relocation {} in {} points outside string section {} (addend {})", k, rs.name,
                             obj.sections[ts.shndx].name, rel.addend));
    if (rel.offset >= target.size)
      throw fail(fmt::format("relocation {} in {} points out of range (offset 0x{:x}, section {} has 0x{:x} bytes)", k,
                             rs.name, rel.offset, target.name, target.size));
    target.relocs.push_back(rel);
  }
  std::stable_sort(target.relocs.begin(), target.relocs.end(),
                   [](const Reloc& a, const Reloc& b) { return a.offset < b.offset; });
}

// Section groups (COMDAT): remember which group holds each member.
void ElfObject::Loader::readGroups() {
  for (size_t i = 1; i < shnum_; ++i) {
    const Section& g = obj.sections[i];
    if (g.type != SHT_GROUP) continue;
    if (g.data.size() % 4) throw fail(fmt::format("corrupt section group {}", g.name));
    for (size_t off = 4; off < g.data.size(); off += 4) {
      uint32_t m = static_cast<uint32_t>(obj.readUint(g, off, 4));
      if (m == 0 || m >= shnum_) throw fail(fmt::format("corrupt section group {}: member {} out of range", g.name, m));
      obj.sections[m].group = g.index;
    }
  }
}

ElfObject ElfObject::load(const std::string& path, bool relocatableOnly) { return Loader(path, relocatableOnly).run(); }

const Section* ElfObject::findSection(std::string_view name) const {
  for (const auto& s : sections)
    if (s.index && s.name == name) return &s;
  return nullptr;
}

std::string ElfObject::buildId() const {
  for (const auto& sec : sections) {
    if (sec.type != SHT_NOTE) continue;
    // Notes: namesz, descsz, type (4 bytes each), then name and desc, each padded to 4.
    for (uint64_t at = 0; at + 12 <= sec.data.size();) {
      uint64_t namesz = readUint(sec, at, 4), descsz = readUint(sec, at + 4, 4), type = readUint(sec, at + 8, 4);
      uint64_t name = at + 12, desc = name + ((namesz + 3) & ~uint64_t(3));
      uint64_t next = desc + ((descsz + 3) & ~uint64_t(3));
      if (namesz > sec.data.size() || descsz > sec.data.size() || next > sec.data.size()) break;
      if (type == NT_GNU_BUILD_ID && namesz == 4 && std::memcmp(sec.data.data() + name, "GNU", 4) == 0) {
        std::string hex;
        for (uint64_t i = 0; i < descsz; ++i) hex += fmt::format("{:02x}", sec.data[desc + i]);
        return hex;
      }
      at = next;
    }
  }
  return {};
}

uint64_t ElfObject::readUint(const Section& sec, uint64_t offset, unsigned size) const {
  if (offset > sec.data.size() || size > sec.data.size() - offset) return 0;
  uint64_t v = 0;
  const uint8_t* p = sec.data.data() + offset;
  if (byteOrder == ELFDATA2LSB)
    for (unsigned i = 0; i < size; ++i) v |= uint64_t(p[i]) << (8 * i);
  else
    for (unsigned i = 0; i < size; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace lpb::elf
