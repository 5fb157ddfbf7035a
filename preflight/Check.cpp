// Orchestration of `lp-build check`: tree, patches, shadow tree, the Clang parses (one
// lpb-unit-model process per parse, original and patched side by side), rules, report.
#include "preflight/Check.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/Files.h"
#include "kbuild/Patch.h"
#include "preflight/Model.h"
#include "preflight/Scan.h"
#include "preflight/State.h"

extern char** environ;

namespace lpb::preflight {
namespace fs = std::filesystem;
using nlohmann::json;

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Ok: return "ok";
    case Verdict::Warn: return "warn";
    case Verdict::Refuse: return "refuse";
  }
  return "?";
}

bool CheckReport::refused() const {
  for (const auto& f : findings)
    if (f.verdict == Verdict::Refuse) return true;
  for (const auto& u : deepUnits)
    if (u.verdict == differ::Verdict::Refused) return true;
  return false;
}

json CheckReport::toJson() const {
  json j;
  j["arch"] = arch;
  j["verdict"] = refused() ? "refuse" : "ok";
  j["findings"] = json::array();
  for (const auto& f : findings)
    j["findings"].push_back({{"file", f.file},
                             {"line", f.line},
                             {"entity", f.entity},
                             {"rule", f.rule},
                             {"verdict", verdictName(f.verdict)},
                             {"why", f.why},
                             {"instead", f.instead},
                             {"changesWith", f.changesWith}});
  j["hunks"] = json::array();
  for (const auto& h : hunks)
    j["hunks"].push_back({{"file", h.file},
                          {"old", {h.oldStart, h.oldLines}},
                          {"new", {h.newStart, h.newLines}},
                          {"entities", h.entities}});
  j["units"] = json::array();
  for (const auto& u : units) j["units"].push_back({{"unit", u.unit}, {"seconds", u.seconds}});
  j["treeSeconds"] = treeSeconds;
  if (deepRan) {
    j["deep"]["notes"] = deepNotes;
    j["deep"]["units"] = json::array();
    for (const auto& u : deepUnits) {
      json refusals = json::array();
      for (const auto& r : u.refusals) refusals.push_back({{"rule", r.rule}, {"name", r.name}, {"reason", r.reason}});
      j["deep"]["units"].push_back(
          {{"unit", u.unit}, {"verdict", std::string(differ::verdictName(u.verdict))}, {"refusals", refusals}, {"changed", u.changed}});
    }
  }
  return j;
}

bool State::inVmlinux(const std::string& symbol) {
  if (!vmlinuxLoaded) {
    vmlinuxLoaded = true;
    std::string map = fs::path(tree.vmlinuxPath().empty() ? tree.objDir() + "/vmlinux" : tree.vmlinuxPath())
                          .parent_path() / "System.map";
    std::ifstream in(map);
    std::string addr, type, name;
    while (in >> addr >> type >> name) vmlinuxSymbols.insert(name);
  }
  return vmlinuxSymbols.count(symbol) > 0;
}

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Beside lp-build in a build tree; in an installation, bin/lp-build runs
// lib/lp-build/lpb-unit-model (CMakeLists.txt's install rules).
std::string defaultHelper() {
  std::error_code ec;
  fs::path bin = fs::path(kbuild::selfExecutable()).parent_path();
  fs::path beside = bin / "lpb-unit-model";
  if (fs::exists(beside, ec)) return beside.string();
  return (bin.parent_path() / "lib/lp-build/lpb-unit-model").string();
}

// Starts `argv` with stdout and stderr going to files; returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw elf::InputError(argv[0], "cannot run the Clang helper: " + std::string(strerror(rc)));
  return pid;
}

// A verdict needs both parses to have seen the unit's own file: a side with no
// declarations from it, where the other has some, was a parse of something else (the
// wrong file, an empty preprocessing) and would make every function look removed or new.
void checkBothSidesDescribed(const State& s, const kbuild::Unit& unit, const json& orig, const json& patched) {
  auto it = std::find(s.touched.begin(), s.touched.end(), unit.source);
  if (it == s.touched.end()) return;
  int idx = static_cast<int>(it - s.touched.begin());
  auto count = [&](const json& model) {
    size_t n = 0;
    for (const auto& e : model.value("entities", json::array())) n += e.value("file", -1) == idx;
    return n;
  };
  size_t before = count(orig), after = count(patched);
  if ((before == 0) != (after == 0))
    throw elf::InputError(unit.source, fmt::format("the {} parse found no declarations in it ({} in the {}); lp-build "
                                                   "cannot judge the patch from that",
                                                   before == 0 ? "original" : "patched", before ? before : after,
                                                   before == 0 ? "patched" : "original"));
}

