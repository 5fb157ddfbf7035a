#include "arch/Target.h"

#include <elf.h>

#include <array>

namespace lpb::arch {

namespace {
constexpr std::array<std::pair<std::string_view, EntryKind>, 9> kEntryKinds{{
    {"bug", EntryKind::Bug},
    {"ex", EntryKind::Ex},
    {"jump", EntryKind::Jump},
    {"alt", EntryKind::Alt},
    {"orc", EntryKind::Orc},
    {"para", EntryKind::Para},
    {"static_call", EntryKind::StaticCall},
    {"printk_index", EntryKind::PrintkIndex},
    {"fixup", EntryKind::Fixup},
}};
}  // namespace

std::optional<EntryKind> entryKindFromName(std::string_view name) {
  for (auto& [n, k] : kEntryKinds)
    if (n == name) return k;
  return std::nullopt;
}

std::string_view entryStructName(EntryKind k) {
  switch (k) {
    case EntryKind::Bug: return "bug_entry";
    case EntryKind::Ex: return "exception_table_entry";
    case EntryKind::Jump: return "jump_entry";
    case EntryKind::Alt: return "alt_instr";
    case EntryKind::Orc: return "orc_entry";
    case EntryKind::Para: return "paravirt_patch_site";
    case EntryKind::StaticCall: return "static_call_site";
    case EntryKind::PrintkIndex: return "pi_entry";
    case EntryKind::Fixup: return "fixup_entry";
    case EntryKind::None: return {};
  }
  return {};
}

std::string entryKindNames() {
  std::string out;
  for (auto& [n, k] : kEntryKinds) {
    if (!out.empty()) out.push_back(' ');
    out.append(n);  // (appends: GCC 12 -O3 -Wrestrict false positive on operator+, PR 105651)
  }
  return out;
}

bool entryEndsWithKey(EntryKind kind) { return kind == EntryKind::Jump || kind == EntryKind::StaticCall; }

std::span<const std::string_view> Target::ftraceLocationSections() const {
  static constexpr std::array<std::string_view, 2> both{"__mcount_loc", "__patchable_function_entries"};
  return both;
}

std::string_view entryKindName(EntryKind k) {
  for (auto& [n, kk] : kEntryKinds)
    if (kk == k) return n;
  return "fixed";
}

int64_t Target::referencedOffset(const elf::Section&, const elf::Reloc& r, InsnCache&) const {
  return r.addend;
}

std::vector<Target::Refusal> Target::checkCallsOut(const elf::ElfObject&, const elf::Section&, const elf::Symbol&,
                                               std::span<const CallOut>) const {
  return {};
}

namespace {
using SS = SpecialSection;
constexpr std::array<SS, 8> kCommon{{
    // Where ftrace finds each function's patchable entry (one pointer per function).
    {"__mcount_loc", EntryKind::None, 8},
    {"__patchable_function_entries", EntryKind::None, 8},
    {".static_call_sites", EntryKind::StaticCall, 8},
    // The printk format catalogue (debugfs printk/index) only describes; the running
    // kernel's entries stay valid and a patch module need not add its own.
    {".printk_index", EntryKind::PrintkIndex, 8, SS::Policy::Drop},
    // Dynamic debug descriptors: objects the pr_debug() call sites use.
    {"__dyndbg", EntryKind::None, 0, SS::Policy::KeepEntriesReferencedByIncludedCode},
    {"__verbose", EntryKind::None, 0, SS::Policy::KeepEntriesReferencedByIncludedCode},  // its name before 4.9
    // WARN_ONCE/printk_once flags: one per use site; the patch carries those of its own code.
    {".data.once", EntryKind::None, 0, SS::Policy::KeepEntriesReferencedByIncludedCode},
    {".data..once", EntryKind::None, 0, SS::Policy::KeepEntriesReferencedByIncludedCode},
}};
}  // namespace

std::vector<Insn> Target::fixedWidth(const elf::Section& code, unsigned width) {
  std::vector<Insn> out;
  out.reserve(code.data.size() / width);
  for (uint64_t off = 0; off + width <= code.data.size(); off += width) out.push_back(Insn{off, width});
  return out;
}

uint32_t Target::wordLE(std::span<const uint8_t> b) {
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

bool Target::callMustStayLocal(const elf::Section&, const elf::Reloc&) const { return false; }

const SpecialSection* Target::findSpecial(std::string_view sectionName) const {
  for (const auto& s : specialSections())
    if (s.name == sectionName) return &s;
  for (const auto& s : kCommon)
    if (s.name == sectionName) return &s;
  return nullptr;
}

unsigned Target::defaultEntrySize(EntryKind kind) const {
  for (const auto& s : specialSections())
    if (s.kind == kind) return s.entrySize;
  for (const auto& s : kCommon)
    if (s.kind == kind) return s.entrySize;
  return 0;
}

// Defined in each architecture's file.
const Target& x86_64Target();
const Target& ppc64leTarget();
const Target& aarch64Target();
const Target& s390xTarget();
const Target& loongarch64Target();

// The one registry: a new architecture's file adds its accessor here.
std::span<const Target* const> allTargets() {
  static const std::array<const Target*, 5> all{&x86_64Target(), &ppc64leTarget(), &aarch64Target(), &s390xTarget(),
                                                &loongarch64Target()};
  return all;
}

const Target* targetFor(const elf::ElfIdentity& id) {
  for (const Target* t : allTargets())
    if (t->machine() == id.machine && t->accepts(id)) return t;
  return nullptr;
}

bool isInArchNotKernelDirectory(std::string_view object) {
  if (!object.starts_with("arch/")) return false;
  std::string_view rest = object.substr(5);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view archDir = rest.substr(0, slash), inArch = rest.substr(slash + 1);
  for (const Target* t : allTargets()) {
    if (t->kbuildArch() != archDir) continue;
    for (std::string_view d : t->notKernelDirectories())
      if (inArch.starts_with(d)) return true;
  }
  return false;
}

const Target* targetNamed(std::string_view name) {
  for (const Target* t : allTargets())
    if (t->name() == name) return t;
  return nullptr;
}

// Architectures whose livepatch entry does not move the stack need no check.
Target::StackArguments Target::checkStackArguments(std::span<const Parameter>, bool, const std::string&) const {
  return {};
}

}  // namespace lpb::arch
