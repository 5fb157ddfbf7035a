// --deep: compile each parsed unit original and patched exactly as `lp-build build` does
// (kbuild's compileUnits with lp-build's headers and the shared original-object cache; the
// differ through pipeline::diffUnit, the build's own stage: the kernel's struct sizes,
// vmlinux or the module for symbols, type layouts compared), run the object differ on the pair, and say where the
// object level and the source level disagree. No module is emitted.
//
// Only rules that both levels can see are compared: a source-level refusal the object level
// cannot see (a prototype change, code livepatch itself runs on) is not a disagreement.
#include <elf.h>

#include <fmt/format.h>
#include <memory>
#include <set>

#include "differ/Differ.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/Patch.h"
#include "pipeline/UnitDiff.h"
#include "preflight/State.h"

namespace lpb::preflight {

namespace {

// The source-level rule an object-level refusal corresponds to ("" when none does).
std::string sourceRuleFor(const std::string& objectRule) {
  if (objectRule == "struct-layout-changed") return "layout-changed";
  if (objectRule == "data-size-changed") return "changed-data";
  for (const char* same : {"changed-data", "changed-init", "no-ftrace-entry", "enum-value-changed",
                           "module-static-key", "module-static-call"})
    if (objectRule == same) return objectRule;
  return "";
}

// Source-level refusals the object level can also see.
bool objectCanSee(const std::string& sourceRule) {
  for (const char* r : {"changed-data", "changed-init", "no-ftrace-entry", "layout-changed", "enum-value-changed",
                        "module-static-key", "module-static-call"})
    if (sourceRule == r) return true;
  return false;
}

// "foo.constprop.0" -> "foo"; "counter.3" -> "counter".
std::string baseName(const std::string& n) { return n.substr(0, n.find('.')); }

}  // namespace

namespace {

// What the source level said, in the terms the object level can be held to.
struct SourceView {
  std::set<std::string> changed;  // changed and new functions
  std::set<std::string> named;    // every entity a finding names, and what changes with it
  std::set<std::string> refused;  // "rule entity"
};

SourceView sourceView(const std::vector<Finding>& findings) {
  SourceView v;
  for (const Finding& f : findings) {
    if (f.rule == "function-changed" || f.rule == "new-function") v.changed.insert(f.entity);
    v.named.insert(f.entity);
    v.named.insert(f.changesWith.begin(), f.changesWith.end());
    if (f.verdict != Verdict::Refuse) continue;
    // The object level may refuse the functions a refused one is inlined into instead.
    v.refused.insert(f.rule + " " + f.entity);
    for (const auto& w : f.changesWith) v.refused.insert(f.rule + " " + w);
  }
  return v;
}

// One unit's object-level verdict, with a note for each place it disagrees with the source
// level. `objectRefused` collects "source-rule entity" over all units.
DeepUnit compareUnit(const pipeline::UnitDiff& diff, const SourceView& source, std::set<std::string>& objectRefused,
                     std::vector<std::string>& notes) {
  const differ::DiffResult& r = diff.result;
  const std::string& unit = diff.objects.unit.object;
  DeepUnit du;
  du.unit = unit;
  du.verdict = r.verdict;
  std::set<std::string> objectChanged;
  for (const auto& fn : r.functions)
    if ((fn.status == differ::FunctionStatus::Changed || fn.status == differ::FunctionStatus::New ||
         fn.status == differ::FunctionStatus::Refused) && fn.parent.empty()) {
      objectChanged.insert(baseName(fn.name));
      du.changed.push_back(fn.name);
    }
  for (const auto& ref : r.refusals) {
    du.refusals.push_back({ref.rule, ref.name, ref.reason});
    objectRefused.insert(sourceRuleFor(ref.rule) + " " + ref.name);
  }
  std::set<std::string> originalFunctions;
  for (const auto& sym : diff.original->symbols)
    if (sym.type == STT_FUNC && sym.isDefined()) originalFunctions.insert(baseName(std::string(sym.name)));

  // Which functions change only matters to a patch both levels accept: behind a refused
  // layout or enum change, every user of the type changes too.
  bool refusedHere = !r.refusals.empty() || !source.refused.empty();
  for (const auto& name : objectChanged)
    if (!refusedHere && !source.named.count(name) && !name.starts_with("__"))
      notes.push_back(fmt::format("{}: {} changes at object level; the source level did not name it", unit, name));
  // A changed function that the compiler inlined everywhere has no code of its own: its
  // callers change instead, which the source level names. Only a function that is there
  // and stays the same contradicts the source level.
  for (const auto& name : source.changed)
    if (originalFunctions.count(name) && !objectChanged.count(name))
      notes.push_back(
          fmt::format("{}: {}: the source level expects a change; the object code is the same", unit, name));
  for (const auto& ref : r.refusals) {
    std::string rule = sourceRuleFor(ref.rule);
    if (rule.empty() || !source.refused.count(rule + " " + ref.name))
      notes.push_back(fmt::format("{}: object level refuses [{}] {}: {}", unit, ref.rule, ref.name, ref.reason));
  }
  return du;
}

}  // namespace

void runDeep(State& s, const kbuild::ShadowTree& shadow, const std::string& work, CheckReport& report) {
  report.deepRan = true;
  if (s.units.empty()) return;
  std::vector<kbuild::Unit> units;
  for (const auto& u : s.units) units.push_back(u.unit);

  elf::ElfObject vmlinux = elf::ElfObject::openAny(s.tree.vmlinuxPath());
  std::string cacheRoot = s.opts.cacheRoot.empty() ? work : s.opts.cacheRoot;
  kbuild::KernelProfile profile = kbuild::readKernelProfile(s.tree, vmlinux, cacheRoot + "/profiles");
  if (s.target && profile.target && s.target != profile.target)
    throw elf::InputError("--deep", fmt::format("the tree builds {} objects, but --arch asks for {}: the object "
                                                "level needs a tree of that architecture",
                                                profile.target->name(), s.target->name()));
  kbuild::checkCompiler(profile, s.tree.compileCommand(units[0]), s.tree.vmlinuxPath());
  kbuild::CompileSettings settings = kbuild::standardCompileSettings(s.opts.dataDir, cacheRoot, work + "/objects");
  if (s.opts.dataDir.empty()) settings.extraIncludes.clear();
  if (s.opts.cacheRoot.empty()) settings.cacheDir.clear();
  settings.target = profile.target;
  std::vector<kbuild::UnitObjects> objects = kbuild::compileUnits(s.tree, shadow, units, settings);

  SourceView source = sourceView(report.findings);
  std::set<std::string> objectRefused;  // "source-rule entity", over all units
  pipeline::SymbolFiles symbolFiles(s.tree, vmlinux);
  for (const kbuild::UnitObjects& o : objects)
    report.deepUnits.push_back(compareUnit(pipeline::diffUnit(o, profile, symbolFiles, s.tree.sourceDir()), source,
                                           objectRefused, report.deepNotes));
  for (const Finding& f : report.findings) {
    if (f.verdict != Verdict::Refuse || !objectCanSee(f.rule)) continue;
    bool seen = objectRefused.count(f.rule + " " + f.entity) > 0;
    for (const auto& w : f.changesWith) seen |= objectRefused.count(f.rule + " " + w) > 0;
    if (!seen)
      report.deepNotes.push_back(fmt::format("source level refuses [{}] {}; the object level does not", f.rule, f.entity));
  }
}

}  // namespace lpb::preflight
