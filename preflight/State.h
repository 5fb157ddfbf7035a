// What the pre-flight stages share: the tree, the touched files, each unit's two models.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "arch/Target.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Patch.h"
#include "preflight/Check.h"

namespace lpb::preflight {

// One parsed unit: the model of the original and of the patched source.
struct ParsedUnit {
  kbuild::Unit unit;
  nlohmann::json orig, patched;
};

struct State {
  State(const kbuild::KernelTree& t, const CheckOptions& o) : tree(t), opts(o) {}
  const kbuild::KernelTree& tree;
  const CheckOptions& opts;
  const arch::Target* target = nullptr;
  std::string shadowRoot;
  std::vector<std::string> touched;          // source-relative; a model's "file" indexes this
  std::vector<ParsedUnit> units;
  std::map<std::string, size_t> unitOfFile;  // touched file -> the unit whose models describe it
  std::set<std::string> notBuilt;            // touched .c files this configuration does not build
  std::vector<Finding> findings;

  // Functions defined in vmlinux, from System.map (loaded on first use).
  bool inVmlinux(const std::string& symbol);
  std::set<std::string> vmlinuxSymbols;
  bool vmlinuxLoaded = false;
};

// The rules: compare every touched file's entities, original against patched (Rules.cpp).
void applyRules(State& s);

// --deep: compile and diff the units, and note where the object level disagrees (Deep.cpp).
void runDeep(State& s, const kbuild::ShadowTree& shadow, const std::string& work, CheckReport& report);

}  // namespace lpb::preflight
