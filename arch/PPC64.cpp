// ppc64le: the 64-bit PowerPC ELFv2 ABI (little-endian), as the Linux kernel uses it.
//
// Every function may need the TOC pointer (r2) to reach its data. A function has two entry
// points: the global entry computes r2 from r12 (`addis r2,r12,.TOC.-fn@ha; addi r2,r2,..`)
// and falls into the local entry, which assumes r2 is already right. st_other bits 5-7 say
// how far the local entry lies past the symbol's address.
//
// A call the compiler believes leaves the compilation unit is `bl fn` followed by a `nop`:
// the linker (for modules, the kernel's module loader) routes the call through a stub that
// saves r2 and rewrites the nop into `ld r2,24(r1)` to restore it on return. A livepatch
// module's calls back into the kernel always leave the module, so they need that nop; the
// loader refuses a call without it ("Expected nop after call"). A sibling call (`b fn`, a tail
// call) leaving the module cannot work at all: there is no return path on which to restore
// r2, so the caller's caller would run with the module's TOC.
//
// Kernels are built with -mprofile-kernel: after the global entry, `mflr r0; bl _mcount`
// is the ftrace location (newer kernels may use patchable-function-entry nops instead).
// Livepatch's ftrace handler adds a stack frame before calling the new function, which is
// why functions taking arguments on the stack are a concern (see the pre-flight rules).
//
// Instructions are 4 bytes; a __LINE__ travels as `li rN,imm` (addi rN,0,imm).
#include <elf.h>

#include <array>
#include <fmt/format.h>

#include "arch/Target.h"

namespace lpb::arch {
namespace {

using SS = SpecialSection;
constexpr std::array<SS, 16> kSpecial{{
    {"__bug_table", EntryKind::Bug, 24},
    {"__ex_table", EntryKind::Ex, 8},
    {"__jump_table", EntryKind::Jump, 16},
    // CPU/MMU/firmware feature fixups: struct fixup_entry (mask, value, and four offsets
    // relative to the entry: the code to patch and its alternative in __ftr_alt_* sections).
    {"__ftr_fixup", EntryKind::Fixup, 48},
    {"__mmu_ftr_fixup", EntryKind::Fixup, 48},
    {"__fw_ftr_fixup", EntryKind::Fixup, 48},
    // Single-offset fixup lists: each entry locates one instruction to patch at boot.
    {"__lwsync_fixup", EntryKind::None, 8},
    {"__stf_entry_barrier_fixup", EntryKind::None, 8},
    {"__stf_exit_barrier_fixup", EntryKind::None, 8},
    {"__uaccess_flush_fixup", EntryKind::None, 8},
    {"__entry_flush_fixup", EntryKind::None, 8},
    {"__scv_entry_flush_fixup", EntryKind::None, 8},
    {"__rfi_flush_fixup", EntryKind::None, 8},
    {"__barrier_nospec_fixup", EntryKind::None, 8},
    {"__btb_flush_fixup", EntryKind::None, 8},
    {"__spec_barrier_fixup", EntryKind::None, 8},
}};

constexpr std::array<std::string_view, 2> kProfiling{"_mcount", "mcount"};

class PPC64le final : public Target {
 public:
  std::string_view name() const override { return "ppc64le"; }
  uint16_t machine() const override { return EM_PPC64; }
  // Only the little-endian ELFv2 ABI (ppc64le) has kernel livepatch support.
  bool accepts(const elf::ElfObject& obj) const override { return obj.byteOrder == ELFDATA2LSB; }

