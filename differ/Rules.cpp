// Refusing what cannot be live-patched. Each refusal names the function, object or
// section and says why and what to do instead; nothing is silently dropped.
//
// Adding a rule: give it a stable id (the tests and --json use it), check it here on the
// differ's decisions (statuses, inclusion, twins), and say what the author should do.
// Architecture-specific rules belong in the Target (arch/), called from here.
#include <elf.h>

#include <algorithm>
#include <fmt/format.h>

#include "differ/DifferState.h"
#include "elfgen/DwarfTypes.h"

namespace lpb::differ {

void addRefusal(std::vector<Refusal>& refusals, std::string rule, std::string name, std::string reason) {
  for (const auto& r : refusals)
    if (r.rule == rule && r.name == name) return;
  refusals.push_back(Refusal{std::move(rule), std::move(name), std::move(reason)});
}

namespace {

// The rules, each a check... function over the stages' results (checkRules() below).
class RuleChecker : StageInputs {
 public:
  RuleChecker(const StageInputs& in, Inclusion& inclusion) : StageInputs(in), inclusion(inclusion) {}
  std::vector<Refusal> run();

 private:
  void checkFunction(uint32_t sym);
  void checkChangedObject(uint32_t sym);
  void checkChangedConstant(uint32_t sym, uint64_t origSize);
  void checkUnknownSections();
  void checkRuntimeConstants();
  void checkRemovedStaticLocals();
  void checkSectionGroups();
  void checkModuleOwnedKeys();
  bool keyIsModuleOwned(uint32_t key) const;
  void checkTypeLayouts();
  // The architecture's rule for patch targets that receive arguments in their caller's frame.
  void checkStackArguments();
  void refuse(std::string rule, std::string name, std::string reason) {
    addRefusal(refusals, std::move(rule), std::move(name), std::move(reason));
  }

  Inclusion& inclusion;
  std::vector<Refusal> refusals;
};

// Does the original function have an ftrace location the kernel can redirect?
bool hasFtraceEntry(const ObjectModel& m, const arch::Target& t, uint32_t fn) {
  const elf::Symbol& f = m.sym(fn);
  auto [lo, hi] = t.ftraceWindow(f);
  auto inWindow = [&](const RelocTarget& rt) {
    const elf::Symbol& s = m.sym(rt.sym);
    if (!s.isDefined() || s.shndx != f.shndx) return false;
    int64_t at = static_cast<int64_t>(s.value) + rt.offset;
    return at >= lo && at < hi;
  };
  auto locationSections = t.ftraceLocationSections();
  for (const auto& sec : m.elf.sections) {
    if (std::find(locationSections.begin(), locationSections.end(), sec.name) == locationSections.end()) continue;
    for (const auto& r : sec.relocs)
      if (inWindow(m.resolve(sec, r))) return true;
  }
  const elf::Section& code = m.sec(f.shndx);
  auto names = t.profilingCallNames();
  for (const auto& r : code.relocs) {
    int64_t at = static_cast<int64_t>(r.offset);
    if (at < lo || at >= hi) continue;  // any type: old recordmcount left R_X86_64_NONE on the call
    std::string_view callee = m.sym(r.sym).name;
    if (std::find(names.begin(), names.end(), callee) != names.end()) return true;
  }
  return false;
}

}  // namespace

// A function the kernel redirects is entered from the old one's ftrace entry; on some
// architectures that path moves the stack pointer, and a replacement that reads arguments
// from its caller's frame would read the wrong ones (Target::checkStackArguments). The
// parameters come from the patched object's DWARF.
void RuleChecker::checkStackArguments() {
  if (!target.hasStackArgumentRule() || opts.kernelSourceDir.empty()) return;
  std::map<uint32_t, std::string> targets;  // symbol -> its name in the source
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p)
    if (inclusion.patchTarget[p]) {
      std::string name = displayName(p);
      targets[p] = name.substr(0, name.find('.'));  // foo.isra.0 is foo in the DWARF
    }
  if (targets.empty()) return;
  std::set<std::string> names;
  for (const auto& [p, n] : targets) names.insert(n);
  std::map<std::string, elf::FunctionSignature> signatures;
  std::string noDwarf;
  try {
    signatures = elf::functionSignatures(patched.elf.path, names);
  } catch (const elf::InputError& e) {
    noDwarf = e.what();
  }
  std::string rule = std::string(target.name()) + "-stack-args";
  for (const auto& [p, source] : targets) {
    auto it = signatures.find(source);
    if (it == signatures.end()) {
      refuse(rule, displayName(p),
             fmt::format("its parameters cannot be read ({}), so lp-build cannot show that the replacement does "
                         "not read arguments from its caller's frame; build with CONFIG_DEBUG_INFO",
                         noDwarf.empty() ? "no DWARF entry for " + source : noDwarf));
      continue;
    }
    arch::Target::StackArguments r =
        target.checkStackArguments(it->second.params, it->second.variadic, opts.kernelSourceDir);
    if (!r.onStack) continue;
    if (!r.safe)
      refuse(rule, displayName(p), "receives arguments on the stack: " + r.reason);
    else
      inclusion.includeReason[p] += "; receives arguments on the stack: " + r.reason;
  }
}

