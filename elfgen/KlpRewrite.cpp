#include "elfgen/KlpRewrite.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <fmt/format.h>
#include <list>
#include <map>
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

// One module file rewritten in place: its `.klp.sym.` symbols become livepatch symbols and
// the relocations against them move into `.klp.rela.<object>.<section>` sections.
class KlpRewriter {
 public:
  explicit KlpRewriter(const std::string& path);
  KlpRewriteStats run() {
    markLivepatchSymbols();
    if (stats_.symbols == 0) return stats_;
    for (Elf_Scn* s : relocationSections()) splitRelocations(s);
    addKlpSections();
    if (elf_update(h_.e, ELF_C_WRITE) < 0) throw fail("cannot write the module");
    return stats_;
  }

 private:
  struct NewSection {
    std::string name;
    GElf_Word info;
    std::vector<GElf_Rela> relas;
  };
  InputError fail(const std::string& what) const { return InputError(path_, what + ": " + elf_errmsg(-1)); }
  void markLivepatchSymbols();
  std::vector<Elf_Scn*> relocationSections() const;
  void splitRelocations(Elf_Scn* s);
  void addKlpSections();

  std::string path_;
  ElfHandle h_;
  size_t shstrndx_ = 0, nsyms_ = 0;
  Elf_Scn* symScn_ = nullptr;
  GElf_Shdr symHdr_{};
  Elf_Data* symData_ = nullptr;
  std::vector<std::string> objectOfSym_;  // per symbol: the livepatch object it is in ("" : none)
  std::vector<NewSection> added_;
  std::list<std::vector<uint8_t>> buffers_;  // stable addresses, for libelf
  KlpRewriteStats stats_;
};

KlpRewriter::KlpRewriter(const std::string& path) : path_(path) {
  elf_version(EV_CURRENT);
  h_.fd = ::open(path.c_str(), O_RDWR);
  if (h_.fd < 0) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
  h_.e = elf_begin(h_.fd, ELF_C_RDWR, nullptr);
  if (!h_.e || elf_kind(h_.e) != ELF_K_ELF) throw InputError(path, "not an ELF file");
  if (elf_getshdrstrndx(h_.e, &shstrndx_) != 0) throw fail("no section name table");
  for (Elf_Scn* s = elf_nextscn(h_.e, nullptr); s; s = elf_nextscn(h_.e, s)) {
    GElf_Shdr sh;
    if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_SYMTAB) symScn_ = s, symHdr_ = sh;
  }
  if (!symScn_) throw InputError(path, "no symbol table");
  symData_ = elf_getdata(symScn_, nullptr);
  nsyms_ = symHdr_.sh_entsize ? symHdr_.sh_size / symHdr_.sh_entsize : 0;
}

// The symbols: `.klp.sym.<object>.<name>,<pos>` -> SHN_LIVEPATCH, global.
void KlpRewriter::markLivepatchSymbols() {
  objectOfSym_.assign(nsyms_, {});
  for (size_t i = 1; i < nsyms_; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(symData_, int(i), &sym)) throw fail("bad symbol table");
    const char* nm = elf_strptr(h_.e, symHdr_.sh_link, sym.st_name);
    std::string_view name = nm ? nm : "";
    if (!name.starts_with(kKlpSym)) continue;
    std::string_view rest = name.substr(kKlpSym.size());
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || rest.find(',') == std::string_view::npos)
      throw InputError(path_, fmt::format("malformed livepatch symbol name {}", name));
    if (sym.st_shndx != SHN_UNDEF && sym.st_shndx != SHN_LIVEPATCH)
      throw InputError(path_, fmt::format("livepatch symbol {} is defined in the module", name));
    objectOfSym_[i] = std::string(rest.substr(0, dot));
    sym.st_shndx = SHN_LIVEPATCH;
    sym.st_info = GELF_ST_INFO(STB_GLOBAL, GELF_ST_TYPE(sym.st_info));
    if (!gelf_update_sym(symData_, int(i), &sym)) throw fail("cannot update a symbol");
    ++stats_.symbols;
  }
  if (stats_.symbols) elf_flagdata(symData_, ELF_C_SET, ELF_F_DIRTY);
}

