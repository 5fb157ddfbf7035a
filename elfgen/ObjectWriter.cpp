#include "elfgen/ObjectWriter.h"

#include "elfgen/AtomicFile.h"

#include "elfgen/ElfObject.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace lpb::elf {

uint32_t ObjectWriter::addSection(OutSection s) {
  sections_.push_back(std::move(s));
  return static_cast<uint32_t>(sections_.size());
}

uint32_t ObjectWriter::addSymbol(OutSymbol s) {
  symbols_.push_back(std::move(s));
  return static_cast<uint32_t>(symbols_.size());
}

namespace {

class StringTable {
 public:
  StringTable() { bytes_.push_back(0); }
  uint32_t add(const std::string& s) {
    if (s.empty()) return 0;
    uint32_t off = static_cast<uint32_t>(bytes_.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    bytes_.push_back(0);
    return off;
  }
  std::vector<uint8_t>& bytes() { return bytes_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

void setData(Elf_Scn* scn, void* buf, size_t size, Elf_Type type, size_t align) {
  Elf_Data* d = elf_newdata(scn);
  d->d_buf = buf;
  d->d_size = size;
  d->d_type = type;
  d->d_align = align ? align : 1;
  d->d_version = EV_CURRENT;
}

}  // namespace

namespace {

// The output's section numbering: user sections keep their numbers (1..N); then one RELA
// section per user section with relocations; then .symtab, .strtab, .shstrtab.
struct Numbering {
  explicit Numbering(const std::vector<OutSection>& sections) : nUser(uint32_t(sections.size())) {
    relaIndexOf.assign(nUser + 1, 0);
    uint32_t next = nUser + 1;
    for (uint32_t i = 1; i <= nUser; ++i)
      if (!sections[i - 1].relocs.empty()) relaIndexOf[i] = next++;
    symtab = next++;
    strtab = next++;
    shstrtab = next++;
  }
  uint32_t relaTarget(uint32_t idx) const {
    for (uint32_t i = 1; i <= nUser; ++i)
      if (relaIndexOf[i] == idx) return i;
    return 0;
  }
  uint32_t nUser;
  std::vector<uint32_t> relaIndexOf;  // user section -> its RELA section (0: none)
  uint32_t symtab, strtab, shstrtab;
};

// The symbol table, locals first (ELF requires it), and where each symbol went.
struct SymbolTable {
  std::vector<Elf64_Sym> entries;
  std::vector<uint32_t> newIndex;  // 1-based input symbol -> output index
  uint32_t firstGlobal = 1;
  StringTable names;
};

SymbolTable symbolTable(const std::vector<OutSymbol>& symbols, uint32_t nUser, const std::string& path) {
  SymbolTable t;
  std::vector<uint32_t> order;
  order.reserve(symbols.size());
  for (uint32_t i = 0; i < symbols.size(); ++i)
    if (symbols[i].bind == STB_LOCAL) order.push_back(i);
  t.firstGlobal = static_cast<uint32_t>(order.size()) + 1;
  for (uint32_t i = 0; i < symbols.size(); ++i)
    if (symbols[i].bind != STB_LOCAL) order.push_back(i);
  t.newIndex.assign(symbols.size() + 1, 0);
  for (uint32_t k = 0; k < order.size(); ++k) t.newIndex[order[k] + 1] = k + 1;
  t.entries.resize(symbols.size() + 1);
  std::memset(t.entries.data(), 0, sizeof(Elf64_Sym));
  for (uint32_t k = 0; k < order.size(); ++k) {
    const OutSymbol& s = symbols[order[k]];
    Elf64_Sym& e = t.entries[k + 1];
    e.st_name = s.type == STT_SECTION ? 0 : t.names.add(s.name);
    e.st_value = s.value;
    e.st_size = s.size;
    e.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
    e.st_other = s.other;
    if (!s.sectionIsReserved && (s.section == 0 || s.section > nUser))
      throw InputError(path, fmt::format("internal: symbol {} placed in unknown section {}", s.name, s.section));
    e.st_shndx = static_cast<Elf64_Section>(s.section);
  }
  return t;
}

// Section names, stable before any header is written.
std::vector<uint32_t> sectionNames(const std::vector<OutSection>& sections, const Numbering& n, StringTable& shstrtab) {
  std::vector<uint32_t> nameOff(n.shstrtab + 1, 0);
  for (uint32_t i = 1; i <= n.nUser; ++i) nameOff[i] = shstrtab.add(sections[i - 1].name);
  for (uint32_t i = 1; i <= n.nUser; ++i)
    if (n.relaIndexOf[i]) {
      const OutSection& s = sections[i - 1];
      nameOff[n.relaIndexOf[i]] = shstrtab.add(s.relaName.empty() ? ".rela" + s.name : s.relaName);
    }
  nameOff[n.symtab] = shstrtab.add(".symtab");
  nameOff[n.strtab] = shstrtab.add(".strtab");
  nameOff[n.shstrtab] = shstrtab.add(".shstrtab");
  return nameOff;
}

void setUserSection(Elf_Scn* scn, Elf64_Shdr* sh, const OutSection& s) {
  sh->sh_type = s.type;
  sh->sh_flags = s.flags;
  sh->sh_addralign = s.addralign ? s.addralign : 1;
  sh->sh_entsize = s.entsize;
  sh->sh_link = s.linkSection;
  sh->sh_info = s.info;
  if (s.type == SHT_NOBITS) setData(scn, nullptr, s.size, ELF_T_BYTE, sh->sh_addralign);
  else setData(scn, const_cast<uint8_t*>(s.data.data()), s.data.size(), ELF_T_BYTE, sh->sh_addralign);
}

void setStringSection(Elf_Scn* scn, Elf64_Shdr* sh, const StringTable& strings) {
  sh->sh_type = SHT_STRTAB;
  sh->sh_addralign = 1;
  setData(scn, const_cast<uint8_t*>(strings.bytes().data()), strings.bytes().size(), ELF_T_BYTE, 1);
}

}  // namespace

void ObjectWriter::write(const std::string& path) const {
  auto fail = [&](const std::string& what) { return InputError(path, what); };
  const Numbering n(sections_);
  SymbolTable symtab = symbolTable(symbols_, n.nUser, path);
  std::vector<std::vector<Elf64_Rela>> relas(n.nUser + 1);
  for (uint32_t i = 1; i <= n.nUser; ++i)
    for (const OutReloc& r : sections_[i - 1].relocs) {
      if (r.sym > symbols_.size())
        throw fail(fmt::format("internal: relocation in {} names unknown symbol {}", sections_[i - 1].name, r.sym));
      relas[i].push_back(Elf64_Rela{r.offset, ELF64_R_INFO(symtab.newIndex[r.sym], r.type), r.addend});
    }
  StringTable shstrtab;
  std::vector<uint32_t> nameOff = sectionNames(sections_, n, shstrtab);

  elf_version(EV_CURRENT);
  AtomicFile file(path);
  Elf* e = elf_begin(file.fd(), ELF_C_WRITE, nullptr);
  if (!e) throw fail(elf_errmsg(-1));
  Elf64_Ehdr* eh = elf64_newehdr(e);
  eh->e_ident[EI_DATA] = byteOrder_;
  eh->e_ident[EI_OSABI] = osabi_;
  eh->e_type = ET_REL;
  eh->e_machine = machine_;
  eh->e_version = EV_CURRENT;
  eh->e_flags = eflags_;
  // elf_newscn hands out indices in order, so creating in our numbering order keeps them.
  for (uint32_t idx = 1; idx <= n.shstrtab; ++idx) {
    Elf_Scn* scn = elf_newscn(e);
    Elf64_Shdr* sh = elf64_getshdr(scn);
    sh->sh_name = nameOff[idx];
    if (idx <= n.nUser) {
      setUserSection(scn, sh, sections_[idx - 1]);
    } else if (idx == n.symtab) {
      sh->sh_type = SHT_SYMTAB;
      sh->sh_link = n.strtab;
      sh->sh_info = symtab.firstGlobal;
      sh->sh_entsize = sizeof(Elf64_Sym);
      sh->sh_addralign = 8;
      setData(scn, symtab.entries.data(), symtab.entries.size() * sizeof(Elf64_Sym), ELF_T_SYM, 8);
    } else if (idx == n.strtab || idx == n.shstrtab) {
      setStringSection(scn, sh, idx == n.strtab ? symtab.names : shstrtab);
    } else {
      uint32_t target = n.relaTarget(idx);
      sh->sh_type = SHT_RELA;
      sh->sh_flags = SHF_INFO_LINK | sections_[target - 1].relaFlags;
      sh->sh_link = n.symtab;
      sh->sh_info = target;
      sh->sh_entsize = sizeof(Elf64_Rela);
      sh->sh_addralign = 8;
      setData(scn, relas[target].data(), relas[target].size() * sizeof(Elf64_Rela), ELF_T_RELA, 8);
    }
  }
  eh->e_shstrndx = n.shstrtab;
  if (elf_update(e, ELF_C_WRITE) < 0) {
    std::string msg = elf_errmsg(-1);
    elf_end(e);
    throw fail(fmt::format("libelf: {}", msg));
  }
  elf_end(e);
  file.commit(false);  // an object in the work directory: nothing to keep across a crash
}

}  // namespace lpb::elf
