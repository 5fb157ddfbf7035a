#include "relocs/KernelSymbols.h"

#include <elf.h>

#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace lpb::relocs {

std::map<std::string, Export> readSymvers(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw elf::InputError(path, "cannot read Module.symvers (build the kernel, or give --symvers)");
  std::map<std::string, Export> out;
  size_t lineNo = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::istringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) f.push_back(field);
    if (f.size() < 4 || !f[0].starts_with("0x"))
      throw elf::InputError(path, fmt::format("line {}: not a Module.symvers line (CRC, symbol, module, export type)", lineNo));
    Export e{f[1], f[2], f.size() > 4 ? f[4] : std::string()};
    out.emplace(f[1], std::move(e));
  }
  return out;
}

namespace {
std::set<std::string_view> definedGlobals(const elf::ElfObject& e) {
  std::set<std::string_view> g;
  for (const auto& s : e.symbols)
    if (s.bind != STB_LOCAL && s.shndx != SHN_UNDEF && !s.name.empty() &&
        (s.type == STT_FUNC || s.type == STT_OBJECT || s.type == STT_NOTYPE))
      g.insert(s.name);
  return g;
}
}  // namespace

KernelSymbols::KernelSymbols(const elf::ElfObject& vmlinux, std::map<std::string, Export> exports)
    : vmlinux_{&vmlinux, SymbolPositions(vmlinux), definedGlobals(vmlinux)}, exports_(std::move(exports)) {}

void KernelSymbols::addModule(const std::string& name, const elf::ElfObject& ko) {
  modules_.emplace(name, Object{&ko, SymbolPositions(ko), definedGlobals(ko)});
}

std::string KernelSymbols::klpSymbolName(const std::string& object, const std::string& name, uint32_t sympos) {
  return fmt::format(".klp.sym.{}.{},{}", object, name, sympos);
}

std::optional<Link> KernelSymbols::resolve(const std::string& into, const Reference& ref,
                                           const std::set<std::string>& definedByPatch) const {
  auto livepatch = [&](const std::string& object, uint32_t pos) {
    return Link{Link::Kind::Livepatch, object, klpSymbolName(object, ref.name, pos), {}};
  };
  // A static of the unit's own file lives in the object the unit links into.
  if (ref.wasLocal) return livepatch(into, ref.sympos);
  if (definedByPatch.count(ref.name)) return Link{Link::Kind::Direct, {}, ref.name, {}};
  // A global of the module being patched: the module may load after the patch, and what
  // it exports is not there to link against before it does.
  if (into != "vmlinux") {
    auto m = modules_.find(into);
    if (m != modules_.end() && m->second.globals.count(ref.name))
      return livepatch(into, m->second.positions.positionOfGlobal(ref.name).value_or(0));
  }
  auto e = exports_.find(ref.name);
  if (e != exports_.end()) return Link{Link::Kind::Direct, {}, ref.name, e->second.nameSpace};
  if (vmlinux_.globals.count(ref.name))
    return livepatch("vmlinux", vmlinux_.positions.positionOfGlobal(ref.name).value_or(0));
  return std::nullopt;
}

}  // namespace lpb::relocs
