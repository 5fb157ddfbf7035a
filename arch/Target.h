// What the rest of lp-build asks an architecture. One subclass per architecture lives in
// its own file (X86_64.cpp, PPC64.cpp, AArch64.cpp, S390x.cpp, LoongArch64.cpp), which opens
// with a plain-language account of the ABI facts it encodes. Nothing outside arch/ tests the
// machine type: it asks the Target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elfgen/DwarfTypes.h"
#include "elfgen/ElfObject.h"

namespace lpb::arch {

// A kind of special section entry whose size is a kernel struct size (`--struct-size KIND=N`).
enum class EntryKind { Bug, Ex, Jump, Alt, Orc, Para, StaticCall, PrintkIndex, Fixup, None };
std::optional<EntryKind> entryKindFromName(std::string_view name);
std::string_view entryKindName(EntryKind k);
// Every kind's name, space-separated, for help texts and errors ("bug ex alt ...").
std::string entryKindNames();
// The kernel struct whose size an entry of `kind` has ("bug_entry", "jump_entry", ...), as
// vmlinux's DWARF names it; empty for None.
std::string_view entryStructName(EntryKind k);

// How the differ treats one special section.
struct SpecialSection {
  std::string_view name;
  EntryKind kind = EntryKind::None;  // struct-sized entries; None: fixed `entrySize`
  // Used when kind is None, or as the 6.12 default for `kind`. 0: the entries are the
  // object symbols defined in the section.
  unsigned entrySize = 0;
  // Entries of this section are kept when they refer to included code. Sections whose
  // entries point at code but which the kernel recomputes or never needs are dropped.
  enum class Policy {
    KeepEntriesOfIncludedCode,  // filter entry by entry (bug table, jump table, ...)
    KeepEntriesReferencedByIncludedCode,  // entries are objects that included code uses (__dyndbg)
    ParallelTo,                 // one entry per entry of `parallelTo`, filtered in lockstep (.orc_unwind)
    Drop,                       // metadata the patch module must not carry
  } policy = Policy::KeepEntriesOfIncludedCode;
  std::string_view parallelTo = {};  // for Policy::ParallelTo: the section whose entries lead
};

// Does an entry of `kind` end with a pointer to a static key or static call (jump_entry
// {code, target, key}, static_call_site {addr, key})? Those keys may belong to a module.
bool entryEndsWithKey(EntryKind kind);

// One instruction's position in a code section.
struct Insn {
  uint64_t offset = 0;
  unsigned length = 0;
};

// Decoded instructions of code sections, cached by the caller (decoding is not free).
class InsnCache {
 public:
  virtual ~InsnCache() = default;
  // nullptr when the section cannot be decoded.
  virtual const std::vector<Insn>* get(const elf::Section& code) = 0;
};

// A QEMU machine a test kernel of the architecture boots in, with its console, the image
// kbuild leaves in an O= tree, and the Debian architecture whose busybox-static runs in it
// (scripts/kernel/fetch-busybox.sh).
struct QemuMachine {
  std::string_view system;       // qemu-system-x86_64
  std::string_view options;      // "-m 512"
  std::string_view console;      // ttyS0
  std::string_view image;        // arch/x86/boot/bzImage, relative to the object directory
  std::string_view debianArch;   // amd64
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string_view name() const = 0;       // "x86_64", "ppc64le", ...
  virtual uint16_t machine() const = 0;            // EM_*
  // The ARCH= name kbuild knows the target by ("x86", "powerpc", "arm64", "s390", "loongarch").
  virtual std::string_view kbuildArch() const = 0;
  // Whether an object of this machine is one this target handles (byte order, ABI).
  virtual bool accepts(const elf::ElfIdentity&) const { return true; }
  // How `lp-build --verify` boots a kernel of this architecture under QEMU (TCG), through
  // scripts/kernel/qemu-run.sh; nullptr when no machine is known to boot.
  virtual const QemuMachine* qemuMachine() const { return nullptr; }
  bool bootsInQemu() const { return qemuMachine() != nullptr; }

