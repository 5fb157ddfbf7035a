// Writing the patch object: the chosen sections (special sections compacted to their kept
// entries), the symbols defined in them under the original's names, references to
// everything else as undefined symbols, and a `.lp_build.symbols` table telling the
// klp-relocation stage which of those were statics of the original and their positions.
#include <elf.h>

#include <fmt/format.h>
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

void Differ::write(const std::string& path, const EmitOptions& emit) const {
  const elf::ElfObject& pe = patched.elf;
  elf::ObjectWriter w(pe.machine, pe.eflags, pe.byteOrder, pe.osabi);
  const size_t nSec = pe.sections.size();
  std::vector<uint32_t> outSec(nSec, 0);

  // Where each kept special entry lands in the compacted section: old offset -> new offset.
  std::vector<std::vector<uint64_t>> keptBefore(nSec);  // per special section: kept bytes before entry i
  for (uint32_t s = 1; s < nSec; ++s) {
    if (!keptEntryByEntry(s)) continue;
    uint64_t at = 0;
    for (const auto& e : specialEntries[s]) {
      keptBefore[s].push_back(at);
      if (e.keep) at += e.end - e.begin;
    }
  }
  auto remap = [&](uint32_t s, uint64_t off) -> std::optional<uint64_t> {
    if (!keptEntryByEntry(s)) return off;
    const SpecialEntry* e = entryAt(s, off);
    if (!e || !e->keep) return std::nullopt;
    return keptBefore[s][static_cast<size_t>(e - specialEntries[s].data())] + off - e->begin;
  };

  for (uint32_t s = 1; s < nSec; ++s) {
    if (!includedSec[s]) continue;
    const elf::Section& src = pe.sections[s];
    const SectionInfo& info = patched.sections[s];
    if (info.kind == SectionKind::Table || info.kind == SectionKind::Ignored) continue;
    elf::OutSection o;
    o.name = std::string(src.name);
    o.type = src.type;
    o.flags = src.flags & ~uint64_t(SHF_GROUP);
    o.addralign = src.addralign;
    o.entsize = src.entsize;
    if (keptEntryByEntry(s)) {
      uint64_t kept = 0;
      for (const auto& e : specialEntries[s])
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
    outSec[s] = w.addSection(std::move(o));
  }
  // Namespace imports of the patched unit: the patch module must import them too.
  if (const elf::Section* mi = pe.findSection(".modinfo")) {
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
    if (!o.data.empty()) w.addSection(std::move(o));
  }
  for (uint32_t s = 1; s < nSec; ++s)
    if (outSec[s] && (pe.sections[s].flags & SHF_LINK_ORDER)) {
      uint32_t link = pe.sections[s].link;
      // GCC links one __patchable_function_entries to the unit's first function; when that
      // function stays behind, link to the code the kept entries describe. The linker
      // refuses to mix ordered and unordered input sections of one name.
      if (!(link < nSec && outSec[link]))
        for (const auto& r : pe.sections[s].relocs) {
          if (!remap(s, r.offset)) continue;
          const elf::Symbol& rs = pe.symbols[r.sym];
          if (rs.isDefined() && outSec[rs.shndx]) {
            link = rs.shndx;
            break;
          }
        }
      if (link < nSec && outSec[link]) w.section(outSec[s]).linkSection = outSec[link];
      else w.section(outSec[s]).flags &= ~uint64_t(SHF_LINK_ORDER);
    }

  // Symbols.
  if (!patched.fileName.empty())
    w.addSymbol({patched.fileName, 0, 0, STT_FILE, STB_LOCAL, 0, SHN_ABS, true});
  std::vector<uint32_t> secSym(nSec, 0);
  for (uint32_t s = 1; s < nSec; ++s)
    if (outSec[s]) secSym[s] = w.addSymbol({"", 0, 0, STT_SECTION, STB_LOCAL, 0, outSec[s], false});
  std::vector<uint32_t> outSym(pe.symbols.size(), 0);
  for (const auto& y : pe.symbols) {
    if (!y.isDefined() || !outSec[y.shndx] || y.type == STT_SECTION || y.type == STT_FILE) continue;
    if (y.name.empty() || y.name.starts_with(".L")) continue;
    auto at = remap(y.shndx, y.value);
    if (!at) continue;
    outSym[y.index] = w.addSymbol({displayName(y.index), *at, y.size, y.type, y.bind, y.other, outSec[y.shndx], false});
  }
  if (!emit.aliasPrefix.empty()) {
    std::set<std::string> wanted;
    for (const auto& f : functions)
      if (f.patchTarget) wanted.insert(f.name);
    for (const auto& cb : callbacks) wanted.insert(cb.second);
    for (const auto& y : pe.symbols)
      if (outSym[y.index] && y.type == STT_FUNC && wanted.count(displayName(y.index)))
        w.addSymbol({aliasName(emit.aliasPrefix, displayName(y.index)), *remap(y.shndx, y.value), y.size, STT_FUNC, STB_GLOBAL,
                     0, outSec[y.shndx], false});
  }
  std::map<std::string, uint32_t> undefByName;
  auto external = [&](uint32_t sym) {
    std::string name = displayName(sym);
    auto it = undefByName.find(name);
    if (it != undefByName.end()) return it->second;
    uint32_t o = twinOfSym[sym];
    uint8_t type = (o ? orig.sym(o) : patched.sym(sym)).type;
    if (type == STT_SECTION || type == STT_FILE) type = STT_NOTYPE;
    auto renamed = emit.externalNames.find(name);
    uint32_t idx = renamed == emit.externalNames.end()
                       ? w.addSymbol({name, 0, 0, type, STB_GLOBAL, 0, SHN_UNDEF, true})
                       : w.addSymbol({renamed->second, 0, 0, type, STB_WEAK, 0, SHN_UNDEF, true});
    undefByName.emplace(name, idx);
    return idx;
  };

  // Relocations.
  auto& self = const_cast<Differ&>(*this);  // resolve() caches decoded code; the decisions are fixed
  for (uint32_t s = 1; s < nSec; ++s) {
    if (!outSec[s]) continue;
    const elf::Section& src = pe.sections[s];
    for (const auto& r : src.relocs) {
      auto off = remap(s, r.offset);
      if (!off) continue;
      const elf::Symbol& rs = pe.symbols[r.sym];
      bool sectionRelative = patched.isSectionRelative(r.sym);
      elf::OutReloc out{*off, r.type, 0, r.addend};
      if (r.sym == 0) {
        // No symbol (R_PPC64_ENTRY, R_LARCH_RELAX...): an annotation, kept as it is.
      } else if (!sectionRelative && outSym[r.sym]) {
        out.sym = outSym[r.sym];
      } else if (sectionRelative && rs.isDefined() && outSec[rs.shndx] && !keptEntryByEntry(rs.shndx)) {
        out.sym = secSym[rs.shndx];
        out.addend = r.addend + static_cast<int64_t>(rs.value);
      } else if (auto into = sectionRelative && rs.isDefined() && outSec[rs.shndx]
                                 ? remap(rs.shndx, rs.value + static_cast<uint64_t>(r.addend))
                                 : std::nullopt) {
        // Into a section kept entry by entry, whose kept entries moved up: a ppc64le TOC16
        // load of a .toc entry, the `- &entry` half of a LoongArch ADD64/SUB64 pair.
        out.sym = secSym[rs.shndx];
        out.addend = static_cast<int64_t>(*into);
      } else {
        RelocTarget t = self.patched.resolve(src, r);
        if (outSym[t.sym]) {
          out.sym = outSym[t.sym];
        } else if (t.anonymous()) {
          throw elf::InputError(pe.path, fmt::format("cannot write the patch object: {} refers to {}, which is not "
                                                     "included (a damaged object, or a bug in lp-build)",
                                                     src.name, pe.sections[t.section].name));
        } else {
          out.sym = external(t.sym);
        }
        out.addend = t.addend;
      }
      w.section(outSec[s]).relocs.push_back(out);
    }
  }

  // What the klp-relocation stage needs about each external reference.
  if (!emit.symbolTable) {
    w.write(path);
    return;
  }
  elf::OutSection table;
  table.name = ".lp_build.symbols";
  table.type = SHT_PROGBITS;
  std::string text = fmt::format("file\t{}\n", patched.fileName);
  for (const auto& x : externals)
    text += fmt::format("{}\t{}\t{}\t{}\n", x.name, x.wasLocal ? "local" : "global",
                        x.type == STT_FUNC ? "func" : x.type == STT_OBJECT ? "object" : "notype", x.sympos);
  table.data.assign(text.begin(), text.end());
  w.addSection(std::move(table));

  w.write(path);
}

}  // namespace lpb::differ