// Parses one unit original and patched, in parallel.
ParsedUnit parseUnit(State& s, const kbuild::Unit& unit, const kbuild::ShadowTree& shadow, const std::string& work,
                     UnitTime& time) {
  auto start = std::chrono::steady_clock::now();
  kbuild::CompileCommand orig = s.tree.compileCommand(unit);
  kbuild::CompileCommand patched = shadow.patchedCommand(s.tree, orig);
  std::string helper = s.opts.helper.empty() ? defaultHelper() : s.opts.helper;
  std::string tag = unit.object;
  std::replace(tag.begin(), tag.end(), '/', '_');
  struct Run {
    std::string out, err;
    pid_t pid;
  };
  auto launch = [&](const kbuild::CompileCommand& c, const std::string& root, const std::string& side) {
    // The command's own directory: for a tree built in its source directory the patched
    // command runs in the shadow tree, where its relative source path is the patched file.
    std::vector<std::string> argv{helper, "--cwd", c.cwd.empty() ? s.tree.objDir() : c.cwd};
    for (const auto& f : s.touched) argv.insert(argv.end(), {"--interest", root + "/" + f});
    argv.push_back("--");
    // lp-build's headers are on the include path where the build puts them.
    std::vector<std::string> includes;
    if (!s.opts.dataDir.empty()) includes.push_back(kbuild::lpbIncludeDir(s.opts.dataDir));
    std::vector<std::string> compiler = kbuild::withIncludesBeforeCompile(c.compiler, includes);
    argv.insert(argv.end(), compiler.begin(), compiler.end());
    Run r{work + "/" + tag + "." + side + ".json", work + "/" + tag + "." + side + ".err", -1};
    r.pid = spawn(argv, r.out, r.err);
    return r;
  };
  Run runs[2] = {launch(orig, s.tree.sourceDir(), "orig"), launch(patched, s.shadowRoot, "patched")};
  json models[2];
  std::string failure;
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    waitpid(runs[i].pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string msg = readFile(runs[i].err);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      // Name files as the user knows them: the shadow tree stands for the patched source.
      for (size_t at; (at = msg.find(s.shadowRoot + "/")) != std::string::npos;) msg.erase(at, s.shadowRoot.size() + 1);
      for (size_t at; (at = msg.find(s.tree.sourceDir() + "/")) != std::string::npos;)
        msg.erase(at, s.tree.sourceDir().size() + 1);
      if (msg.empty()) msg = fmt::format("the Clang helper ended with status {}", status);
      if (failure.empty())
        failure = fmt::format("{} unit {} does not parse: {}", i == 0 ? "original" : "patched", unit.object, msg);
    }
  }
  if (!failure.empty()) throw elf::InputError(unit.source, failure);
  for (int i = 0; i < 2; ++i)
    models[i] = readModel(readFile(runs[i].out), fmt::format("{} ({} parse)", unit.source, i == 0 ? "original" : "patched"),
                          s.touched.size());
  checkBothSidesDescribed(s, unit, models[0], models[1]);
  time = {unit.object, secondsSince(start)};
  return {unit, std::move(models[0]), std::move(models[1])};
}

bool isHeader(const std::string& f) { return f.size() > 2 && f.compare(f.size() - 2, 2, ".h") == 0; }
bool isC(const std::string& f) { return f.size() > 2 && f.compare(f.size() - 2, 2, ".c") == 0; }

// The hunks of the patches, from the one unified-diff reader (kbuild::readPatch).
std::vector<Hunk> hunksOf(const std::vector<kbuild::Patch>& patches) {
  std::vector<Hunk> out;
  for (const auto& p : patches)
    for (const auto& f : p.files)
      for (const auto& r : f.hunks) out.push_back({f.path, r.oldStart, r.oldLines, r.newStart, r.newLines, {}});
  return out;
}

// Names the declarations each hunk overlaps, in the original or the patched model.
void mapHunks(const State& s, std::vector<Hunk>& hunks) {
  for (Hunk& h : hunks) {
    auto fileIt = std::find(s.touched.begin(), s.touched.end(), h.file);
    auto unitIt = s.unitOfFile.find(h.file);
    if (fileIt == s.touched.end() || unitIt == s.unitOfFile.end()) continue;
    int idx = static_cast<int>(fileIt - s.touched.begin());
    std::set<std::string> seen;
    auto scan = [&](const json& model, unsigned start, unsigned count) {
      unsigned end = start + (count ? count - 1 : 0);
      for (const auto& e : model["entities"]) {
        if (e["file"] != idx) continue;
        unsigned b = e["line"], en = e["endLine"];
        if (b <= end && en >= start) {
          std::string name = e["kind"].get<std::string>() + " " + e["name"].get<std::string>();
          if (seen.insert(name).second) h.entities.push_back(name);
        }
      }
    };
    const ParsedUnit& u = s.units[unitIt->second];
    scan(u.orig, h.oldStart, h.oldLines);
    scan(u.patched, h.newStart, h.newLines);
  }
}

}  // namespace

