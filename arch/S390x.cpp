// s390x: the z/Architecture ELF ABI, as the Linux kernel uses it. Big-endian.
//
// Instructions are 2, 4 or 6 bytes; the top two bits of the first byte give the length.
// PC-relative operands (larl, brasl: R_390_PC32DBL / R_390_PLT32DBL) count halfwords from
// the START of the instruction while the 32-bit field sits two bytes into it, so the
// assembler adds 2 to the addend: the byte referred to is addend - 2.
//
// Kernels are built with -mfentry -mnop-mcount -mrecord-mcount: each function starts with
// a 6-byte `brcl 0,0` (jgnop) recorded in __mcount_loc, which ftrace turns into a branch
// (older compilers leave `brasl %r0,__fentry__`). There is no TOC: calls and tail calls
// out of a module need nothing special. A __LINE__ travels as `lghi`/`lhi rN,imm`.
#include <elf.h>

#include <array>

#include "arch/Target.h"

namespace lpb::arch {
namespace {

using SS = SpecialSection;
// Expoline site tables (CONFIG_EXPOLINE, GCC's -mindirect-branch-table): one 4-byte
// PC-relative offset per indirect branch, call or return that goes through a thunk. The
// module loader reads every `.s390_indirect*` and `.s390_return*` section of a module
// (module_finalize -> nospec_revert) to put plain branches back where expolines are off.
constexpr std::array<SS, 8> kSpecial{{
    {"__bug_table", EntryKind::Bug, 12},
    {"__ex_table", EntryKind::Ex, 12},
    {"__jump_table", EntryKind::Jump, 16},
    {".altinstructions", EntryKind::Alt, 13},  // s32 instr, s32 repl, u32 feature, u8 len: __packed
    {".s390_indirect_jump", EntryKind::None, 4},
    {".s390_indirect_call", EntryKind::None, 4},
    {".s390_return_reg", EntryKind::None, 4},
    {".s390_return_mem", EntryKind::None, 4},
}};

constexpr std::array<std::string_view, 2> kProfiling{"__fentry__", "_mcount"};

class S390x final : public Target {
 public:
  std::string_view name() const override { return "s390x"; }
  std::string_view kbuildArch() const override { return "s390"; }
  std::span<const std::string_view> notKernelDirectories() const override {
    static constexpr std::array<std::string_view, 4> dirs{"boot/", "kernel/vdso64/", "kernel/vdso32/", "purgatory/"};
    return dirs;
  }
  uint16_t machine() const override { return EM_S390; }
  // QEMU's paravirtual s390-ccw-virtio machine; the console is the service-call
  // processor's line-mode terminal (ttysclp0). `-cpu max` gives TCG's full facility list,
  // which the boot code checks against the machine level the kernel was built for
  // (an older CPU model ends in a disabled wait before any output).
  const QemuMachine* qemuMachine() const override {
    static constexpr QemuMachine m{"qemu-system-s390x", "-M s390-ccw-virtio -cpu max -m 1024", "ttysclp0",
                                   "arch/s390/boot/bzImage", "s390x"};
    return &m;
  }

  bool isBranchReloc(uint32_t type) const override { return type == R_390_PLT32DBL || type == R_390_PC32DBL; }

  int64_t referencedOffset(const elf::Section&, const elf::Reloc& r, InsnCache&) const override {
    if (r.type == R_390_PC32DBL || r.type == R_390_PLT32DBL || r.type == R_390_PC16DBL ||
        r.type == R_390_PLT16DBL)
      return r.addend - 2;
    return r.addend;
  }

  std::span<const std::string_view> profilingCallNames() const override { return kProfiling; }
  std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const override {
    return {static_cast<int64_t>(fn.value), static_cast<int64_t>(fn.value) + 6};
  }
  std::string_view ftraceEntryDescription() const override {
    return "a 6-byte `brcl 0,0` (jgnop) or `brasl %r0,__fentry__` at function entry, recorded in __mcount_loc";
  }

  std::optional<std::vector<Insn>> decode(const elf::ElfObject&, const elf::Section& code) const override {
    std::vector<Insn> out;
    uint64_t off = 0, n = code.data.size();
    while (off + 2 <= n) {
      unsigned top = code.data[off] >> 6;
      unsigned len = top == 0 ? 2 : top == 3 ? 6 : 4;
      if (off + len > n) return std::nullopt;
      out.push_back(Insn{off, len});
      off += len;
    }
    return out;
  }

  bool isLineNumberLoadPair(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t) const override {
    // RI format: A7 r1 op imm16 with op 8 (lhi) or 9 (lghi).
    if (a.size() != 4 || b.size() != 4) return false;
    bool li = a[0] == 0xa7 && ((a[1] & 0xf) == 8 || (a[1] & 0xf) == 9);
    unsigned r = a[1] >> 4;
    return li && b[0] == a[0] && b[1] == a[1] && r >= 3 && r <= 6;
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
};

}  // namespace

const Target& s390xTarget() {
  static const S390x t;
  return t;
}

}  // namespace lpb::arch
