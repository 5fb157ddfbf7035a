// `lp-build diff ORIG.o PATCHED.o -o OUT.o`: the object differ as a command.
#include "cli/Commands.h"

#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "differ/Differ.h"
#include "kbuild/Files.h"

namespace lpb::cli {

void addDiffCommand(CLI::App& app, DiffArgs& a) {
  CLI::App* diff = app.add_subcommand("diff", "Compare an object built twice (original, patched) and write what "
                                              "the patch module needs");
  diff->add_option("orig", a.orig, "original object (.o)")->required();
  diff->add_option("patched", a.patched, "patched object (.o)")->required();
  diff->add_option("-o,--output", a.output, "output object")->required();
  diff->add_option("--struct-size", a.structSizes,
                   "special-section entry size, KIND=BYTES (" + arch::entryKindNames() + ")");
  diff->add_option("--symbols", a.symbols, "ELF whose symbol table positions static symbols (default: ORIG)");
  diff->add_option("--module", a.module, "the object links into this module (default: vmlinux)");
  diff->add_option("--json", a.json, "write a JSON report");
}

int runDiff(const DiffArgs& a) {
  differ::DiffOptions opts;
  try {
    opts.structSizes = parseStructSizes(a.structSizes);
  } catch (const elf::InputError& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return 2;
  }
  opts.module = a.module;
  try {
    elf::ElfObject orig = elf::ElfObject::open(a.orig);
    elf::ElfObject patched = elf::ElfObject::open(a.patched);
    std::optional<elf::ElfObject> symbols;
    if (!a.symbols.empty()) {
      symbols.emplace(elf::ElfObject::openAny(a.symbols));
      opts.symbols = &*symbols;
    }
    differ::DiffResult r = differ::diffObjects(orig, patched, opts);

    if (!a.json.empty()) {
      nlohmann::json j;
      j["arch"] = r.arch;
      j["verdict"] = std::string(differ::verdictName(r.verdict));
      j["functions"] = nlohmann::json::array();
      for (const auto& f : r.functions) {
        nlohmann::json fj{{"name", f.name}, {"status", differ::functionStatusName(f.status)},
                          {"reason", f.reason}, {"patch_target", f.patchTarget}};
        if (!f.parent.empty()) fj["parent"] = f.parent;
        j["functions"].push_back(fj);
      }
      j["refusals"] = nlohmann::json::array();
      for (const auto& x : r.refusals) j["refusals"].push_back({{"rule", x.rule}, {"name", x.name}, {"reason", x.reason}});
      j["externals"] = nlohmann::json::array();
      for (const auto& x : r.externals)
        j["externals"].push_back({{"name", x.name}, {"local", x.wasLocal}, {"sympos", x.sympos}});
      j["unknown_sections"] = r.unknownSections;
      kbuild::writeFileAtomically(a.json, j.dump(2) + "\n");
    }
    for (const auto& w : r.warnings) fmt::print(stderr, "lp-build: warning: {}\n", w);
    switch (r.verdict) {
      case differ::Verdict::Refused:
        for (const auto& x : r.refusals) fmt::print(stderr, "lp-build: refuse [{}] {}: {}\n", x.rule, x.name, x.reason);
        return 1;
      case differ::Verdict::NoChange:
        fmt::print(stderr, "lp-build: {}: no functional change\n", a.patched);
        return 3;
      case differ::Verdict::Patchable:
        differ::writeDiffObject(r, a.output);
        return 0;
    }
  } catch (const elf::InputError& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return 2;
  }
  return 2;
}

}  // namespace lpb::cli
