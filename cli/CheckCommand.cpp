// `lp-build check PATCH...`: pre-flight, can this fix be live-patched as it is? (preflight/)
#include <cstdio>
#include <fmt/format.h>

#include "cli/Commands.h"
#include "elfgen/ElfObject.h"
#include "kbuild/DefaultTree.h"
#include "kbuild/Files.h"
#include "preflight/Check.h"

namespace lpb::cli {

void addCheckCommand(CLI::App& app, CheckArgs& a) {
  CLI::App* c = app.add_subcommand("check", "Pre-flight: can these patches be live-patched as they are? "
                                            "(source-level, in seconds; exit 0 ok, 1 refused, 2 bad input)");
  c->add_option("patches", a.patches, "the fix, as unified diffs (-p1)")->required();
  addKernelOptions(*c, a.kernel);
  c->add_option("--arch", a.arch, "architecture for the architecture rules (x86_64, ppc64le, ...; default: the tree's)");
  c->add_option("--json", a.json, "write the report as JSON");
  c->add_flag("--deep", a.deep, "also compile the units and diff the objects; report where the verdicts differ");
}

int runCheck(const CheckArgs& a) {
  try {
    preflight::CheckOptions opts;
    opts.patches = a.patches;
    opts.tree = treeOptions(a.kernel, {});
    opts.arch = a.arch;
    opts.deep = a.deep;
    opts.dataDir = dataDir();
    opts.cacheRoot = cacheRoot();
    opts.workRoot = workRoot();
    preflight::CheckReport r = preflight::check(opts);

    // Everything is decided before anything is printed: bad input leaves no partial report.
    std::string text;
    for (const auto& f : r.findings) {
      text += fmt::format("{}:{}: {} [{}] {}: {}\n", f.file, f.line, preflight::verdictName(f.verdict), f.rule,
                          f.entity, f.why);
      if (!f.instead.empty() && f.verdict != preflight::Verdict::Ok) text += fmt::format("    instead: {}\n", f.instead);
    }
    for (const auto& u : r.deepUnits) {
      text += fmt::format("deep: {}: object level: {}", u.unit, differ::verdictName(u.verdict));
      if (!u.changed.empty()) text += fmt::format(" ({} function(s) changed or new)", u.changed.size());
      text += "\n";
      for (const auto& x : u.refusals) text += fmt::format("deep: {}: refuse [{}] {}: {}\n", u.unit, x.rule, x.name, x.reason);
    }
    for (const auto& n : r.deepNotes) text += "deep: disagree: " + n + "\n";
    size_t counts[3] = {0, 0, 0};
    for (const auto& f : r.findings) ++counts[static_cast<int>(f.verdict)];
    double parse = 0;
    for (const auto& u : r.units) parse += u.seconds;
    text += fmt::format("lp-build: check: {} ok, {} warn, {} refuse; {} units parsed in {:.2f} s (tree {:.2f} s)\n",
                        counts[0], counts[1], counts[2], r.units.size(), parse, r.treeSeconds);
    if (!a.json.empty()) kbuild::writeFileAtomically(a.json, r.toJson().dump(2) + "\n");
    std::fwrite(text.data(), 1, text.size(), stdout);
    return r.refused() ? 1 : 0;
  } catch (const elf::InputError& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return 2;
  }
}

}  // namespace lpb::cli