std::vector<Refusal> checkRules(const StageInputs& in, Inclusion& inclusion) { return RuleChecker(in, inclusion).run(); }

std::vector<Refusal> RuleChecker::run() {
  if (opts.compareTypeLayouts) checkTypeLayouts();
  checkStackArguments();
  for (uint32_t p = 1; p < patched.elf.symbols.size(); ++p) {
    const SymbolInfo& info = patched.symbols[p];
    if (!patched.sym(p).isDefined() || info.isPrefix || directives.ignoredFunctions.count(p)) continue;
    if (info.isFunction) checkFunction(p);
    else if (info.isObject && !info.isSpecialStatic && comparison.symStatus[p] == Status::Changed) checkChangedObject(p);
  }
  checkUnknownSections();
  checkRuntimeConstants();
  checkRemovedStaticLocals();
  checkSectionGroups();
  checkModuleOwnedKeys();
  return std::move(refusals);
}

// A changed __init function; an included function's ftrace entry and calls out.
void RuleChecker::checkFunction(uint32_t p) {
  const elf::Symbol& ps = patched.sym(p);
  SectionKind kind = patched.kindOfSymbol(p);
  std::string name = displayName(p);
  if (comparison.symStatus[p] == Status::Changed && kind == SectionKind::Init)
    refuse("changed-init", name,
           "__init/__exit code changed: it already ran at boot or never runs while patched; "
           "move the fix into code that runs later, or use a post-patch callback");
  if (!inclusion.includedSym[p] || kind != SectionKind::Text) return;
  // A changed function the kernel must redirect needs its ftrace entry in the running code.
  if (inclusion.patchTarget[p] && !hasFtraceEntry(orig, target, correlation.twinOfSym[p]))
    refuse("no-ftrace-entry", name,
           fmt::format("the running function has no ftrace entry ({}), so the kernel cannot redirect it "
                       "(notrace, noinstr or inline-only); patch its callers instead",
                       target.ftraceEntryDescription()));
  // Calls out of included code, for the architecture's rules.
  std::vector<arch::Target::CallOut> calls;
  const elf::Section& code = patched.sec(ps.shndx);
  for (const auto& r : code.relocs) {
    if (r.offset < ps.value || r.offset >= ps.value + ps.size || !target.isBranchReloc(r.type)) continue;
    RelocTarget t = patched.resolve(code, r);
    const elf::Symbol& callee = patched.sym(t.sym);
    bool in = patched.symbols[t.sym].isFunction ? bool(inclusion.includedSym[t.sym])
              : callee.isDefined()              ? bool(inclusion.includedSec[callee.shndx])
                                                : target.isSuppliedToEveryModule(callee.name);
    calls.push_back({r.offset, r.type, in, callee.name});
  }
  for (auto& why : target.checkCallsOut(patched.elf, code, ps, calls)) refuse(why.rule, name, why.reason);
}

// An existing data object whose contents or size changed.
void RuleChecker::checkChangedObject(uint32_t p) {
  const elf::Symbol& ps = patched.sym(p);
  std::string name = displayName(p);
  uint32_t o = correlation.twinOfSym[p];
  bool sizeChanged = o && orig.sym(o).size != ps.size;
  switch (patched.kindOfSymbol(p)) {
    case SectionKind::Init:
      refuse("changed-init", name, "__init/__initdata data changed: it is used only at boot, which is over");
      break;
    case SectionKind::Data:
      if (sizeChanged)
        refuse("data-size-changed", name,
               fmt::format("existing object changes size ({} -> {} bytes): code that is not patched still "
                           "uses the old layout; keep the size and add new fields as a shadow variable",
                           orig.sym(o).size, ps.size));
      else
        refuse("changed-data", name,
               "existing data object changed (initializer): the running kernel keeps its current value; "
               "set it from a post-patch callback or keep new state in a shadow variable");
      break;
    case SectionKind::ReadOnly: checkChangedConstant(p, sizeChanged ? orig.sym(o).size : ps.size); break;
    case SectionKind::Unknown:
      refuse("unknown-section", std::string(patched.sec(ps.shndx).name),
             fmt::format("object {} in a section lp-build does not know changed; lp-build will not guess how "
                         "the kernel uses it",
                         name));
      break;
    default: break;
  }
}

