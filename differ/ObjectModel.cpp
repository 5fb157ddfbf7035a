#include "differ/ObjectModel.h"

#include <elf.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace lpb::differ {

std::string stripNumbering(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  constexpr std::string_view kUnique = "__UNIQUE_ID_";
  if (name.starts_with(kUnique)) {
    // __UNIQUE_ID_<what><counter>[.N]: drop the counter glued to the name.
    size_t end = name.find('.');
    if (end == std::string_view::npos) end = name.size();
    size_t d = end;
    while (d > kUnique.size() && std::isdigit(static_cast<unsigned char>(name[d - 1]))) --d;
    out.append(name.substr(0, d));
    i = end;
  }
  while (i < name.size()) {
    if (name[i] == '.' && i + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
      size_t j = i + 1;
      while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
      if (j == name.size() || name[j] == '.') {  // a whole ".<digits>" component
        i = j;
        continue;
      }
    }
    out.push_back(name[i++]);
  }
  return out;
}

bool isSpecialStaticName(std::string_view name) {
  // Bookkeeping statics that the compiler or kernel macros create per use site; the patched
  // code gets fresh ones rather than sharing the running kernel's (a WARN_ONCE that already
  // fired in the old function may fire once more in the new one, which is harmless).
  static constexpr std::array<std::string_view, 11> kNames{
      "__key", "__warned", "__already_done", "__func__", "__FUNCTION__", "_rs", "CSWTCH",
      "_entry", "_entry_ptr", "descriptor", "__print_once"};
  std::string base = stripNumbering(name);
  std::string_view b = base;
  for (auto n : kNames) {
    if (b == n) return true;                                          // GCC: __warned.12
    if (b.size() > n.size() && b.ends_with(n) && b[b.size() - n.size() - 1] == '.') return true;  // Clang: fn.__warned
  }
  return b.starts_with("__UNIQUE_ID_ddebug");
}

namespace {

bool startsWithAny(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes)
    if (s.starts_with(p)) return true;
  return false;
}

}  // namespace

ObjectModel::ObjectModel(const elf::ElfObject& e, const arch::Target& t) : elf(e), target(t), code_(e, t) {
  sections.resize(elf.sections.size());
  symbols.resize(elf.symbols.size());
  classifySections();
  classifySymbols();
}

void ObjectModel::classifySections() {
  for (const auto& s : elf.sections) {
    if (s.index == 0) continue;
    SectionInfo& info = sections[s.index];
    std::string_view n = s.name;
    if (s.type == SHT_SYMTAB || s.type == SHT_STRTAB || s.type == SHT_RELA || s.type == SHT_REL ||
        s.type == SHT_GROUP || s.type == SHT_SYMTAB_SHNDX || s.type == SHT_NULL) {
      info.kind = SectionKind::Table;
    } else if (n.starts_with(".kpatch.")) {
      info.kind = SectionKind::KpatchMeta;
    } else if (n == ".modinfo") {
      info.kind = SectionKind::ModInfo;
    } else if ((info.special = target.findSpecial(n))) {
      info.kind = SectionKind::Special;
    } else if (!s.isAlloc() ||
               startsWithAny(n, {".discard", ".note", ".llvm", "__ksymtab", "__kcrctab", "___ksymtab",
                                 "___kcrctab", ".gnu.", "__tracepoints", "_ftrace_events", "_ftrace_eval_map",
                                 "__bpf_raw_tp_map", "__syscalls_metadata", "_error_injection_whitelist",
                                 "__param", "__modver", "__export_symbol", ".export_symbol",
                                 "__tracepoint_check", ".no_trim_symbol"})) {
      // Exports, tracepoint and parameter registries describe the running kernel's objects;
      // a patch module neither re-creates nor changes them. __tracepoint_check and
      // .no_trim_symbol (Linux 6.15+) are build-time checks the kernel's linker scripts discard.
      info.kind = SectionKind::Ignored;
    } else if (startsWithAny(n, {".init.", ".exit.", ".initcall", ".con_initcall", ".init_array", ".ctors",
                                 ".fini_array", "__initcall"}) ||
               n == ".init.text" || n == ".exit.text") {
      info.kind = SectionKind::Init;
    } else if (s.isExec()) {
      info.kind = SectionKind::Text;  // CodeIsland if no function lives here (decided below)
    } else if (target.isAlternativeCode(n)) {
      info.kind = SectionKind::CodeIsland;
    } else if (s.isMergeStrings()) {
      info.kind = SectionKind::Strings;
    } else if (startsWithAny(n, {".rodata", ".data.rel.ro", ".srodata"}) || target.isReadOnlyDataSection(n)) {
      info.kind = SectionKind::ReadOnly;
      info.addressTableEntrySize = s.type == SHT_PROGBITS ? target.addressTableEntrySize(n) : 0;
    } else if (startsWithAny(n, {".data", ".bss", ".ref.data", ".sdata", ".sbss", ".tdata", ".tbss"}) ||
               s.type == SHT_NOBITS) {
      info.kind = s.isWrite() || s.type == SHT_NOBITS ? SectionKind::Data : SectionKind::ReadOnly;
    } else {
      info.kind = SectionKind::Unknown;
    }
  }
}

