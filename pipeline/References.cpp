#include "pipeline/References.h"

#include <elf.h>

#include <fmt/format.h>
#include <set>

namespace lpb::pipeline {

namespace {

// Global symbols the patch objects define themselves: a reference to one is resolved by the
// module's own link, whatever vmlinux has of that name.
std::set<std::string> definedByPatch(const std::vector<UnitDiff>& diffs, const std::string& workDir) {
  std::set<std::string> out;
  for (size_t i = 0; i < diffs.size(); ++i) {
    std::string plain = fmt::format("{}/unit{}-plain.o", workDir, i);
    differ::writeDiffObject(diffs[i].result, plain);
    elf::ElfObject o = elf::ElfObject::open(plain);
    for (const auto& s : o.symbols)
      if (s.isDefined() && s.bind != STB_LOCAL) out.insert(std::string(s.name));
  }
  return out;
}

}  // namespace

LinkedPatch linkReferences(const std::vector<UnitDiff>& diffs, const relocs::KernelSymbols& symbols,
                           const std::string& vmlinuxPath, const std::string& workDir, BuildReport& report) {
  LinkedPatch out;
  std::set<std::string> ownSymbols = definedByPatch(diffs, workDir);
  for (size_t i = 0; i < diffs.size(); ++i) {
    const UnitDiff& d = diffs[i];
    const std::string& into = d.objects.unit.linkedInto;
    differ::EmitOptions emit;
    emit.aliasPrefix = fmt::format("__lpb_u{}_", i);
    emit.symbolTable = false;
    for (const auto& x : d.result.externals) {
      auto link = symbols.resolve(into, relocs::Reference{x.name, x.wasLocal, x.sympos}, ownSymbols);
      if (!link) {
        report.refuse("missing-symbol", x.name,
                      fmt::format("nothing in {} or the patched modules defines it", vmlinuxPath), d.objects.unit.source);
      } else if (link->kind == relocs::Link::Kind::Livepatch) {
        emit.externalNames[x.name] = link->symbol;
        ++out.referenceKinds["livepatch:" + link->object];
      } else {
        ++out.referenceKinds[link->nameSpace.empty() ? "export" : "export:" + link->nameSpace];
        if (!link->nameSpace.empty()) out.spec.namespaces.insert(link->nameSpace);
      }
    }
    std::string object = fmt::format("{}/unit{}.o", workDir, i);
    differ::writeDiffObject(d.result, object, emit);
    out.spec.objects.push_back(object);
    for (const auto& f : d.result.functions)
      if (f.patchTarget) out.spec.functions.push_back({into, f.name, f.sympos, differ::aliasName(emit.aliasPrefix, f.name)});
    for (const auto& [kind, fn] : d.result.callbacks)
      out.spec.callbacks.push_back({into, kind, differ::aliasName(emit.aliasPrefix, fn)});
  }
  return out;
}

}  // namespace lpb::pipeline
