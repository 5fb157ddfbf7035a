// --deep: compile each parsed unit original and patched (kbuild's compileUnits, the build
// pipeline's own compile step) and run the object differ on the pair; then say where the
// object level and the source level disagree. No module is emitted.
#include <fmt/format.h>
#include <set>

#include "differ/Differ.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/Patch.h"
#include "preflight/State.h"

namespace lpb::preflight {

void runDeep(State& s, CheckReport& report) {
  report.deepRan = true;
  std::vector<kbuild::Patch> patches;
  for (const auto& p : s.opts.patches) patches.push_back(kbuild::readPatch(p));
  std::string work = s.shadowRoot.substr(0, s.shadowRoot.rfind('/'));
  kbuild::ShadowTree shadow = kbuild::ShadowTree::create(s.tree, patches, work + "/deep-shadow");
  std::vector<kbuild::Unit> units;
  for (const auto& u : s.units) units.push_back(u.unit);
  kbuild::CompileSettings settings;
  settings.workDir = work + "/objects";
  settings.cacheDir = "/var/cache/lp-build/preflight/objects";
  std::vector<kbuild::UnitObjects> objects = kbuild::compileUnits(s.tree, shadow, units, settings);

  // What the source level said, per unit source file.
  std::set<std::string> sourceChanged, sourceRefused;  // "name", "rule name"
  for (const Finding& f : report.findings) {
    if (f.rule == "function-changed" || f.rule == "new-function") {
      sourceChanged.insert(f.entity);
      for (const auto& w : f.changesWith) sourceChanged.insert(w);
    }
    if (f.verdict == Verdict::Refuse) sourceRefused.insert(f.rule + " " + f.entity);
  }
  for (const kbuild::UnitObjects& o : objects) {
    differ::DiffOptions opts;
    if (o.unit.linkedInto != "vmlinux") opts.module = o.unit.linkedInto;
    elf::ElfObject a = elf::ElfObject::open(o.original);
    elf::ElfObject b = elf::ElfObject::open(o.patched);
    differ::DiffResult r = differ::diffObjects(a, b, opts);
    std::set<std::string> objectChanged;
    for (const auto& fn : r.functions)
      if ((fn.status == differ::FunctionStatus::Changed || fn.status == differ::FunctionStatus::New ||
           fn.status == differ::FunctionStatus::Refused) && fn.parent.empty())
        objectChanged.insert(fn.name);
    for (const auto& name : objectChanged)
      if (!sourceChanged.count(name) && name.rfind("__", 0) != 0)
        report.deepNotes.push_back(fmt::format("{}: {} changes at object level; the source level did not name it",
                                               o.unit.object, name));
    for (const auto& name : sourceChanged)
      if (!objectChanged.count(name) && !name.empty())
        report.deepNotes.push_back(fmt::format("{}: {}: the source level expects a change; the object code is the "
                                               "same (inlined everywhere, or optimised away)",
                                               o.unit.object, name));
    for (const auto& ref : r.refusals) {
      std::string key = ref.rule + " " + ref.name;
      if (!sourceRefused.count(key))
        report.deepNotes.push_back(fmt::format("{}: object level refuses [{}] {}: {}", o.unit.object, ref.rule,
                                               ref.name, ref.reason));
    }
    for (const Finding& f : report.findings) {
      if (f.verdict != Verdict::Refuse) continue;
      bool objectAgrees = false;
      for (const auto& ref : r.refusals) objectAgrees |= ref.rule == f.rule && ref.name == f.entity;
      if (!objectAgrees)
        report.deepNotes.push_back(fmt::format("{}: source level refuses [{}] {}; the object level does not "
                                               "(it cannot see this kind of problem, or the compiler removed it)",
                                               o.unit.object, f.rule, f.entity));
    }
  }
}

}  // namespace lpb::preflight
