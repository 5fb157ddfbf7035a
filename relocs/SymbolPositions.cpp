#include "relocs/SymbolPositions.h"

#include <elf.h>

#include <algorithm>

namespace lpb::relocs {

namespace {
std::string_view baseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}
}  // namespace

SymbolPositions::SymbolPositions(const elf::ElfObject& symbols) : elf_(symbols) {
  std::string_view file;
  for (const auto& s : symbols.symbols) {
    if (s.type == STT_FILE) file = s.name, hasFileSymbols_ = true;
    if (s.type != STT_FUNC && s.type != STT_OBJECT) continue;
    if (s.bind == STB_LOCAL) byName_.push_back({s.name, Named{&s, file}});
    else if (s.shndx != SHN_UNDEF) byName_.push_back({s.name, Named{&s, {}}});
  }
  std::stable_sort(byName_.begin(), byName_.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
}

std::pair<std::vector<SymbolPositions::Entry>::const_iterator, std::vector<SymbolPositions::Entry>::const_iterator>
SymbolPositions::named(std::string_view name) const {
  auto lo = std::lower_bound(byName_.begin(), byName_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  auto hi = std::upper_bound(lo, byName_.end(), name, [](std::string_view n, const Entry& e) { return n < e.first; });
  return {lo, hi};
}

std::optional<uint32_t> SymbolPositions::positionOf(std::string_view name, std::string_view file) const {
  auto [lo, hi] = named(name);
  for (auto it = lo; it != hi; ++it)
    if (it->second.sym->bind == STB_LOCAL &&
        (it->second.file == file || baseName(it->second.file) == baseName(file)))
      return positionAmong(name, it->second.sym);
  // A symbol table without file symbols (a distro's stripped module): a static whose
  // name nothing else has can only be this unit's.
  if (!hasFileSymbols_ && hi - lo == 1 && lo->second.sym->bind == STB_LOCAL) return 0;
  return std::nullopt;  // none from this unit (another file's static is not ours)
}

std::optional<uint32_t> SymbolPositions::positionOfGlobal(std::string_view name) const {
  auto [lo, hi] = named(name);
  for (auto it = lo; it != hi; ++it)
    if (it->second.sym->bind != STB_LOCAL) return positionAmong(name, it->second.sym);
  return std::nullopt;
}

std::optional<uint32_t> SymbolPositions::positionAmong(std::string_view name, const elf::Symbol* ours) const {
  std::vector<const elf::Symbol*> same;
  auto [lo, hi] = named(name);
  for (auto it = lo; it != hi; ++it) same.push_back(it->second.sym);
  if (same.size() == 1) return 0;  // unique: the kernel needs no position
  // Symbol-table order, or address order for a linked image (kallsyms sorts by address).
  std::sort(same.begin(), same.end(), [](auto* a, auto* b) { return a->index < b->index; });
  if (elf_.fileType != ET_REL)
    std::stable_sort(same.begin(), same.end(), [](auto* a, auto* b) { return a->value < b->value; });
  return static_cast<uint32_t>(std::find(same.begin(), same.end(), ours) - same.begin() + 1);
}

}  // namespace lpb::relocs
