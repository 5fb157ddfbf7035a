// x86-64: the System V AMD64 ABI as the Linux kernel uses it.
//
// Code is variable length, so finding the instruction that holds a relocation needs a real
// decoder (Zydis, in its minimal mode: lengths only). A RIP-relative operand is a 32-bit displacement measured from the END
// of the instruction, and the assembler folds that distance into the addend: `lea
// .LC0(%rip),%rdi` gets addend -4, but `movl $1, var(%rip)` gets -8 because four bytes of
// immediate follow the displacement. The byte a relocation refers to is therefore
// addend + (instruction end - relocation offset), which only decoding can tell.
//
// Kernel functions are compiled with `-pg -mfentry`: the first instruction (after an
// `endbr64` when IBT is on) is `call __fentry__`, which objtool or recordmcount turns into a
// 5-byte nop and records in __mcount_loc. ftrace patches that site to redirect the function;
// without it (notrace, noinstr) a function cannot be livepatched. With CONFIG_CALL_PADDING
// the compiler also emits 16 bytes of padding before each function, named `__pfx_<name>`
// by objtool; it travels with its function.
//
// The kernel passes a __LINE__ as a 32-bit immediate moved into an argument register
// (`mov $0x123,%esi` for __might_sleep(file, line)); WARN/BUG keep theirs in __bug_table.
#include <Zydis/Zydis.h>
#include <elf.h>

#include <algorithm>
#include <array>

#include "arch/Target.h"

namespace lpb::arch {
namespace {

using SS = SpecialSection;
constexpr std::array<SS, 14> kSpecial{{
    {"__bug_table", EntryKind::Bug, 12},
    {"__ex_table", EntryKind::Ex, 12},
    {"__jump_table", EntryKind::Jump, 16},
    {".altinstructions", EntryKind::Alt, 14},
    {".parainstructions", EntryKind::Para, 16},
    {".smp_locks", EntryKind::None, 4},
    {".orc_unwind_ip", EntryKind::None, 4},
    {".orc_unwind", EntryKind::Orc, 6, SS::Policy::ParallelTo, ".orc_unwind_ip"},
    {".call_sites", EntryKind::None, 4},
    {".retpoline_sites", EntryKind::None, 4},
    {".return_sites", EntryKind::None, 4},
    // The module loader would seal (turn into nops) the ENDBR of functions listed here; a
    // livepatch module must not do that to code it did not decide about.
    {".ibt_endbr_seal", EntryKind::None, 4, SS::Policy::Drop},
    {".cfi_sites", EntryKind::None, 4, SS::Policy::Drop},
    {".kcfi_traps", EntryKind::None, 4},
}};

constexpr std::array<std::string_view, 2> kProfiling{"__fentry__", "mcount"};

class X86_64 final : public Target {
 public:
  std::string_view name() const override { return "x86_64"; }
  std::string_view kbuildArch() const override { return "x86"; }
  // -fpatchable-function-entry=N,N (CALL_PADDING) puts N bytes of padding before every
  // function, named __pfx_<fn>; kCFI puts the type hash there as __cfi_<fn>.
  bool isFunctionPrefixSymbol(std::string_view name) const override {
    return name.starts_with("__pfx_") || name.starts_with("__cfi_");
  }
  std::span<const std::string_view> notKernelDirectories() const override {
    static constexpr std::array<std::string_view, 4> dirs{"boot/", "entry/vdso/", "realmode/", "purgatory/"};
    return dirs;
  }
  uint16_t machine() const override { return EM_X86_64; }
  const QemuMachine* qemuMachine() const override {
    static constexpr QemuMachine m{"qemu-system-x86_64", "-m 512", "ttyS0", "arch/x86/boot/bzImage", "amd64"};
    return &m;
  }

  bool isBranchReloc(uint32_t type) const override {
    return type == R_X86_64_PLT32 || type == R_X86_64_PC32;
  }

  int64_t referencedOffset(const elf::Section& in, const elf::Reloc& r, InsnCache& code) const override {
    bool pcrel = r.type == R_X86_64_PC32 || r.type == R_X86_64_PLT32 || r.type == R_X86_64_GOTPCREL ||
                 r.type == R_X86_64_GOTPCRELX || r.type == R_X86_64_REX_GOTPCRELX;
    if (!pcrel || !in.isExec()) return r.addend;  // data: the addend is the offset itself
    if (const auto* insns = code.get(in)) {
      auto it = std::upper_bound(insns->begin(), insns->end(), r.offset,
                                 [](uint64_t off, const Insn& i) { return off < i.offset + i.length; });
      if (it != insns->end() && r.offset >= it->offset)
        return r.addend + static_cast<int64_t>(it->offset + it->length - r.offset);
    }
    return r.addend + 4;  // undecodable: assume nothing follows the displacement
  }

  std::span<const std::string_view> profilingCallNames() const override { return kProfiling; }

  std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const override {
    // endbr64 (4 bytes) may precede the 5-byte call/nop.
    return {static_cast<int64_t>(fn.value), static_cast<int64_t>(fn.value) + 9};
  }
  std::string_view ftraceEntryDescription() const override {
    return "a `call __fentry__` (or its nop) at function entry, recorded in __mcount_loc";
  }

  std::optional<std::vector<Insn>> decode(const elf::ElfObject&, const elf::Section& code) const override {
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE);
    std::vector<Insn> out;
    out.reserve(code.data.size() / 4);
    ZydisDecodedInstruction insn;
    ZydisDecoderContext ctx;
    for (uint64_t off = 0; off < code.data.size();) {
      if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&dec, &ctx, code.data.data() + off, code.data.size() - off, &insn)))
        return std::nullopt;  // not code all the way through
      out.push_back(Insn{off, insn.length});
      off += insn.length;
    }
    return out;
  }

  bool isLineNumberLoadPair(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t) const override {
    // mov $imm32, %r32: opcode B8+r, optionally REX.B (0x41) for r8d..r15d. The line goes in
    // an argument register other than the first (edi): ecx, edx, esi, r8d, r9d.
    auto regOf = [](std::span<const uint8_t> x) -> int {
      if (x.size() == 5 && x[0] >= 0xb8 && x[0] <= 0xbf) return x[0] - 0xb8;
      if (x.size() == 6 && x[0] == 0x41 && x[1] >= 0xb8 && x[1] <= 0xbf) return 8 + x[1] - 0xb8;
      return -1;
    };
    int ra = regOf(a);
    if (ra < 0 || ra != regOf(b)) return false;
    return ra == 1 || ra == 2 || ra == 6 || ra == 8 || ra == 9;
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
};

}  // namespace

const Target& x86_64Target() {
  static const X86_64 t;
  return t;
}

}  // namespace lpb::arch
