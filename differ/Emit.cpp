// Writing the patch object: the chosen sections (special sections compacted to their kept
// entries), the symbols defined in them under the original's names, references to
// everything else as undefined symbols, and a `.lp_build.symbols` table telling the
// klp-relocation stage which of those were statics of the original and their positions.
#include <elf.h>

#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "differ/DifferState.h"
#include "elfgen/ObjectWriter.h"

namespace lpb::differ {

std::string aliasName(const std::string& prefix, const std::string& name) {
  std::string out = prefix + name;
  for (char& c : out)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return out;
}

void writeDiffObject(const DiffResult& result, const std::string& path, const EmitOptions& emit) {
  if (result.verdict != Verdict::Patchable || !result.state)
    throw std::logic_error("writeDiffObject: nothing to write for a result that is not patchable");
  result.state->write(path, emit);
}

namespace {

// Where each kept entry of a section kept entry by entry lands once the dropped ones are
// gone: old offset -> new offset (nullopt: in a dropped entry). Other sections keep theirs.
class EntryLayout {
 public:
  explicit EntryLayout(const Differ& d) : d_(d), keptBefore_(d.patched.elf.sections.size()) {
    for (uint32_t s = 1; s < keptBefore_.size(); ++s) {
      if (!d.patched.keptEntryByEntry(s)) continue;
      uint64_t at = 0;
      for (const auto& e : d.inclusion.specialEntries[s]) {
        keptBefore_[s].push_back(at);
        if (e.keep) at += e.end - e.begin;
      }
    }
  }
  std::optional<uint64_t> operator()(uint32_t s, uint64_t off) const {
    if (!d_.patched.keptEntryByEntry(s)) return off;
    const SpecialEntry* e = d_.inclusion.entryAt(s, off);
    if (!e || !e->keep) return std::nullopt;
    return keptBefore_[s][static_cast<size_t>(e - d_.inclusion.specialEntries[s].data())] + off - e->begin;
  }

 private:
  const Differ& d_;
  std::vector<std::vector<uint64_t>> keptBefore_;  // per section: kept bytes before entry i
};

// Writes one patch object: sections, then symbols, then relocations, each in the output's
// numbering (outSec_, secSym_, outSym_ map the patched object's to it).
class Emitter {
 public:
  Emitter(const Differ& d, const EmitOptions& emit)
      : d_(d), pe_(d.patched.elf), emit_(emit), remap_(d), w_(pe_.machine, pe_.eflags, pe_.byteOrder, pe_.osabi),
        outSec_(pe_.sections.size(), 0), secSym_(pe_.sections.size(), 0), outSym_(pe_.symbols.size(), 0) {}

  void write(const std::string& path) {
    addSections();
    addModinfoImports();
    linkOrderedSections();
    addSymbols();
    addAliases();
    addRelocations();
    if (emit_.symbolTable) addSymbolTable();
    w_.write(path);
  }

 private:
  void addSections();
  void addModinfoImports();
  void linkOrderedSections();
  void addSymbols();
  void addAliases();
  void addRelocations();
  elf::OutReloc outReloc(const elf::Section& src, const elf::Reloc& r, uint64_t offset);
  uint32_t external(uint32_t sym);
  void addSymbolTable();

