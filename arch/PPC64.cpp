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
// The first livepatch support added a stack frame on the way to the new function, which is
// why functions taking arguments on the stack are a concern (checkStackArguments below).
//
// Instructions are 4 bytes; a __LINE__ travels as `li rN,imm` (addi rN,0,imm).
//
// Code in vmlinux is built with -mcmodel=medium: it reaches its own unit's data as a 32-bit
// offset from the TOC pointer (`addis rX,r2,var@toc@ha`). From a module that cannot reach
// vmlinux (modules live at 0xc008..., far from the kernel's TOC), so kbuild builds module
// objects with -mcmodel=large, which loads every address from a .toc entry (a 64-bit
// relocation, which a klp relocation can fill). lp-build compiles a vmlinux unit the same
// way (arch/powerpc/Makefile: KBUILD_CFLAGS_MODULE += -mcmodel=large).
//
// Two kinds of symbol come to every module from its own link, never from vmlinux. `.TOC.`
// is the module's TOC base, which the module loader sets from the module's .toc section
// (arch/powerpc/kernel/module_64.c). And at -Os GCC saves and restores callee-saved
// registers through out-of-line helpers (`bl _savegpr0_29` in the prologue, `b
// _restgpr0_29` as the epilogue's tail call), which kbuild links into each module: ld
// --save-restore-funcs, or arch/powerpc/lib/crtsavres.o. A branch to one never leaves the
// module, so it needs no TOC restore.
//
// ABI: "64-Bit ELF V2 ABI Specification, Power Architecture", OpenPOWER Foundation
// (https://openpowerfoundation.org/specifications/64bitelfabi/), which also defines the
// save/restore helpers' names and calling sequence.
#include <elf.h>

#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
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
constexpr std::array<std::string_view, 1> kModuleCodeModel{"-mcmodel=large"};

class PPC64le final : public Target {
 public:
  std::string_view name() const override { return "ppc64le"; }
  std::string_view kbuildArch() const override { return "powerpc"; }
  std::span<const std::string_view> notKernelDirectories() const override {
    static constexpr std::array<std::string_view, 3> dirs{"boot/", "kernel/vdso/", "purgatory/"};
    return dirs;
  }
  uint16_t machine() const override { return EM_PPC64; }
  // Only the little-endian ELFv2 ABI (ppc64le) has kernel livepatch support.
  bool accepts(const elf::ElfIdentity& id) const override { return id.byteOrder == ELFDATA2LSB; }

  // A pSeries guest: SLOF firmware, the kernel's own vmlinux (QEMU loads the ELF), the
  // hypervisor console hvc0. POWER9, because the test kernel has VSX and -mcpu=power8+.
  const QemuMachine* qemuMachine() const override {
    static constexpr QemuMachine m{"qemu-system-ppc64", "-M pseries -cpu power9 -m 1024", "hvc0", "vmlinux", "ppc64el"};
    return &m;
  }

  std::span<const std::string_view> moduleCodeModelFlags() const override { return kModuleCodeModel; }