namespace {

// The units to parse: every touched .c file's (it must be in the tree and built), then for
// each touched header a unit that includes it (a patched .c file's if one does, else the
// first unit of the build that reads it). Fills s.touched and s.unitOfFile.
std::vector<kbuild::Unit> unitsToParse(State& s, const kbuild::KernelTree& tree,
                                       const std::vector<kbuild::Patch>& patches) {
  std::vector<kbuild::Unit> toParse;
  std::set<std::string> parsedObjects;
  auto addUnit = [&](const std::string& file, const kbuild::Unit& u) {
    if (parsedObjects.insert(u.object).second) toParse.push_back(u);
    s.unitOfFile[file] = std::find_if(toParse.begin(), toParse.end(),
                                      [&](const kbuild::Unit& x) { return x.object == u.object; }) -
                         toParse.begin();
  };
  for (const kbuild::Patch& p : patches)
    for (const kbuild::PatchFile& f : p.files)
      if (std::find(s.touched.begin(), s.touched.end(), f.path) == s.touched.end()) s.touched.push_back(f.path);
  for (const kbuild::Patch& p : patches)
    for (const kbuild::PatchFile& f : p.files) {
      if (!f.created && !fs::exists(tree.sourceDir() + "/" + f.path))
        throw elf::InputError(p.path, f.path + ": not in the kernel tree " + tree.sourceDir());
      if (!isC(f.path)) continue;
      if (f.created || f.deleted)
        throw elf::InputError(p.path, f.path + ": the patch " + (f.created ? "creates" : "deletes") +
                                          " a source file; a livepatch replaces functions of units the kernel "
                                          "already has");
      // As `lp-build build` does: a file this configuration does not build is warned about
      // (applyRules) and its changes are ignored.
      std::optional<kbuild::Unit> u = tree.unitForSource(f.path);
      if (!u) {
        s.notBuilt.insert(f.path);
        continue;
      }
      addUnit(f.path, *u);
    }
  for (const std::string& f : s.touched) {
    if (!isHeader(f) || s.unitOfFile.count(f)) continue;
    std::vector<kbuild::Unit> users = tree.unitsAffectedBy({f});
    if (users.empty()) continue;  // reported by the rules as reaching no unit
    auto pick = std::find_if(users.begin(), users.end(),
                             [&](const kbuild::Unit& u) { return parsedObjects.count(u.object) > 0; });
    addUnit(f, pick == users.end() ? users[0] : *pick);
  }
  return toParse;
}

// The architecture: --arch, else what the first unit's built object says.
const arch::Target* checkTarget(const CheckOptions& opts, const kbuild::KernelTree& tree,
                                const std::vector<kbuild::Unit>& units) {
  if (!opts.arch.empty()) {
    const arch::Target* t = arch::targetNamed(opts.arch);
    if (!t) throw elf::InputError("--arch", opts.arch + ": not an architecture lp-build knows");
    return t;
  }
  if (units.empty()) return nullptr;
  std::string obj = tree.objDir() + "/" + units[0].object;
  return fs::exists(obj) ? arch::targetFor(elf::ElfObject::open(obj)) : nullptr;
}

}  // namespace

CheckReport check(const CheckOptions& opts) {
  CheckReport report;
  auto treeStart = std::chrono::steady_clock::now();
  std::vector<kbuild::Patch> patches;
  for (const auto& p : opts.patches) patches.push_back(kbuild::readPatch(p));
  kbuild::KernelTree tree = kbuild::KernelTree::open(opts.tree);
  State s(tree, opts);
  std::vector<kbuild::Unit> toParse = unitsToParse(s, tree, patches);
  s.target = checkTarget(opts, tree, toParse);
  report.arch = s.target ? std::string(s.target->name()) : "";

  kbuild::WorkDir work(opts.workRoot, "check");
  kbuild::ShadowTree shadow = kbuild::ShadowTree::create(tree, patches, work.path() + "/shadow");
  s.shadowRoot = shadow.root();
  report.treeSeconds = secondsSince(treeStart);
  for (const kbuild::Unit& u : toParse) {
    UnitTime t;
    s.units.push_back(parseUnit(s, u, shadow, work.path(), t));
    report.units.push_back(t);
  }
  applyRules(s);
  report.findings = std::move(s.findings);
  report.hunks = hunksOf(patches);
  mapHunks(s, report.hunks);
  if (opts.deep) runDeep(s, shadow, work.path(), report);
  return report;
}

}  // namespace lpb::preflight