  // Compiler flags added to a unit that kbuild links into vmlinux when lp-build compiles it
  // for the patch module: the code model kbuild gives module objects, where it differs from
  // vmlinux's (ppc64le: -mcmodel=large). Both the original and the patched build get them,
  // so the differ still compares like with like.
  virtual std::span<const std::string_view> moduleCodeModelFlags() const { return {}; }

  // --- relocations ---
  // The byte offset, within the referenced symbol's section, that relocation `r` (placed in
  // section `in`) refers to: the addend corrected for the architecture's PC bias.
  virtual int64_t referencedOffset(const elf::Section& in, const elf::Reloc& r, InsnCache& code) const;
  // Can a relocation of this type reach only what lies in the same module (ppc64le: an
  // offset from the module's own TOC pointer)? Against a symbol of vmlinux or another
  // module it could not be resolved; the differ refuses it.
  virtual bool reachesOnlyWithinModule(uint32_t) const { return false; }
  // Is this relocation a direct call or branch (the way a function calls another)?
  virtual bool isBranchReloc(uint32_t type) const = 0;

  // --- ftrace ---
  // Names of the profiling-call symbols a function entry may call (__fentry__, _mcount...).
  virtual std::span<const std::string_view> profilingCallNames() const = 0;
  // Where the ftrace location of `fn` must lie, as [begin, end) offsets in its section.
  virtual std::pair<int64_t, int64_t> ftraceWindow(const elf::Symbol& fn) const = 0;
  // A one-line description of the expected ftrace entry, for refusals.
  virtual std::string_view ftraceEntryDescription() const = 0;
  // Sections that list each function's ftrace location, one pointer per function:
  // __mcount_loc (recordmcount/objtool, -mrecord-mcount) and __patchable_function_entries
  // (-fpatchable-function-entry). Both by default; either may occur on most architectures.
  virtual std::span<const std::string_view> ftraceLocationSections() const;

  // --- code inspection ---
  // Splits code into instructions; nullopt if it cannot be decoded.
  virtual std::optional<std::vector<Insn>> decode(const elf::ElfObject& obj,
                                                  const elf::Section& code) const = 0;
  // Do two instructions of the same length differ only in an immediate that loads a
  // source line number into an argument register (the __LINE__ of WARN/might_sleep/printk)?
  virtual bool isLineNumberLoadPair(std::span<const uint8_t> orig, std::span<const uint8_t> patched,
                                    uint8_t byteOrder) const = 0;
  // Architecture-specific refusals for a changed or new function that will be included
  // (e.g. ppc64le sibling calls leaving the module). Each string is one reason.
  struct CallOut {
    uint64_t offset;       // of the relocation in the function's section
    uint32_t type;
    bool targetIncluded;   // lands in code that the patch module will contain
    std::string_view targetName;
  };
  struct Refusal {
    std::string rule;    // stable id, e.g. "ppc64-sibling-call"
    std::string reason;
  };
  virtual std::vector<Refusal> checkCallsOut(const elf::ElfObject& obj, const elf::Section& fnSection,
                                                 const elf::Symbol& fn,
                                                 std::span<const CallOut> calls) const;

  // Must the function called by this relocation be in the patch module too? (ppc64le: a
  // local call has no nop after it for the TOC restore a call back into the kernel needs.)
  virtual bool callMustStayLocal(const elf::Section& code, const elf::Reloc& r) const;

  // Is `name` a symbol that every module gets from its own link or from the module loader,
  // never from vmlinux? (ppc64le: `.TOC.`, and GCC's out-of-line register save/restore
  // helpers.) The differ leaves such references undefined for kbuild and the loader, and a
  // branch to one stays inside the patch module.
  virtual bool isSuppliedToEveryModule(std::string_view) const { return false; }

  // Directories under arch/<kbuildArch>/ whose objects kbuild compiles but links into
  // neither vmlinux nor a module: the boot stub, the vDSO, purgatory (relative to that
  // directory, each ending in '/'). A fix there cannot be live patched.
  virtual std::span<const std::string_view> notKernelDirectories() const { return {}; }