  // The TOC-relative types: a 16-bit piece of a 32-bit offset from r2, the module's TOC.
  bool reachesOnlyWithinModule(uint32_t type) const override {
    switch (type) {
      case R_PPC64_TOC16: case R_PPC64_TOC16_LO: case R_PPC64_TOC16_HI: case R_PPC64_TOC16_HA:
      case R_PPC64_TOC16_DS: case R_PPC64_TOC16_LO_DS:
        return true;
    }
    return false;
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

  bool isSuppliedToEveryModule(std::string_view name) const override {
    if (name == ".TOC.") return true;
    return isSaveRestoreHelper(name);
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
  // The alternative instructions of CPU/MMU/firmware feature sections (asm/feature-fixups.h:
  // one __ftr_alt_<label> section per site), which the fixup entries point at.
  bool isAlternativeCode(std::string_view name) const override { return name.starts_with("__ftr_alt_"); }
  bool isReadOnlyDataSection(std::string_view name) const override { return name.starts_with(".toc"); }
  // One 64-bit address per .toc entry (-mcmodel=large), each with its own ADDR64
  // relocation; code reaches an entry as `.toc+offset` through TOC16 relocations.
  unsigned addressTableEntrySize(std::string_view name) const override { return name == ".toc" ? 8 : 0; }

  // ELFv2 passes the first eight doublewords of arguments in r3-r10 (floating point ones in
  // f1-f13, each still using up a doubleword position); an aggregate takes as many
  // doublewords as its size, starting at an even one when it is quadword aligned, and
  // whatever lies beyond the eighth doubleword is read by the callee from the parameter save
  // area of its caller's frame, at a fixed offset from r1 (32 bytes + 8 per doubleword). A
  // variadic function always reads its arguments from that area (va_arg walks it), so it
  // counts as receiving them on the stack.
  //
  // Livepatch reaches the new function from the old one's ftrace entry. If that path opens a
  // stack frame of its own before branching to the new function (the first ppc64le
  // livepatch support did: a mini frame for a TOC-restoring return helper), r1 no longer
  // points at the caller's frame and the new function reads its stack arguments from the
  // wrong place. Kernels whose handler keeps the saved TOC and return address on a separate
  // per-thread livepatch stack (thread_info->livepatch_sp) leave r1 alone and are safe.
  bool hasStackArgumentRule() const override { return true; }
  StackArguments checkStackArguments(std::span<const Parameter> params, bool variadic,
                                     const std::string& kernelSourceDir) const override {
    unsigned doublewords = 0;
    for (const Parameter& p : params) {
      unsigned n = p.size == 0 ? 1 : static_cast<unsigned>((p.size + 7) / 8);
      if (p.align >= 16 && (doublewords & 1)) ++doublewords;
      doublewords += n;
    }
    StackArguments r;
    if (!variadic && doublewords <= 8) return r;
    r.onStack = true;
    std::string how = variadic ? "it is variadic (va_arg reads the caller's parameter save area)"
                               : fmt::format("its arguments take {} doublewords, {} more than r3-r10 hold",
                                             doublewords, doublewords - 8);
    switch (livepatchEntryOf(kernelSourceDir)) {
      case LivepatchEntry::SeparateStack:
        r.reason = how + "; this kernel's livepatch handler keeps its state on the separate livepatch stack "
                         "(thread_info->livepatch_sp), so the caller's frame stays where the function expects it";
        break;
      case LivepatchEntry::AddsFrame:
        r.safe = false;
        r.reason = how + "; this kernel's livepatch entry opens a stack frame before calling the new function, "
                         "so the replacement would read its stack arguments from the wrong place. Patch the "
                         "callers instead, or change the function to take its arguments in registers (a struct "
                         "pointer) in a new function that the patched callers use";
        break;
      case LivepatchEntry::Unknown:
        r.safe = false;
        r.reason = how + "; no ppc64le livepatch handler that keeps a separate livepatch stack was found in " +
                   kernelSourceDir + "/arch/powerpc, so lp-build cannot show that the stack arguments stay "
                   "reachable. Patch the callers instead";
        break;
    }
    return r;
  }

 private:
  // _savegpr0_14 .. _restvr_31: the ELFv2 out-of-line save/restore helpers, by register
  // class, each with the first register it saves (GPRs and FPRs from 14, VRs from 20).
  static bool isSaveRestoreHelper(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, unsigned>, 8> kHelpers{{
        {"_savegpr0_", 14}, {"_restgpr0_", 14}, {"_savegpr1_", 14}, {"_restgpr1_", 14},
        {"_savefpr_", 14},  {"_restfpr_", 14},  {"_savevr_", 20},   {"_restvr_", 20},
    }};
    for (auto [prefix, first] : kHelpers) {
      if (!name.starts_with(prefix)) continue;
      std::string_view reg = name.substr(prefix.size());
      unsigned n = 0;
      auto [end, ec] = std::from_chars(reg.data(), reg.data() + reg.size(), n);
      return ec == std::errc() && end == reg.data() + reg.size() && reg.size() <= 2 && n >= first && n <= 31;
    }
    return false;
  }

  enum class LivepatchEntry { SeparateStack, AddsFrame, Unknown };
  // Reads the ppc64 ftrace entry code of the kernel source (its place moved over the years:
  // entry_64.S, then trace/ftrace_64_mprofile.S, now trace/ftrace_entry.S).
  static LivepatchEntry livepatchEntryOf(const std::string& src) {
    static std::mutex lock;
    static std::map<std::string, LivepatchEntry> cache;
    std::lock_guard<std::mutex> g(lock);
    auto it = cache.find(src);
    if (it != cache.end()) return it->second;
    LivepatchEntry found = LivepatchEntry::Unknown;
    for (const char* f : {"arch/powerpc/kernel/trace/ftrace_entry.S", "arch/powerpc/kernel/trace/ftrace_64_mprofile.S",
                          "arch/powerpc/kernel/entry_64.S"}) {
      std::ifstream in(src + "/" + f);
      if (!in) continue;
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      bool handler = text.find("livepatch_handler") != std::string::npos ||
                     text.find("klp_return_helper") != std::string::npos;
      if (!handler) continue;
      // The separate stack: the handler pushes onto TI_livepatch_sp instead of r1.
      found = text.find("livepatch_sp") != std::string::npos ? LivepatchEntry::SeparateStack : LivepatchEntry::AddsFrame;
      break;
    }
    cache[src] = found;
    return found;
  }
};

}  // namespace

const Target& ppc64leTarget() {
  static const PPC64le t;
  return t;
}

}  // namespace lpb::arch