void ObjectModel::classifySymbols() {
  for (const auto& s : elf.symbols) {
    if (s.index == 0) continue;
    SymbolInfo& info = symbols[s.index];
    info.isFunction = s.type == STT_FUNC || s.type == STT_GNU_IFUNC;
    info.isObject = s.type == STT_OBJECT || s.type == STT_TLS || s.type == STT_COMMON;
    if (s.type == STT_FILE && fileName.empty()) fileName = s.name;
    if (s.type != STT_SECTION && s.type != STT_FILE && !s.name.empty()) byName_.emplace(s.name, s.index);
    info.baseName = stripNumbering(s.name);
    if (info.isFunction && target.isFunctionPrefixSymbol(s.name)) info.isPrefix = true;
    if (info.isObject && s.bind == STB_LOCAL && s.isDefined()) {
      // Per-use-site objects by name, or by living in a section whose entries are the
      // objects included code uses (__dyndbg, .data..once: the table's own policy says so).
      const arch::SpecialSection* sp = target.findSpecial(elf.sections[s.shndx].name);
      if (isSpecialStaticName(s.name) ||
          (sp && sp->policy == arch::SpecialSection::Policy::KeepEntriesReferencedByIncludedCode))
        info.isSpecialStatic = true;
      else if (s.name.find('.') != std::string_view::npos && !s.name.starts_with(".L"))
        info.isStaticLocal = true;
    }
    if ((info.isFunction || info.isObject) && s.isDefined()) sections[s.shndx].objects.push_back(s.index);
    if (s.type == STT_SECTION && s.isDefined() && !sections[s.shndx].sectionSymbol)
      sections[s.shndx].sectionSymbol = s.index;
  }
  // Prefix symbols (Target::isFunctionPrefixSymbol) precede their function in the same section.
  for (auto& s : elf.symbols) {
    SymbolInfo& info = symbols[s.index];
    if (!info.isPrefix) continue;
    if (!s.isDefined()) {
      info.isPrefix = false;
      continue;
    }
    std::string_view fn = s.name.substr(6);  // both prefixes are six characters
    for (uint32_t other : sections[s.shndx].objects)
      if (elf.symbols[other].name == fn) info.prefixOf = other;
    if (!info.prefixOf) info.isPrefix = false;  // a function that merely has such a name
  }
  // .cold / .part children: the parent is the name before the suffix.
  for (auto& s : elf.symbols) {
    SymbolInfo& info = symbols[s.index];
    if (!info.isFunction || !s.isDefined()) continue;
    size_t pos = s.name.find(".cold");
    if (pos == std::string_view::npos) pos = s.name.find(".part.");
    if (pos == std::string_view::npos || pos == 0) continue;
    uint32_t parent = findSymbol(s.name.substr(0, pos));
    if (parent && symbols[parent].isFunction && parent != s.index) {
      info.parent = static_cast<int32_t>(parent);
      info.isColdPiece = s.name.substr(pos).starts_with(".cold");
      symbols[parent].children.push_back(s.index);
    }
  }
  for (auto& sec : sections) {
    std::stable_sort(sec.objects.begin(), sec.objects.end(), [&](uint32_t a, uint32_t b) {
      return elf.symbols[a].value < elf.symbols[b].value;
    });
    uint32_t main = 0, count = 0;
    for (uint32_t o : sec.objects)
      if (!symbols[o].isPrefix) main = o, ++count;
    if (count == 1) sec.primary = main;
  }
  for (auto& s : elf.sections)
    if (sections[s.index].kind == SectionKind::Text) {
      bool hasFunction = false;
      for (uint32_t o : sections[s.index].objects) hasFunction |= symbols[o].isFunction;
      if (!hasFunction && s.size) sections[s.index].kind = SectionKind::CodeIsland;
    }
}