  // --- helpers for architectures with fixed-width, little-endian instructions ---
  static std::vector<Insn> fixedWidth(const elf::Section& code, unsigned width);
  static uint32_t wordLE(std::span<const uint8_t> bytes);

  // --- special sections ---
  // This architecture's own special sections; those every architecture shares
  // (__mcount_loc, __patchable_function_entries, __dyndbg, ...) are in the common table
  // (arch/Target.cpp), which findSpecial consults after this one.
  virtual std::span<const SpecialSection> specialSections() const = 0;
  // Sections of instructions that are not executed where they are but copied over other
  // code at boot or load (ppc64le's __ftr_alt_* feature alternatives, which are not even
  // executable). They come along whole when a kept special-section entry refers to them.
  virtual bool isAlternativeCode(std::string_view) const { return false; }
  // Sections of constants the architecture's code model adds beside .rodata (ppc64le's
  // .toc: the addresses code loads through r2). Read-only data to the differ.
  virtual bool isReadOnlyDataSection(std::string_view) const { return false; }
  // For a table of addresses that code loads through (ppc64le's .toc, 8 bytes an entry):
  // its entry size, so that the patch keeps only the entries included code uses. 0: the
  // section is not such a table and comes along whole when anything in it is used.
  virtual unsigned addressTableEntrySize(std::string_view) const { return 0; }
  // Sections listing instructions the kernel rewrites at boot, in vmlinux only: code they
  // list cannot run from a module. By default the runtime constants (runtime_const_ptr(),
  // runtime_const_shift_right_32(), since 6.11 on x86_64 and arm64, later elsewhere), whose
  // sites go to runtime_ptr_<sym>/runtime_shift_<sym> (asm-generic/vmlinux.lds.h).
  virtual bool isRuntimeConstantSection(std::string_view name) const {
    return name.starts_with("runtime_ptr_") || name.starts_with("runtime_shift_");
  }
  // Symbols the compiler puts in front of a function, in its section, that belong to it
  // (x86_64's __pfx_ padding and __cfi_ type hash before each function's entry).
  virtual bool isFunctionPrefixSymbol(std::string_view) const { return false; }
  // The architecture's entry for a section name, else the common one, else nullptr.
  const SpecialSection* findSpecial(std::string_view sectionName) const;
  // Default struct size for `kind` on this architecture's 6.12 kernels (0 if unknown).
  unsigned defaultEntrySize(EntryKind kind) const;

  // --- pre-flight (source level) ---
  // One parameter of a function as the calling convention sees it (the pre-flight checker
  // reads it from the source, the differ from the object's DWARF).
  using Parameter = elf::ParameterLayout;
  // Does checkStackArguments have anything to say on this architecture?
  virtual bool hasStackArgumentRule() const { return false; }
  struct StackArguments {
    bool onStack = false;  // the function receives some arguments in its caller's frame
    bool safe = true;      // the kernel's livepatch entry leaves that frame where the function expects it
    std::string reason;    // why, for the report (empty when !onStack)
  };
  // Would a replacement of this function read arguments from the stack, and does the
  // target kernel's livepatch entry (read from its source tree) keep them reachable?
  virtual StackArguments checkStackArguments(std::span<const Parameter> params, bool variadic,
                                             const std::string& kernelSourceDir) const;
};

// Every target lp-build has, in the order `lp-build targets` lists them.
std::span<const Target* const> allTargets();
// The target for an object's e_machine (and e_flags, which tell ppc64 ABI versions apart);
// nullptr if lp-build does not support the architecture.
const Target* targetFor(const elf::ElfIdentity& id);
inline const Target* targetFor(const elf::ElfObject& obj) { return targetFor(obj.identity()); }
// The target called `name` ("x86_64", "ppc64le", ...), or nullptr.
const Target* targetNamed(std::string_view name);
// Is `object` (a path relative to a kernel tree, "arch/x86/boot/cpu.o") in one of the
// notKernelDirectories of the architecture whose arch/ directory it is under?
bool isInArchNotKernelDirectory(std::string_view object);

}  // namespace lpb::arch
