// Pre-flight: can a candidate fix be live-patched as it is, and if not, what stands in the
// way and what to do instead? `check` answers from the source, without building: each unit
// the patches touch is parsed with Clang (lpb-unit-model, preflight/clang/) original and
// patched, with the kernel's own flags for that unit, and the two descriptions are compared
// entity by entity (functions, data, types, enums, macros). Rules (Rules.cpp) turn each
// difference into a finding: ok, warn or refuse, with a stable rule id, why, and what to do
// instead. `deep` also compiles the units and runs the object differ, and reports where the
// object-level verdict disagrees.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "differ/Differ.h"
#include "kbuild/KernelTree.h"

namespace lpb::preflight {

enum class Verdict { Ok, Warn, Refuse };
std::string_view verdictName(Verdict v);

struct Finding {
  std::string file;    // source-relative
  unsigned line = 0;   // in the patched file (the original one for removed entities)
  std::string entity;  // "cmdline_proc_show", "struct foo", "FOO()" for macros
  std::string rule;    // stable id (docs/ARCHITECTURE.md, "Pre-flight rules")
  Verdict verdict = Verdict::Ok;
  std::string why, instead;
  std::vector<std::string> changesWith;  // functions whose object code changes with this one
};

// One hunk of the patch and the declarations it touches.
struct Hunk {
  std::string file;
  unsigned oldStart = 0, oldLines = 0, newStart = 0, newLines = 0;
  std::vector<std::string> entities;
};

struct UnitTime {
  std::string unit;   // object path, "fs/proc/cmdline.o"
  double seconds = 0; // both parses (they run in parallel)
};

// --deep: one unit's object-level verdict.
struct DeepUnit {
  struct Refusal {
    std::string rule, name, reason;
  };
  std::string unit;                  // object path
  differ::Verdict verdict = differ::Verdict::NoChange;  // the differ's
  std::vector<Refusal> refusals;
  std::vector<std::string> changed;  // changed and new functions at object level
};

struct CheckOptions {
  std::vector<std::string> patches;
  kbuild::TreeOptions tree;
  std::string arch;         // --arch: the target for architecture rules (default: the tree's)
  bool deep = false;
  std::string helper;       // lpb-unit-model (default: beside the running executable)
  std::string workRoot;     // lp-build's work root (cli::workRoot): the run's shadow tree and objects go below
  // --deep compiles as `lp-build build` does: with lp-build's headers (<dataDir>/include),
  // the original-object cache and the kernel profile under cacheRoot ("": no cache, and the
  // profile is read again).
  std::string dataDir, cacheRoot;
};

struct CheckReport {
  std::string arch;
  std::vector<Finding> findings;
  std::vector<Hunk> hunks;
  std::vector<UnitTime> units;
  double treeSeconds = 0;             // opening and indexing the kernel tree, creating the shadow
  std::vector<std::string> deepNotes; // --deep: where the object-level verdict differs
  std::vector<DeepUnit> deepUnits;    // --deep: each unit's object-level verdict
  bool deepRan = false;
  bool refused() const;               // by a finding, or (--deep) at object level
  nlohmann::json toJson() const;
};

// Throws elf::InputError("FILE: problem") for bad input: a patch that does not read or
// apply, a file that is not in the tree or not built, a unit that does not parse.
CheckReport check(const CheckOptions& opts);

}  // namespace lpb::preflight
