// kpatch-build's macros (kpatch-macros.h) put pointers into .kpatch.* sections; patches
// written for kpatch-build keep their meaning here: ignored functions and sections count as
// unchanged, forced ones are marked in the report, and callbacks travel with the patch.
#include "differ/DifferState.h"

namespace lpb::differ {

namespace {
constexpr std::string_view kCallbackPrefix = ".kpatch.callbacks.";

// The sections a .kpatch.ignore.sections entry names: each entry points at a string.
void addNamedSections(const ObjectModel& patched, const elf::Section& sec, std::set<uint32_t>& out) {
  for (const auto& r : sec.relocs) {
    RelocTarget t = patched.resolve(sec, r);
    const elf::Symbol& s = patched.sym(t.sym);
    if (!s.isDefined()) continue;
    int64_t at = t.anonymous() ? patched.exactOffset(sec, r) : t.offset + int64_t(s.value);
    std::string_view want = patched.stringAt(s.shndx, at);
    for (const auto& other : patched.elf.sections)
      if (other.name == want) out.insert(other.index);
  }
}

// Each entry of a .kpatch.callbacks.<kind> section points at the function.
void addCallbacks(const ObjectModel& patched, const elf::Section& sec, const std::string& kind,
                  std::vector<KpatchDirectives::Callback>& out) {
  for (const auto& r : sec.relocs) {
    uint32_t fn = patched.resolve(sec, r).sym;
    if (patched.symbols[fn].isFunction) out.push_back({kind, fn});
  }
}

}  // namespace

KpatchDirectives readKpatchDirectives(const ObjectModel& patched) {
  KpatchDirectives d;
  for (const auto& sec : patched.elf.sections) {
    if (patched.sections[sec.index].kind != SectionKind::KpatchMeta) continue;
    std::string_view n = sec.name;
    if (n == ".kpatch.ignore.functions" || n == ".kpatch.force") {
      for (const auto& r : sec.relocs) {
        uint32_t fn = patched.resolve(sec, r).sym;
        if (patched.symbols[fn].isFunction) (n == ".kpatch.force" ? d.forcedFunctions : d.ignoredFunctions).insert(fn);
      }
    } else if (n == ".kpatch.ignore.sections") {
      addNamedSections(patched, sec, d.ignoredSections);
    } else if (n.starts_with(kCallbackPrefix)) {
      d.callbackSections.push_back(sec.index);
      addCallbacks(patched, sec, std::string(n.substr(kCallbackPrefix.size())), d.callbacks);
    }
  }
  return d;
}

void ignoreDirected(const KpatchDirectives& d, const ObjectModel& patched, Comparison& comparison) {
  for (uint32_t fn : d.ignoredFunctions) {
    comparison.symStatus[fn] = Status::Same;
    for (uint32_t c : patched.symbols[fn].children) comparison.symStatus[c] = Status::Same;
    comparison.secStatus[patched.sym(fn).shndx] = Status::Same;
  }
  for (uint32_t s : d.ignoredSections) {
    comparison.secStatus[s] = Status::Same;
    for (uint32_t o : patched.sections[s].objects) comparison.symStatus[o] = Status::Same;
  }
}

}  // namespace lpb::differ
