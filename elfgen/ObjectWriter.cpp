#include "elfgen/ObjectWriter.h"

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

void ObjectWriter::write(const std::string& path) const {
  auto fail = [&](const std::string& what) { return InputError(path, what); };

  // Output section numbering: user sections keep their numbers (1..N); then one RELA
  // section per user section with relocations; then .symtab, .strtab, .shstrtab.
  const uint32_t nUser = static_cast<uint32_t>(sections_.size());
  std::vector<uint32_t> relaIndexOf(nUser + 1, 0);
  uint32_t next = nUser + 1;
  for (uint32_t i = 1; i <= nUser; ++i)
    if (!sections_[i - 1].relocs.empty()) relaIndexOf[i] = next++;
  const uint32_t symtabIdx = next++, strtabIdx = next++, shstrIdx = next++;

  // Symbols: locals first (ELF requires it); remember where each one went.
  std::vector<uint32_t> order;
  order.reserve(symbols_.size());
  for (uint32_t i = 0; i < symbols_.size(); ++i)
    if (symbols_[i].bind == STB_LOCAL) order.push_back(i);
  const uint32_t firstGlobal = static_cast<uint32_t>(order.size()) + 1;
  for (uint32_t i = 0; i < symbols_.size(); ++i)
    if (symbols_[i].bind != STB_LOCAL) order.push_back(i);
  std::vector<uint32_t> newIndex(symbols_.size() + 1, 0);
  for (uint32_t k = 0; k < order.size(); ++k) newIndex[order[k] + 1] = k + 1;

  StringTable strtab, shstrtab;
  std::vector<Elf64_Sym> syms(symbols_.size() + 1);
  std::memset(syms.data(), 0, sizeof(Elf64_Sym));
  for (uint32_t k = 0; k < order.size(); ++k) {
    const OutSymbol& s = symbols_[order[k]];
    Elf64_Sym& e = syms[k + 1];
    e.st_name = s.type == STT_SECTION ? 0 : strtab.add(s.name);
    e.st_value = s.value;
    e.st_size = s.size;
    e.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
    e.st_other = s.other;
    if (!s.sectionIsReserved && (s.section == 0 || s.section > nUser))
      throw fail(fmt::format("internal: symbol {} placed in unknown section {}", s.name, s.section));
    e.st_shndx = static_cast<Elf64_Section>(s.section);
  }

  std::vector<std::vector<Elf64_Rela>> relas(nUser + 1);
  for (uint32_t i = 1; i <= nUser; ++i)
    for (const OutReloc& r : sections_[i - 1].relocs) {
      if (r.sym > symbols_.size())
        throw fail(fmt::format("internal: relocation in {} names unknown symbol {}", sections_[i - 1].name, r.sym));
      relas[i].push_back(Elf64_Rela{r.offset, ELF64_R_INFO(newIndex[r.sym], r.type), r.addend});
    }

  elf_version(EV_CURRENT);
  std::string tmp = path + ".lp-build-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw fail(fmt::format("cannot create: {}", std::strerror(errno)));
  Elf* e = elf_begin(fd, ELF_C_WRITE, nullptr);
  auto cleanup = [&] {
    if (e) elf_end(e);
    ::close(fd);
    ::unlink(tmp.c_str());
  };
  if (!e) { cleanup(); throw fail(elf_errmsg(-1)); }
  Elf64_Ehdr* eh = elf64_newehdr(e);
  eh->e_ident[EI_DATA] = byteOrder_;
  eh->e_ident[EI_OSABI] = osabi_;
  eh->e_type = ET_REL;
  eh->e_machine = machine_;
  eh->e_version = EV_CURRENT;
  eh->e_flags = eflags_;

  // Section names must be stable before any header is written.
  std::vector<uint32_t> nameOff(shstrIdx + 1, 0);
  for (uint32_t i = 1; i <= nUser; ++i) nameOff[i] = shstrtab.add(sections_[i - 1].name);
  for (uint32_t i = 1; i <= nUser; ++i)
    if (relaIndexOf[i]) {
      const OutSection& s = sections_[i - 1];
      nameOff[relaIndexOf[i]] = shstrtab.add(s.relaName.empty() ? ".rela" + s.name : s.relaName);
    }
  nameOff[symtabIdx] = shstrtab.add(".symtab");
  nameOff[strtabIdx] = shstrtab.add(".strtab");
  nameOff[shstrIdx] = shstrtab.add(".shstrtab");

  // elf_newscn hands out indices in order, so creating in our numbering order keeps them.
  for (uint32_t idx = 1; idx <= shstrIdx; ++idx) {
    Elf_Scn* scn = elf_newscn(e);
    Elf64_Shdr* sh = elf64_getshdr(scn);
    sh->sh_name = nameOff[idx];
    if (idx <= nUser) {
      const OutSection& s = sections_[idx - 1];
      sh->sh_type = s.type;
      sh->sh_flags = s.flags;
      sh->sh_addralign = s.addralign ? s.addralign : 1;
      sh->sh_entsize = s.entsize;
      sh->sh_link = s.linkSection;
      sh->sh_info = s.info;
      if (s.type == SHT_NOBITS) {
        setData(scn, nullptr, s.size, ELF_T_BYTE, sh->sh_addralign);
      } else {
        setData(scn, const_cast<uint8_t*>(s.data.data()), s.data.size(), ELF_T_BYTE, sh->sh_addralign);
      }
      continue;
    }
    if (idx == symtabIdx) {
      sh->sh_type = SHT_SYMTAB;
      sh->sh_link = strtabIdx;
      sh->sh_info = firstGlobal;
      sh->sh_entsize = sizeof(Elf64_Sym);
      sh->sh_addralign = 8;
      setData(scn, syms.data(), syms.size() * sizeof(Elf64_Sym), ELF_T_SYM, 8);
    } else if (idx == strtabIdx) {
      sh->sh_type = SHT_STRTAB;
      sh->sh_addralign = 1;
      setData(scn, strtab.bytes().data(), strtab.bytes().size(), ELF_T_BYTE, 1);
    } else if (idx == shstrIdx) {
      sh->sh_type = SHT_STRTAB;
      sh->sh_addralign = 1;
      setData(scn, shstrtab.bytes().data(), shstrtab.bytes().size(), ELF_T_BYTE, 1);
    } else {
      // A RELA section: find which user section it belongs to.
      uint32_t target = 0;
      for (uint32_t i = 1; i <= nUser; ++i)
        if (relaIndexOf[i] == idx) target = i;
      sh->sh_type = SHT_RELA;
      sh->sh_flags = SHF_INFO_LINK | sections_[target - 1].relaFlags;
      sh->sh_link = symtabIdx;
      sh->sh_info = target;
      sh->sh_entsize = sizeof(Elf64_Rela);
      sh->sh_addralign = 8;
      auto& v = relas[target];
      setData(scn, v.data(), v.size() * sizeof(Elf64_Rela), ELF_T_RELA, 8);
    }
  }
  eh->e_shstrndx = shstrIdx;
  if (elf_update(e, ELF_C_WRITE) < 0) {
    std::string msg = elf_errmsg(-1);
    cleanup();
    throw fail(fmt::format("libelf: {}", msg));
  }
  elf_end(e);
  e = nullptr;
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw fail("write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw fail(fmt::format("cannot rename into place: {}", std::strerror(errno)));
  }
}

}  // namespace lpb::elf