  const Differ& d_;
  const elf::ElfObject& pe_;
  const EmitOptions& emit_;
  EntryLayout remap_;
  elf::ObjectWriter w_;
  std::vector<uint32_t> outSec_, secSym_, outSym_;
  std::map<std::string, uint32_t> undefByName_;
};

// The included sections; those kept entry by entry hold only their kept entries.
void Emitter::addSections() {
  for (uint32_t s = 1; s < pe_.sections.size(); ++s) {
    if (!d_.inclusion.includedSec[s]) continue;
    const elf::Section& src = pe_.sections[s];
    const SectionInfo& info = d_.patched.sections[s];
    if (info.kind == SectionKind::Table || info.kind == SectionKind::Ignored) continue;
    elf::OutSection o;
    o.name = std::string(src.name);
    o.type = src.type;
    o.flags = src.flags & ~uint64_t(SHF_GROUP);
    o.addralign = src.addralign;
    o.entsize = src.entsize;
    if (d_.patched.keptEntryByEntry(s)) {
      uint64_t kept = 0;
      for (const auto& e : d_.inclusion.specialEntries[s])
        if (e.keep) {
          kept += e.end - e.begin;
          if (src.type != SHT_NOBITS) o.data.insert(o.data.end(), src.data.begin() + e.begin, src.data.begin() + e.end);
        }
      if (kept == 0) continue;
      o.size = kept;
    } else if (src.type == SHT_NOBITS) {
      o.size = src.size;
    } else {
      o.data.assign(src.data.begin(), src.data.end());
    }
    outSec_[s] = w_.addSection(std::move(o));
  }
}

// Namespace imports of the patched unit: the patch module must import them too.
void Emitter::addModinfoImports() {
  const elf::Section* mi = pe_.findSection(".modinfo");
  if (!mi) return;
  elf::OutSection o;
  o.name = ".modinfo";
  o.type = SHT_PROGBITS;
  o.flags = SHF_ALLOC;
  std::string_view all(reinterpret_cast<const char*>(mi->data.data()), mi->data.size());
  for (size_t i = 0; i < all.size();) {
    size_t end = all.find('\0', i);
    if (end == std::string_view::npos) end = all.size();
    std::string_view entry = all.substr(i, end - i);
    if (entry.starts_with("import_ns=")) {
      o.data.insert(o.data.end(), entry.begin(), entry.end());
      o.data.push_back(0);
    }
    i = end + 1;
  }
  if (!o.data.empty()) w_.addSection(std::move(o));
}

// SHF_LINK_ORDER sections keep a link to code that is in the output. GCC links one
// __patchable_function_entries to the unit's first function; when that function stays
// behind, link to the code the kept entries describe. The linker refuses to mix ordered and
// unordered input sections of one name.
void Emitter::linkOrderedSections() {
  const size_t nSec = pe_.sections.size();
  for (uint32_t s = 1; s < nSec; ++s) {
    if (!outSec_[s] || !(pe_.sections[s].flags & SHF_LINK_ORDER)) continue;
    uint32_t link = pe_.sections[s].link;
    if (!(link < nSec && outSec_[link]))
      for (const auto& r : pe_.sections[s].relocs) {
        if (!remap_(s, r.offset)) continue;
        const elf::Symbol& rs = pe_.symbols[r.sym];
        if (rs.isDefined() && outSec_[rs.shndx]) {
          link = rs.shndx;
          break;
        }
      }
    if (link < nSec && outSec_[link]) w_.section(outSec_[s]).linkSection = outSec_[link];
    else w_.section(outSec_[s]).flags &= ~uint64_t(SHF_LINK_ORDER);
  }
}

// The file symbol, a section symbol per section, and the symbols defined in what is kept,
// under the original's names.
void Emitter::addSymbols() {
  if (!d_.patched.fileName.empty()) w_.addSymbol({d_.patched.fileName, 0, 0, STT_FILE, STB_LOCAL, 0, SHN_ABS, true});
  for (uint32_t s = 1; s < pe_.sections.size(); ++s)
    if (outSec_[s]) secSym_[s] = w_.addSymbol({"", 0, 0, STT_SECTION, STB_LOCAL, 0, outSec_[s], false});
  for (const auto& y : pe_.symbols) {
    if (!y.isDefined() || !outSec_[y.shndx] || y.type == STT_SECTION || y.type == STT_FILE) continue;
    if (y.name.empty() || y.name.starts_with(".L")) continue;
    auto at = remap_(y.shndx, y.value);
    if (!at) continue;
    outSym_[y.index] =
        w_.addSymbol({d_.displayName(y.index), *at, y.size, y.type, y.bind, y.other, outSec_[y.shndx], false});
  }
}

// Global aliases of the patch targets and callbacks for the module's metadata.
void Emitter::addAliases() {
  if (emit_.aliasPrefix.empty()) return;
  std::set<std::string> wanted;
  for (uint32_t p = 1; p < pe_.symbols.size(); ++p)
    if (d_.inclusion.patchTarget[p]) wanted.insert(d_.displayName(p));
  for (const auto& cb : d_.directives.callbacks) wanted.insert(d_.displayName(cb.function));
  for (const auto& y : pe_.symbols)
    if (outSym_[y.index] && y.type == STT_FUNC && wanted.count(d_.displayName(y.index)))
      w_.addSymbol({aliasName(emit_.aliasPrefix, d_.displayName(y.index)), *remap_(y.shndx, y.value), y.size, STT_FUNC,
                    STB_GLOBAL, 0, outSec_[y.shndx], false});
}

// An undefined symbol for a reference out of the patch (one per name).
uint32_t Emitter::external(uint32_t sym) {
  std::string name = d_.displayName(sym);
  auto it = undefByName_.find(name);
  if (it != undefByName_.end()) return it->second;
  uint32_t o = d_.correlation.twinOfSym[sym];
  uint8_t type = (o ? d_.orig.sym(o) : d_.patched.sym(sym)).type;
  if (type == STT_SECTION || type == STT_FILE) type = STT_NOTYPE;
  auto renamed = emit_.externalNames.find(name);
  uint32_t idx = renamed == emit_.externalNames.end()
                     ? w_.addSymbol({name, 0, 0, type, STB_GLOBAL, 0, SHN_UNDEF, true})
                     : w_.addSymbol({renamed->second, 0, 0, type, STB_WEAK, 0, SHN_UNDEF, true});
  undefByName_.emplace(name, idx);
  return idx;
}

void Emitter::addRelocations() {
  for (uint32_t s = 1; s < pe_.sections.size(); ++s) {
    if (!outSec_[s]) continue;
    const elf::Section& src = pe_.sections[s];
    for (const auto& r : src.relocs)
      if (auto off = remap_(s, r.offset)) w_.section(outSec_[s]).relocs.push_back(outReloc(src, r, *off));
  }
}

// One relocation in the output's terms: to a kept symbol, to a kept section (remapped when
// its entries moved), or to an undefined symbol for what stays in the running kernel.
elf::OutReloc Emitter::outReloc(const elf::Section& src, const elf::Reloc& r, uint64_t offset) {
  const elf::Symbol& rs = pe_.symbols[r.sym];
  bool sectionRelative = d_.patched.isSectionRelative(r.sym);
  bool intoKeptSection = sectionRelative && rs.isDefined() && outSec_[rs.shndx];
  elf::OutReloc out{offset, r.type, 0, r.addend};
  if (r.sym == 0) return out;  // no symbol (R_PPC64_ENTRY, R_LARCH_RELAX...): an annotation, kept as it is
  if (!sectionRelative && outSym_[r.sym]) {
    out.sym = outSym_[r.sym];
  } else if (intoKeptSection && !d_.patched.keptEntryByEntry(rs.shndx)) {
    out.sym = secSym_[rs.shndx];
    out.addend = r.addend + static_cast<int64_t>(rs.value);
  } else if (auto into = intoKeptSection ? remap_(rs.shndx, rs.value + static_cast<uint64_t>(r.addend)) : std::nullopt) {
    // Into a section kept entry by entry, whose kept entries moved up: a ppc64le TOC16
    // load of a .toc entry, the `- &entry` half of a LoongArch ADD64/SUB64 pair.
    out.sym = secSym_[rs.shndx];
    out.addend = static_cast<int64_t>(*into);
  } else {
    RelocTarget t = d_.patched.resolve(src, r);
    if (!outSym_[t.sym] && t.anonymous())
      throw elf::InputError(pe_.path, fmt::format("cannot write the patch object: {} refers to {}, which is not "
                                                  "included (a damaged object, or a bug in lp-build)",
                                                  src.name, pe_.sections[t.section].name));
    out.sym = outSym_[t.sym] ? outSym_[t.sym] : external(t.sym);
    out.addend = t.addend;
  }
  return out;
}

// What the klp-relocation stage needs about each external reference (`lp-build diff`).
void Emitter::addSymbolTable() {
  elf::OutSection table;
  table.name = ".lp_build.symbols";
  table.type = SHT_PROGBITS;
  std::string text = fmt::format("file\t{}\n", d_.patched.fileName);
  for (const auto& x : d_.externals)
    text += fmt::format("{}\t{}\t{}\t{}\n", x.name, x.wasLocal ? "local" : "global",
                        x.type == STT_FUNC ? "func" : x.type == STT_OBJECT ? "object" : "notype", x.sympos);
  table.data.assign(text.begin(), text.end());
  w_.addSection(std::move(table));
}

}  // namespace

void Differ::write(const std::string& path, const EmitOptions& emit) const { Emitter(*this, emit).write(path); }

}  // namespace lpb::differ
