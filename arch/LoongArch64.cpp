// loongarch64: the LoongArch LP64D ELF ABI, as the Linux kernel uses it. Little-endian.
//
// Instructions are 4 bytes. Addends are exact byte offsets: PC-relative addresses are
// built from `pcalau12i` (R_LARCH_PCALA_HI20) plus a low-12-bit add or load
// (R_LARCH_PCALA_LO12); calls are `bl` (R_LARCH_B26, +/-128 MiB) or, in the medium code
// model, `pcaddu18i + jirl` (R_LARCH_CALL36). R_LARCH_RELAX / R_LARCH_ALIGN annotate linker
// relaxation and carry no target. There is no TOC: tail calls out of a module are fine.
//
// ftrace uses -fpatchable-function-entry=2 (two nops at entry, listed in
// __patchable_function_entries); kernels built without it used -pg (`bl _mcount` after the
// prologue). A __LINE__ travels as `addi.w`/`ori rN,$zero,imm`, or `lu12i.w` + `ori` for
// lines past 2047.
#include <elf.h>

#include <array>

#include "arch/Target.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

namespace lpb::arch {
namespace {

constexpr uint32_t kRelocB26 = 66;
constexpr uint32_t kRelocCall36 = 110;

using SS = SpecialSection;
// ORC (since 6.9, written by objtool): `.orc_unwind_ip` holds a 4-byte PC-relative
// address per entry and `.orc_unwind` the parallel `struct orc_entry` (three s16 offsets
// and a 16-bit bitfield word; 8 bytes, not packed as on x86_64).
constexpr std::array<SS, 6> kSpecial{{
    {"__bug_table", EntryKind::Bug, 12},
    {"__ex_table", EntryKind::Ex, 12},
    {"__jump_table", EntryKind::Jump, 16},
    {".altinstructions", EntryKind::Alt, 12},
    {".orc_unwind_ip", EntryKind::None, 4},
    {".orc_unwind", EntryKind::Orc, 8, SS::Policy::ParallelTo, ".orc_unwind_ip"},
}};

constexpr std::array<std::string_view, 2> kProfiling{"_mcount", "mcount"};

class LoongArch64 final : public Target {
 public:
  std::string_view name() const override { return "loongarch64"; }
  std::string_view kbuildArch() const override { return "loongarch"; }
  std::span<const std::string_view> notKernelDirectories() const override {
    static constexpr std::array<std::string_view, 2> dirs{"boot/", "vdso/"};
    return dirs;
  }
  uint16_t machine() const override { return EM_LOONGARCH; }

  bool isBranchReloc(uint32_t type) const override { return type == kRelocB26 || type == kRelocCall36; }

  std::span<const std::string_view> profilingCallNames() const override { return kProfiling; }
  std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const override {
    // -pg puts `bl _mcount` after the prologue's register saves.
    return {static_cast<int64_t>(fn.value) - 8, static_cast<int64_t>(fn.value) + 64};
  }
  std::string_view ftraceEntryDescription() const override {
    return "patchable-function-entry nops at entry (or `bl _mcount` from -pg)";
  }

  std::optional<std::vector<Insn>> decode(const elf::ElfObject&, const elf::Section& code) const override {
    return fixedWidth(code, 4);
  }

  bool isLineNumberLoadPair(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t) const override {
    if (a.size() != 4 || b.size() != 4) return false;
    uint32_t x = wordLE(a), y = wordLE(b);
    unsigned rd = x & 31, rj = (x >> 5) & 31;
    if (rd != (y & 31) || rd < 5 || rd > 11) return false;  // $a1..$a7
    bool addiw = (x >> 22) == 0x00a && rj == 0, ori = (x >> 22) == 0x00e && (rj == 0 || rj == rd);
    bool lu12i = (x >> 25) == 0x0a;
    if (addiw || ori) return (x >> 22) == (y >> 22) && ((x >> 5) & 31) == ((y >> 5) & 31);
    return lu12i && (y >> 25) == 0x0a;
  }

  std::span<const SpecialSection> specialSections() const override { return kSpecial; }
};

}  // namespace

const Target& loongarch64Target() {
  static const LoongArch64 t;
  return t;
}

}  // namespace lpb::arch