SectionKind ObjectModel::kindOfSymbol(uint32_t s) const {
  const elf::Symbol& y = elf.symbols[s];
  return y.isDefined() ? sections[y.shndx].kind : SectionKind::Table;
}

uint32_t ObjectModel::findSymbol(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? 0 : it->second;
}

uint32_t ObjectModel::symbolCovering(uint32_t section, int64_t offset) const {
  const SectionInfo& info = sections[section];
  uint32_t endMatch = 0;
  for (uint32_t o : info.objects) {
    const elf::Symbol& y = elf.symbols[o];
    int64_t start = static_cast<int64_t>(y.value), end = start + static_cast<int64_t>(y.size);
    if (symbols[o].isPrefix && offset >= end) continue;
    if ((offset >= start && offset < end) || (y.size == 0 && offset == start)) return o;
    if (offset == end) endMatch = o;  // one past an object: &array[N]
  }
  if (endMatch) return endMatch;
  return info.primary && info.objects.size() == 1 ? info.primary : 0;
}

bool ObjectModel::isSectionRelative(uint32_t sym) const {
  const elf::Symbol& s = elf.symbols[sym];
  return s.isDefined() &&
         (s.type == STT_SECTION || (s.type == STT_NOTYPE && s.bind == STB_LOCAL && s.name.starts_with(".L")));
}

RelocTarget ObjectModel::resolve(const elf::Section& in, const elf::Reloc& r) const {
  if (r.sym == 0) return RelocTarget{};
  if (!isSectionRelative(r.sym)) return RelocTarget{r.sym, r.addend, r.addend};  // named: the addend decides
  const elf::Symbol& s = elf.symbols[r.sym];
  const SectionInfo& target = sections[s.shndx];
  int64_t base = static_cast<int64_t>(s.value);
  if (target.kind != SectionKind::Strings && target.kind != SectionKind::CodeIsland && !target.objects.empty()) {
    // Which object the reference lands in: one object holds the whole section, else decide by offset.
    bool bundled = target.primary && target.objects.size() == 1;
    int64_t inSection = bundled ? r.addend + base : exactOffset(in, r);
    if (uint32_t cov = symbolCovering(s.shndx, inSection)) {
      int64_t v = static_cast<int64_t>(elf.symbols[cov].value);
      return RelocTarget{cov, r.addend + base - v, inSection - v, 0, !bundled};
    }
  }
  // Stay section-relative: point at the section symbol itself, where there is one.
  uint32_t secSym = sections[s.shndx].sectionSymbol;
  return RelocTarget{secSym ? secSym : r.sym, r.addend + base, r.addend + base, s.shndx, false};
}

int64_t ObjectModel::exactOffset(const elf::Section& in, const elf::Reloc& r) const {
  const elf::Symbol& s = elf.symbols[r.sym];
  int64_t base = isSectionRelative(r.sym) ? static_cast<int64_t>(s.value) : 0;
  return target.referencedOffset(in, r, code_) + base;
}

std::string_view ObjectModel::stringAt(uint32_t section, int64_t offset) const {
  const elf::Section& s = elf.sections[section];
  if (offset < 0 || static_cast<uint64_t>(offset) >= s.data.size()) return {};
  const char* p = reinterpret_cast<const char*>(s.data.data()) + offset;
  size_t max = s.data.size() - static_cast<size_t>(offset);
  size_t len = 0;
  while (len < max && p[len]) ++len;
  return std::string_view(p, len);
}

std::pair<int64_t, int64_t> ObjectModel::islandPiece(uint32_t section, int64_t offset) const {
  auto it = islandStarts_.find(section);
  if (it == islandStarts_.end()) {
    std::vector<int64_t> starts;
    for (const auto& sec : elf.sections)
      for (const auto& r : sec.relocs) {
        if (r.sym == 0 || !isSectionRelative(r.sym) || elf.symbols[r.sym].shndx != section) continue;
        starts.push_back(exactOffset(sec, r));
      }
    starts.push_back(static_cast<int64_t>(elf.sections[section].size));
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    it = islandStarts_.emplace(section, std::move(starts)).first;
  }
  auto next = std::upper_bound(it->second.begin(), it->second.end(), offset);
  return {offset, next == it->second.end() ? offset : *next};
}

const std::vector<arch::Insn>* ObjectModel::DecodedCode::get(const elf::Section& code) {
  auto it = cache.find(code.index);
  if (it == cache.end()) it = cache.emplace(code.index, target.decode(elf, code)).first;
  return it->second ? &*it->second : nullptr;
}

}  // namespace lpb::differ
