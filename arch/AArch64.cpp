// aarch64: the 64-bit Arm procedure call standard (AAPCS64), as the Linux kernel uses it.
//
// Instructions are 4 bytes, little-endian. Relocation addends are exact byte offsets (no
// PC bias). Calls are `bl` (R_AARCH64_CALL26) and tail calls `b` (R_AARCH64_JUMP26), both
// reaching +/-128 MiB: a module far from the kernel image reaches kernel text through PLT
// entries that the module loader reserves by counting CALL26/JUMP26 relocations, the
// livepatch ones (.klp.rela.*) included. There is no TOC, so tail calls out of a module
// are fine.
//
// ftrace uses -fpatchable-function-entry: two nops at the function entry (with
// CALL_OPS, two more before the symbol), listed in __patchable_function_entries. Old
// kernels used -pg (`bl _mcount`). A __LINE__ travels as `mov wN,#imm` (MOVZ).
#include <elf.h>

#include <array>

#include "arch/Target.h"

namespace lpb::arch {
namespace {

using SS = SpecialSection;
constexpr std::array<SS, 4> kSpecial{{
    {"__bug_table", EntryKind::Bug, 12},
    {"__ex_table", EntryKind::Ex, 12},
    {"__jump_table", EntryKind::Jump, 16},
    {".altinstructions", EntryKind::Alt, 12},
}};

constexpr std::array<std::string_view, 1> kProfiling{"_mcount"};

class AArch64 final : public Target {
 public:
  std::string_view name() const override { return "aarch64"; }
  std::string_view kbuildArch() const override { return "arm64"; }
  std::span<const std::string_view> notKernelDirectories() const override {
    static constexpr std::array<std::string_view, 3> dirs{"boot/", "kernel/vdso/", "kernel/vdso32/"};
    return dirs;
  }
  uint16_t machine() const override { return EM_AARCH64; }
  // QEMU's generic virt board; its UART is a PL011 (ttyAMA0). `-cpu max` has every
  // extension the kernel may use; the board hands the kernel a KASLR seed.
  const QemuMachine* qemuMachine() const override {
    static constexpr QemuMachine m{"qemu-system-aarch64", "-M virt -cpu max -m 1024", "ttyAMA0",
                                   "arch/arm64/boot/Image", "arm64"};
    return &m;
  }

  bool isBranchReloc(uint32_t type) const override {
    return type == R_AARCH64_CALL26 || type == R_AARCH64_JUMP26;
  }

  std::span<const std::string_view> profilingCallNames() const override { return kProfiling; }
  std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const override {
    return {static_cast<int64_t>(fn.value) - 16, static_cast<int64_t>(fn.value) + 16};
  }
  std::string_view ftraceEntryDescription() const override {
    return "patchable-function-entry nops at function entry, listed in __patchable_function_entries";
  }

  std::optional<std::vector<Insn>> decode(const elf::ElfObject&, const elf::Section& code) const override {
    return fixedWidth(code, 4);
  }

  bool isLineNumberLoadPair(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t) const override {
    if (a.size() != 4 || b.size() != 4) return false;
    uint32_t x = wordLE(a), y = wordLE(b);
    auto isMovz = [](uint32_t i) { return (i & 0x7fe00000u) == 0x52800000u; };  // MOVZ W/X, hw=0
    unsigned rd = x & 31;
    return isMovz(x) && isMovz(y) && (x & 0xffe0001fu) == (y & 0xffe0001fu) && rd >= 1 && rd <= 7;
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
};

}  // namespace

const Target& aarch64Target() {
  static const AArch64 t;
  return t;
}

}  // namespace lpb::arch
