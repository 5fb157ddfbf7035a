// The object differ: given one compilation unit built twice (original and patched, both
// with -ffunction-sections -fdata-sections), find exactly what changed, refuse what cannot
// be live-patched (with a reason), and describe the object that holds only what the patch
// module needs. `diffObjects` decides; `writeDiffObject` writes the decision out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "arch/Target.h"
#include "elfgen/ElfObject.h"

namespace lpb::differ {

struct DiffOptions {
  std::map<arch::EntryKind, unsigned> structSizes;  // --struct-size overrides
  const elf::ElfObject* symbols = nullptr;          // --symbols (for sympos); default ORIG
  std::string module;                               // --module: the object links into this module
  bool compareTypeLayouts = false;  // refuse struct/union layout and enum value changes (reads DWARF)
  // The running kernel's source tree, for the architecture's stack-argument rule (it reads
  // the kernel's livepatch entry code); empty: that rule is not checked.
  std::string kernelSourceDir;
};

enum class FunctionStatus { Changed, New, UnchangedButIncluded, Refused };
std::string_view functionStatusName(FunctionStatus s);

struct FunctionReport {
  std::string name;        // the original's name where the function has a twin
  FunctionStatus status = FunctionStatus::Changed;
  std::string reason;      // why it is included (or refused)
  bool patchTarget = false;  // the kernel redirects it (has a klp_func): changed, has an ftrace entry
  std::string parent;        // for .cold/.part children: the function they belong to
  uint32_t sympos = 0;       // patch targets: position among same-named symbols (klp old_sympos)
};

struct Refusal {
  std::string rule;  // stable id: changed-data, no-ftrace-entry, ...
  std::string name;  // the function, object or section
  std::string reason;
};

// A reference from the patch to something it does not contain, with what the later
// klp-relocation stage needs to find it in the running kernel.
struct ExternalSymbol {
  std::string name;
  bool wasLocal = false;   // a static in the original: needs a klp relocation
  uint8_t type = 0;        // STT_*
  uint32_t sympos = 0;     // position among same-named locals (kallsyms order); 0: unique/global
};

enum class Verdict { Patchable, Refused, NoChange };
// "ok", "refused", "nochange": the names every command's report uses for a verdict.
std::string_view verdictName(Verdict v);

class Differ;

struct DiffResult {
  Verdict verdict = Verdict::NoChange;
  std::string arch;
  std::vector<FunctionReport> functions;
  std::vector<Refusal> refusals;
  std::vector<ExternalSymbol> externals;
  std::vector<std::string> warnings;
  // Allocated sections of the patched object that no table classifies (SectionKind::Unknown).
  // They are harmless while unchanged; a change to one is refused. Reported so that tests on
  // real kernel objects can insist every section the kernel's flags produce is known.
  std::vector<std::string> unknownSections;
  // Livepatch callbacks the patched unit declares: kind (pre_patch, post_patch,
  // pre_unpatch, post_unpatch) and function name.
  std::vector<std::pair<std::string, std::string>> callbacks;
  std::shared_ptr<Differ> state;  // what writeDiffObject needs (the decisions, by section and symbol)
};

// Throws elf::InputError for bad input (mismatched architectures, bad entry sizes...).
// The result owns its decisions and a copy of `opts`; it refers to `orig` and `patched`,
// which must outlive it (pipeline::UnitDiff keeps the three together).
DiffResult diffObjects(const elf::ElfObject& orig, const elf::ElfObject& patched, const DiffOptions& opts);

// How the module stage wants the patch object's outside references and entry points named.
struct EmitOptions {
  // External reference name -> name in the output (".klp.sym.vmlinux.foo,2"); such
  // references are emitted weak, so that modpost does not look for them among exports.
  std::map<std::string, std::string> externalNames;
  // Non-empty: every patch target and callback function also gets a global alias
  // `<prefix><name>` the module's metadata can refer to (statics of different units may
  // share a name).
  std::string aliasPrefix;
  // Write the `.lp_build.symbols` table (for users of `lp-build diff`; a module built by
  // lp-build has its references already named and must not carry unallocated sections).
  bool symbolTable = true;
};

// The alias EmitOptions::aliasPrefix gives `name`: a C identifier (".constprop.0" -> "_constprop_0").
std::string aliasName(const std::string& prefix, const std::string& name);

// Writes the patch object for a Patchable result (atomically).
void writeDiffObject(const DiffResult& result, const std::string& path, const EmitOptions& emit = {});

}  // namespace lpb::differ