// A changed constant is copied into the patch, which is right only if every user is
// patched too. `origSize`: its size in the original.
void RuleChecker::checkChangedConstant(uint32_t p, uint64_t origSize) {
  const elf::Symbol& ps = patched.sym(p);
  std::vector<std::string> stale;
  for (uint32_t u = 1; u < patched.elf.symbols.size(); ++u)
    if (correlation.usesPatched[u].count(p) && !inclusion.includedSym[u] && u != p) stale.push_back(displayName(u));
  if (ps.bind != STB_LOCAL) stale.push_back("users in other files");  // their users are unknown here
  if (origSize != ps.size)
    refuse("data-size-changed", displayName(p),
           fmt::format("existing read-only object changes size ({} -> {} bytes)", origSize, ps.size));
  else if (!stale.empty())
    refuse("changed-data", displayName(p),
           fmt::format("existing read-only object changed; unpatched code ({}) would keep using the old "
                       "contents; patch those users too or give the new contents a new name",
                       fmt::join(stale, ", ")));
}

// Anonymous content of unknown sections.
void RuleChecker::checkUnknownSections() {
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (patched.sections[s].kind == SectionKind::Unknown && !patched.sections[s].primary &&
        comparison.secStatus[s] != Status::Same && !directives.ignoredSections.count(s) && patched.sec(s).size)
      refuse("unknown-section", std::string(patched.sec(s).name),
             "a section lp-build does not know changed; lp-build will not guess how the kernel uses it");
}

// Sections listing instructions the kernel rewrites at boot, in vmlinux only
// (Target::isRuntimeConstantSection): a module copy of such code would run with the
// placeholder, even when the section itself did not change.
void RuleChecker::checkRuntimeConstants() {
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s) {
    const elf::Section& sec = patched.sec(s);
    if (!target.isRuntimeConstantSection(sec.name)) continue;
    for (const auto& r : sec.relocs) {
      RelocTarget t = patched.resolve(sec, r);
      const elf::Symbol& ts = patched.sym(t.sym);
      if (!(t.section && inclusion.includedSec[t.section]) && !(ts.isDefined() && inclusion.includedSym[t.sym])) continue;
      refuse("runtime-constant", std::string(sec.name),
             "the patched code uses a runtime constant: the kernel fills these instructions in at boot, in vmlinux "
             "only, so the module's copy would keep the placeholder");
      break;
    }
  }
}

// Static locals the original function used and the patched one dropped.
void RuleChecker::checkRemovedStaticLocals() {
  for (uint32_t o = 1; o < orig.elf.symbols.size(); ++o) {
    uint32_t p = correlation.twinOfSymOrig[o];
    if (!p || !orig.symbols[o].isFunction || comparison.symStatus[p] != Status::Changed) continue;
    for (uint32_t v : correlation.usesOrig[o]) {
      if (!orig.symbols[v].isStaticLocal) continue;
      uint32_t pv = correlation.twinOfSymOrig[v];
      bool stillUsed = pv && correlation.usesPatched[p].count(pv);
      for (uint32_t c : patched.symbols[p].children) stillUsed |= pv && correlation.usesPatched[c].count(pv);
      if (!stillUsed)
        refuse("static-local-removed", std::string(orig.sym(o).name),
               fmt::format("no longer uses its static variable {}; lp-build pairs static variables by the "
                           "functions that use them, so its state could not be carried over; keep a reference",
                           orig.sym(v).name));
    }
  }
}

// Section groups (COMDAT) are all-or-nothing at link time; a patch cannot change one member.
void RuleChecker::checkSectionGroups() {
  for (uint32_t s = 1; s < patched.elf.sections.size(); ++s)
    if (inclusion.includedSec[s] && patched.sec(s).group && comparison.secStatus[s] != Status::Same)
      refuse("changed-group", std::string(patched.sec(s).name),
             "changed section is part of a section group (COMDAT); the group cannot be patched piecemeal");
}