  std::string relocName(uint32_t type) const override {
    switch (type) {
      case R_PPC64_ADDR64: return "R_PPC64_ADDR64";
      case R_PPC64_REL24: return "R_PPC64_REL24";
      case R_PPC64_REL64: return "R_PPC64_REL64";
      case R_PPC64_REL32: return "R_PPC64_REL32";
      case R_PPC64_TOC16_HA: return "R_PPC64_TOC16_HA";
      case R_PPC64_TOC16_LO: return "R_PPC64_TOC16_LO";
      case R_PPC64_TOC16_LO_DS: return "R_PPC64_TOC16_LO_DS";
      case R_PPC64_REL16_HA: return "R_PPC64_REL16_HA";
      case R_PPC64_REL16_LO: return "R_PPC64_REL16_LO";
      default: return fmt::format("R_PPC64_{}", type);
    }
  }

  bool isBranchReloc(uint32_t type) const override { return type == R_PPC64_REL24 || type == R_PPC64_REL14; }

  std::span<const std::string_view> profilingCallNames() const override { return kProfiling; }

  std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const override {
    unsigned v = (fn.other >> 5) & 7;
    int64_t local = v >= 2 && v <= 6 ? (int64_t(1) << v) : 0;
    // patchable-function-entry nops may sit before the symbol; mflr/std/bl after the local entry.
    return {static_cast<int64_t>(fn.value) - 8, static_cast<int64_t>(fn.value) + local + 16};
  }
  std::string_view ftraceEntryDescription() const override {
    return "a `bl _mcount` after the local entry (-mprofile-kernel) or patchable-function-entry nops";
  }

  std::optional<std::vector<Insn>> decode(const elf::ElfObject&, const elf::Section& code) const override {
    return fixedWidth(code, 4);
  }

  bool isLineNumberLoadPair(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t) const override {
    if (a.size() != 4 || b.size() != 4) return false;
    uint32_t x = wordLE(a), y = wordLE(b);
    auto isLi = [](uint32_t i) { return (i >> 26) == 14 && ((i >> 16) & 31) == 0; };
    unsigned rd = (x >> 21) & 31;
    return isLi(x) && isLi(y) && (x >> 16) == (y >> 16) && rd >= 4 && rd <= 10;
  }

  std::vector<Refusal> checkCallsOut(const elf::ElfObject&, const elf::Section& sec, const elf::Symbol& fn,
                                         std::span<const CallOut> calls) const override {
    std::vector<Refusal> why;
    for (const CallOut& c : calls) {
      if (c.type != R_PPC64_REL24 || c.targetIncluded || c.offset + 4 > sec.data.size()) continue;
      uint32_t insn = wordLE(sec.data.subspan(c.offset & ~uint64_t(3), 4));
      bool isBranch = (insn >> 26) == 18, links = insn & 1;
      if (isBranch && !links)
        why.push_back({"ppc64-sibling-call", fmt::format(
            "sibling call to {} at {}+0x{:x} leaves the patch module, which cannot restore the TOC "
            "pointer on that path; add __attribute__((optimize(\"-fno-optimize-sibling-calls\"))) to {}",
            c.targetName, fn.name, c.offset - fn.value, fn.name)});
    }
    return why;
  }

  // `bl fn` with no nop after it: the compiler knew fn shares this unit's TOC. Sent back
  // into the kernel, the call would need a stub and a TOC restore in that nop slot, which
  // the module loader refuses without ("Expected nop after call"). So fn comes along.
  bool callMustStayLocal(const elf::Section& code, const elf::Reloc& r) const override {
    if (r.type != R_PPC64_REL24 || (r.offset & 3) || r.offset + 4 > code.data.size()) return false;
    uint32_t insn = wordLE(code.data.subspan(r.offset, 4));
    uint32_t next = r.offset + 8 <= code.data.size() ? wordLE(code.data.subspan(r.offset + 4, 4)) : 0;
    bool callWithLink = (insn >> 26) == 18 && (insn & 1);
    bool nopAfter = next == 0x60000000u /* nop */ || next == 0x60420000u /* ori r2,r2,0 */ ||
                    next == 0xe8410018u /* ld r2,24(r1) */;
    return callWithLink && !nopAfter;
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
};

}  // namespace

const Target& ppc64leTarget() {
  static const PPC64le t;
  return t;
}

}  // namespace lpb::arch