std::vector<Elf_Scn*> KlpRewriter::relocationSections() const {
  std::vector<Elf_Scn*> out;
  for (Elf_Scn* s = elf_nextscn(h_.e, nullptr); s; s = elf_nextscn(h_.e, s)) {
    GElf_Shdr sh;
    if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_RELA && !(sh.sh_flags & SHF_RELA_LIVEPATCH)) out.push_back(s);
  }
  return out;
}

// Splits one .rela section into what stays and what livepatch applies (one new section
// per livepatch object).
void KlpRewriter::splitRelocations(Elf_Scn* s) {
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
    if (symIdx < nsyms_ && !objectOfSym_[symIdx].empty()) moved[objectOfSym_[symIdx]].push_back(r);
    else keep.push_back(r);
  }
  if (moved.empty()) return;
  Elf_Scn* target = elf_getscn(h_.e, sh.sh_info);
  GElf_Shdr th;
  if (!target || !gelf_getshdr(target, &th)) throw InputError(path_, "relocation section without a target section");
  const char* tn = elf_strptr(h_.e, shstrndx_, th.sh_name);
  for (auto& [object, relas] : moved) {
    stats_.relocationsByObject[object] += unsigned(relas.size());
    added_.push_back({fmt::format(".klp.rela.{}.{}", object, tn ? tn : ""), sh.sh_info, std::move(relas)});
  }
  for (size_t i = 0; i < keep.size(); ++i) gelf_update_rela(d, int(i), &keep[i]);
  d->d_size = keep.size() * sh.sh_entsize;
  sh.sh_size = d->d_size;
  gelf_update_shdr(s, &sh);
  elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
}

// The new sections, with their names appended to the section name table. libelf keeps
// pointers to the buffers until elf_update: they live in `buffers_`.
void KlpRewriter::addKlpSections() {
  Elf_Scn* shstr = elf_getscn(h_.e, shstrndx_);
  GElf_Shdr shstrHdr;
  gelf_getshdr(shstr, &shstrHdr);
  std::string names;
  std::vector<size_t> nameOffsets;
  for (const auto& a : added_) {
    nameOffsets.push_back(shstrHdr.sh_size + names.size());
    names += a.name;
    names.push_back('\0');
  }
  buffers_.emplace_back(names.begin(), names.end());
  Elf_Data* nd = elf_newdata(shstr);
  nd->d_buf = buffers_.back().data();
  nd->d_size = buffers_.back().size();
  nd->d_type = ELF_T_BYTE;
  nd->d_align = 1;
  size_t entsize = gelf_fsize(h_.e, ELF_T_RELA, 1, EV_CURRENT);
  for (size_t i = 0; i < added_.size(); ++i) {
    Elf_Scn* s = elf_newscn(h_.e);
    if (!s) throw fail("cannot add a section");
    Elf_Data* d = elf_newdata(s);
    buffers_.emplace_back(added_[i].relas.size() * entsize);
    d->d_buf = buffers_.back().data();
    d->d_size = buffers_.back().size();
    d->d_type = ELF_T_RELA;
    d->d_align = gelf_getclass(h_.e) == ELFCLASS64 ? 8 : 4;
    for (size_t j = 0; j < added_[i].relas.size(); ++j) gelf_update_rela(d, int(j), &added_[i].relas[j]);
    GElf_Shdr sh{};
    gelf_getshdr(s, &sh);
    sh.sh_name = GElf_Word(nameOffsets[i]);
    sh.sh_type = SHT_RELA;
    sh.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;
    sh.sh_link = GElf_Word(elf_ndxscn(symScn_));
    sh.sh_info = added_[i].info;
    sh.sh_entsize = entsize;
    sh.sh_addralign = d->d_align;
    gelf_update_shdr(s, &sh);
    ++stats_.sections;
  }
}

}  // namespace

KlpRewriteStats convertKlpRelocations(const std::string& path) { return KlpRewriter(path).run(); }

}  // namespace lpb::elf