// Is the static key or static call `key` defined by a module (this unit's, or another
// than vmlinux)?
bool RuleChecker::keyIsModuleOwned(uint32_t key) const {
  const elf::Symbol& k = patched.sym(key);
  if (k.isDefined()) return !opts.module.empty();
  if (opts.symbols && opts.symbols->fileType != ET_REL) {
    for (const auto& s : opts.symbols->symbols)
      if (s.name == k.name && s.isDefined()) return false;
    return true;
  }
  return false;
}

// Static keys and static calls owned by a module: the livepatch module may load before
// that module, and the kernel resolves jump and static-call entries at load time.
void RuleChecker::checkModuleOwnedKeys() {
  for (const auto& sec : patched.elf.sections) {
    const SectionInfo& info = patched.sections[sec.index];
    if (info.kind != SectionKind::Special || !arch::entryEndsWithKey(info.special->kind) || !inclusion.includedSec[sec.index])
      continue;
    bool jump = info.special->kind == arch::EntryKind::Jump;
    for (auto& e : inclusion.specialEntries[sec.index]) {
      if (!e.keep) continue;
      // The key is the entry's last field: its first relocation (LoongArch computes a
      // self-relative field with an ADD64 of the key and a SUB64 of the entry).
      const elf::Reloc* keyRel = nullptr;
      for (const auto& r : sec.relocs)
        if (r.offset >= e.begin && r.offset < e.end && (!keyRel || r.offset > keyRel->offset)) keyRel = &r;
      if (!keyRel) continue;
      uint32_t key = patched.resolve(sec, *keyRel).sym;
      if (!keyIsModuleOwned(key)) continue;
      std::string keyName = displayName(key);
      if (keyName.starts_with("__tracepoint_") || keyName.starts_with("__SCK__tp_func_") ||
          patched.symbols[key].isSpecialStatic) {
        e.keep = false;  // tracepoint/dynamic-debug sites stay disabled in the patch: safe
        continue;
      }
      uint32_t user = 0;
      for (const auto& r : sec.relocs)
        if (r.offset == e.begin) user = patched.resolve(sec, r).sym;
      refuse(jump ? "module-static-key" : "module-static-call", user ? displayName(user) : keyName,
             fmt::format("uses {} {} owned by a module, which the kernel cannot resolve when the patch loads "
                         "before it; use static_key_enabled()/a plain call in the patched code",
                         jump ? "static key" : "static call", keyName));
    }
  }
}

// A struct or union whose layout the patch changes is used by code and data the patch
// does not replace: existing instances keep the old layout and unchanged functions keep
// reading it. The DWARF of the unit, built both ways, shows it exactly. An enumerator
// whose value moves (a value inserted in the middle) breaks unchanged code the same way;
// values appended at the end do not.
void RuleChecker::checkTypeLayouts() {
  std::map<std::string, std::string> before = elf::typeLayouts(orig.elf.path);
  std::map<std::string, std::string> after = elf::typeLayouts(patched.elf.path);
  auto fields = [](const std::string& layout) {
    std::map<std::string, std::string> out;
    size_t at = 0;
    while (at != std::string::npos) {
      size_t next = layout.find(';', at);
      std::string f = layout.substr(at, next == std::string::npos ? std::string::npos : next - at);
      size_t eq = f.find('=');
      if (eq != std::string::npos) out[f.substr(0, eq)] = f.substr(eq + 1);
      at = next == std::string::npos ? next : next + 1;
    }
    return out;
  };
  for (const auto& [type, layout] : before) {
    auto it = after.find(type);
    if (it == after.end() || it->second == layout) continue;
    if (type.starts_with("enum ")) {
      auto was = fields(layout), now = fields(it->second);
      for (const auto& [name, value] : was) {
        if (name == "size") continue;
        auto n = now.find(name);
        if (n != now.end() && n->second != value) {
          refuse("enum-value-changed", type,
                 fmt::format("{} is {} before the patch and {} after: code the patch does not replace still uses the "
                             "old values; add new enumerators at the end instead",
                             name, value, n->second));
          break;
        }
      }
      continue;
    }
    refuse("struct-layout-changed", type,
           "the patch changes its layout (a member added, removed, retyped or moved): existing instances and the "
           "code the patch does not replace use the old layout; keep the new state in a shadow variable "
           "(klp_shadow_alloc) instead");
  }
}

}  // namespace lpb::differ
