#include "elfgen/KlpRewrite.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <fmt/format.h>
#include <set>
#include <string_view>
#include <vector>

#include "elfgen/ElfObject.h"

#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif
#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH 0x00100000
#endif

namespace lpb::elf {

namespace {

constexpr std::string_view kKlpSym = ".klp.sym.";

struct ElfHandle {
  int fd = -1;
  Elf* e = nullptr;
  ~ElfHandle() {
    if (e) elf_end(e);
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

KlpRewriteStats convertKlpRelocations(const std::string& path) {
  elf_version(EV_CURRENT);
  ElfHandle h;
  h.fd = ::open(path.c_str(), O_RDWR);
  if (h.fd < 0) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
  h.e = elf_begin(h.fd, ELF_C_RDWR, nullptr);
  if (!h.e || elf_kind(h.e) != ELF_K_ELF) throw InputError(path, "not an ELF file");
  auto fail = [&](const std::string& what) { return InputError(path, what + ": " + elf_errmsg(-1)); };

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(h.e, &shstrndx) != 0) throw fail("no section name table");
  Elf_Scn* symScn = nullptr;
  GElf_Shdr symHdr{};
  for (Elf_Scn* s = elf_nextscn(h.e, nullptr); s; s = elf_nextscn(h.e, s)) {
    GElf_Shdr sh;
    if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_SYMTAB) symScn = s, symHdr = sh;
  }
  if (!symScn) throw InputError(path, "no symbol table");
  Elf_Data* symData = elf_getdata(symScn, nullptr);
  size_t nsyms = symHdr.sh_entsize ? symHdr.sh_size / symHdr.sh_entsize : 0;

  // 1. The symbols: `.klp.sym.<object>.<name>,<pos>` -> SHN_LIVEPATCH, global.
  KlpRewriteStats stats;
  std::vector<std::string> objectOfSym(nsyms);
  for (size_t i = 1; i < nsyms; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(symData, int(i), &sym)) throw fail("bad symbol table");
    const char* nm = elf_strptr(h.e, symHdr.sh_link, sym.st_name);
    std::string_view name = nm ? nm : "";
    if (!name.starts_with(kKlpSym)) continue;
    std::string_view rest = name.substr(kKlpSym.size());
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || rest.find(',') == std::string_view::npos)
      throw InputError(path, fmt::format("malformed livepatch symbol name {}", name));
    if (sym.st_shndx != SHN_UNDEF && sym.st_shndx != SHN_LIVEPATCH)
      throw InputError(path, fmt::format("livepatch symbol {} is defined in the module", name));
    objectOfSym[i] = std::string(rest.substr(0, dot));
    sym.st_shndx = SHN_LIVEPATCH;
    sym.st_info = GELF_ST_INFO(STB_GLOBAL, GELF_ST_TYPE(sym.st_info));
    if (!gelf_update_sym(symData, int(i), &sym)) throw fail("cannot update a symbol");
    ++stats.symbols;
  }
  if (stats.symbols == 0) return stats;
  elf_flagdata(symData, ELF_C_SET, ELF_F_DIRTY);

  // 2. The relocations: split each .rela section into what stays and what livepatch applies.
  struct NewSection {
    std::string name;
    GElf_Word info;
    std::vector<GElf_Rela> relas;
  };
  std::vector<NewSection> added;
  std::vector<Elf_Scn*> relaScns;
  for (Elf_Scn* s = elf_nextscn(h.e, nullptr); s; s = elf_nextscn(h.e, s)) {
    GElf_Shdr sh;
    if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_RELA && !(sh.sh_flags & SHF_RELA_LIVEPATCH)) relaScns.push_back(s);
  }
  for (Elf_Scn* s : relaScns) {
    GElf_Shdr sh;
    gelf_getshdr(s, &sh);
    Elf_Data* d = elf_getdata(s, nullptr);
    size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    std::vector<GElf_Rela> keep;
    std::map<std::string, std::vector<GElf_Rela>> moved;
    for (size_t i = 0; i < n; ++i) {
      GElf_Rela r;
      if (!gelf_getrela(d, int(i), &r)) throw fail("bad relocation section");
      size_t symIdx = GELF_R_SYM(r.r_info);
      if (symIdx < nsyms && !objectOfSym[symIdx].empty()) moved[objectOfSym[symIdx]].push_back(r);
      else keep.push_back(r);
    }
    if (moved.empty()) continue;
    Elf_Scn* target = elf_getscn(h.e, sh.sh_info);
    GElf_Shdr th;
    if (!target || !gelf_getshdr(target, &th)) throw InputError(path, "relocation section without a target section");
    const char* tn = elf_strptr(h.e, shstrndx, th.sh_name);
    for (auto& [object, relas] : moved) {
      stats.relocationsByObject[object] += unsigned(relas.size());
      added.push_back({fmt::format(".klp.rela.{}.{}", object, tn ? tn : ""), sh.sh_info, std::move(relas)});
    }
    for (size_t i = 0; i < keep.size(); ++i) gelf_update_rela(d, int(i), &keep[i]);
    d->d_size = keep.size() * sh.sh_entsize;
    sh.sh_size = d->d_size;
    gelf_update_shdr(s, &sh);
    elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
  }

  // 3. The new sections, with their names appended to the section name table.
  Elf_Scn* shstr = elf_getscn(h.e, shstrndx);
  GElf_Shdr shstrHdr;
  gelf_getshdr(shstr, &shstrHdr);
  std::string names;
  std::vector<size_t> nameOffsets;
  for (const auto& a : added) {
    nameOffsets.push_back(shstrHdr.sh_size + names.size());
    names += a.name;
    names.push_back('\0');
  }
  // libelf keeps pointers to the buffers until elf_update: they must outlive it.
  std::vector<std::vector<uint8_t>> buffers;
  buffers.emplace_back(names.begin(), names.end());
  Elf_Data* nd = elf_newdata(shstr);
  nd->d_buf = buffers.back().data();
  nd->d_size = buffers.back().size();
  nd->d_type = ELF_T_BYTE;
  nd->d_align = 1;
  size_t symtabIndex = elf_ndxscn(symScn);
  int elfClass = gelf_getclass(h.e);
  for (size_t i = 0; i < added.size(); ++i) {
    Elf_Scn* s = elf_newscn(h.e);
    if (!s) throw fail("cannot add a section");
    Elf_Data* d = elf_newdata(s);
    size_t entsize = gelf_fsize(h.e, ELF_T_RELA, 1, EV_CURRENT);
    buffers.emplace_back(added[i].relas.size() * entsize);
    d->d_buf = buffers.back().data();
    d->d_size = buffers.back().size();
    d->d_type = ELF_T_RELA;
    d->d_align = elfClass == ELFCLASS64 ? 8 : 4;
    for (size_t j = 0; j < added[i].relas.size(); ++j) gelf_update_rela(d, int(j), &added[i].relas[j]);
    GElf_Shdr sh{};
    gelf_getshdr(s, &sh);
    sh.sh_name = GElf_Word(nameOffsets[i]);
    sh.sh_type = SHT_RELA;
    sh.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;
    sh.sh_link = GElf_Word(symtabIndex);
    sh.sh_info = added[i].info;
    sh.sh_entsize = entsize;
    sh.sh_addralign = d->d_align;
    gelf_update_shdr(s, &sh);
    ++stats.sections;
  }
  if (elf_update(h.e, ELF_C_WRITE) < 0) throw fail("cannot write the module");
  return stats;
}

}  // namespace lpb::elf
