#include "pipeline/Build.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <future>
#include <optional>
#include <set>

#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/Files.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/Patch.h"
#include "kbuild/Shell.h"
#include "module/LinkRecipe.h"
#include "module/PatchModule.h"
#include "pipeline/References.h"
#include "pipeline/UnitDiff.h"
#include "pipeline/Verify.h"
#include "relocs/KernelSymbols.h"

namespace fs = std::filesystem;

namespace lpb::pipeline {

std::string moduleNameFor(const std::vector<std::string>& patches, const std::string& name) {
  std::string n = name;
  if (n.empty()) {
    std::string base = fs::path(patches.at(0)).filename().string();
    for (const char* ext : {".diff", ".patch"})
      if (base.ends_with(ext)) base = base.substr(0, base.size() - std::string_view(ext).size());
    n = "livepatch-" + base;
  }
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '-';
  if (n.size() > 55) n = n.substr(0, 55);  // MODULE_NAME_LEN - 1 less room for the ".ko"
  // The module's own objects are lpb-runtime.o, lpb-table.o and lpb-unitN.o.
  if (n == "lpb-runtime" || n == "lpb-table" ||
      (n.starts_with("lpb-unit") && n.size() > 8 && n.find_first_not_of("0123456789", 8) == std::string::npos))
    throw elf::InputError("-n " + n, "the name of one of lp-build's own objects in the module; choose another");
  return n;
}

namespace {

using Clock = std::chrono::steady_clock;

// Signs the module in place with the tree's own sign-file, as `make modules_sign` would.
void signModule(const kbuild::KernelTree& tree, const BuildRequest& req, const std::string& ko) {
  if (req.signKey.empty() != req.signCert.empty())
    throw elf::InputError(req.signKey.empty() ? req.signCert : req.signKey, "--sign-key and --sign-cert go together");
  if (req.signKey.empty()) return;
  std::string tool = tree.objDir() + "/scripts/sign-file";
  if (!fs::exists(tool))
    throw elf::InputError(tool, "missing: the tree has no sign-file (a kernel without CONFIG_MODULE_SIG?)");
  std::string hash = tree.configValue("CONFIG_MODULE_SIG_HASH");
  kbuild::ProcessResult r = kbuild::runProcess({tool, hash.empty() ? "sha256" : hash, req.signKey, req.signCert, ko});
  if (r.status != 0) throw elf::InputError(req.signKey, "cannot sign the module: " + kbuild::firstErrorLine(r.output));
}

class Build {
 public:
  Build(const BuildRequest& req, BuildReport& report)
      : req_(req), report_(report), tree_(kbuild::KernelTree::open(req.tree)),
        work_(req.workRoot, req.moduleName) {
    if (req.keepWorkDir) work_.keep();
  }
  ~Build() {
    if (req_.keepWorkDir) report_.say("work directory kept: " + work_.path());
  }
  Build(const Build&) = delete;
  Build& operator=(const Build&) = delete;
  BuildStatus run();

 private:
  kbuild::ShadowTree applyPatches();
  std::vector<kbuild::Unit> affectedUnits(const kbuild::ShadowTree& shadow);
  std::future<std::vector<kbuild::UnitObjects>> startCompile(const kbuild::ShadowTree& shadow,
                                                            const std::vector<kbuild::Unit>& units);
  void readKernel();
  std::future<module::LinkRecipe> startRecordingLinkRecipe(const kbuild::Unit& anyUnit);
  std::vector<UnitDiff> diffUnits(const std::vector<kbuild::UnitObjects>& objects);
  module::ModuleResult linkModule(module::ModuleSpec spec, std::future<module::LinkRecipe>& recipe);
  void writeModule(const module::ModuleResult& mod, size_t patchedFunctions);
  BuildStatus verify();
  BuildStatus noChange(const std::string& why) const;

  const BuildRequest& req_;
  BuildReport& report_;
  kbuild::KernelTree tree_;
  kbuild::WorkDir work_;  // removed at the end unless kept (or a failed verification leaves its serial log)
  kbuild::CompileSettings compileSettings_;
  std::optional<elf::ElfObject> vmlinux_;
  kbuild::KernelProfile profile_;
  std::optional<relocs::KernelSymbols> symbols_;
  std::optional<SymbolFiles> symbolFiles_;
  std::vector<std::string> makeArgs_;
  std::string runtimeDir_;
};

// The stages, in order. Compiling is the long pole: the kernel's profile, its symbols and
// kbuild's link recipe are read while the compiler runs (their timings overlap).
BuildStatus Build::run() {
  auto t = Clock::now();
  kbuild::ShadowTree shadow = applyPatches();
  std::vector<kbuild::Unit> units = affectedUnits(shadow);
  report_.lap("shadow", t);

  auto compileStart = Clock::now();
  std::future<std::vector<kbuild::UnitObjects>> compiling = startCompile(shadow, units);
  t = Clock::now();
  readKernel();
  if (units.empty()) {
    report_.lap("profile", t);
    return noChange("changes nothing this kernel builds");
  }
  kbuild::checkCompiler(profile_, tree_.compileCommand(units[0]), tree_.vmlinuxPath(), req_.ccLauncher);
  std::future<module::LinkRecipe> recipe = startRecordingLinkRecipe(units[0]);
  report_.lap("profile", t);
  std::vector<kbuild::UnitObjects> objects = compiling.get();
  report_.lap("compile", compileStart);

  t = Clock::now();
  std::vector<UnitDiff> diffs = diffUnits(objects);
  report_.lap("diff", t);
  if (report_.refused()) return BuildStatus::Refused;
  std::erase_if(diffs, [](const UnitDiff& d) { return d.result.verdict != differ::Verdict::Patchable; });
  if (diffs.empty()) return noChange("no functional change in the compiled code");

  t = Clock::now();
  LinkedPatch linked = linkReferences(diffs, *symbols_, tree_.vmlinuxPath(), work_.path(), report_);
  report_.json["references"] = linked.referenceKinds;
  report_.lap("relocations", t);
  if (report_.refused()) return BuildStatus::Refused;
  // New code that nothing redirects to and no callback: the module would change nothing,
  // and with atomic replace it would silently take back every earlier live patch.
  if (linked.spec.functions.empty() && linked.spec.callbacks.empty())
    return noChange("no function for the kernel to redirect and no callback");

  t = Clock::now();
  size_t patchedFunctions = linked.spec.functions.size();
  module::ModuleResult mod = linkModule(std::move(linked.spec), recipe);
  writeModule(mod, patchedFunctions);
  report_.lap("module", t);
  return req_.verify ? verify() : BuildStatus::Ok;
}

// The patches, applied to a shadow of the tree in the work directory (the tree itself is
// never written).
kbuild::ShadowTree Build::applyPatches() {
  std::vector<kbuild::Patch> patches;
  for (const auto& p : req_.patches) patches.push_back(kbuild::readPatch(p));
  report_.json["name"] = req_.moduleName;
  report_.json["replace"] = req_.replace;
  report_.json["tree"] = {{"source", tree_.sourceDir()}, {"objects", tree_.objDir()}};
  report_.step("patch", fmt::format("applying {} patch(es) in a shadow tree", patches.size()));
  return kbuild::ShadowTree::create(tree_, patches, work_.path() + "/shadow");
}

// The units the touched files are compiled into, limited to --target objects.
std::vector<kbuild::Unit> Build::affectedUnits(const kbuild::ShadowTree& shadow) {
  std::vector<kbuild::Unit> units = tree_.unitsAffectedBy(shadow.touchedFiles());
  if (!req_.targets.empty()) {
    std::set<std::string> want;
    for (std::string t : req_.targets) {
      std::replace(t.begin(), t.end(), '-', '_');
      want.insert(t);
    }
    std::erase_if(units, [&](const kbuild::Unit& u) { return !want.count(u.linkedInto); });
  }
  std::set<std::string> built;
  for (const auto& u : units) built.insert(u.source);
  for (const auto& f : shadow.touchedFiles())
    if (f.ends_with(".c") && !built.count(f))
      report_.warn(fmt::format("{} is not built in this kernel configuration; its changes are ignored", f));
  report_.json["units"] = nlohmann::json::array();
  for (const auto& u : units)
    report_.json["units"].push_back({{"object", u.object}, {"source", u.source}, {"into", u.linkedInto}});
  return units;
}

std::future<std::vector<kbuild::UnitObjects>> Build::startCompile(const kbuild::ShadowTree& shadow,
                                                                 const std::vector<kbuild::Unit>& units) {
  compileSettings_ = kbuild::standardCompileSettings(req_.dataDir, req_.cacheRoot, work_.path());
  compileSettings_.launcher = req_.ccLauncher;
  // From vmlinux's header alone: the whole of it is read while the compiler runs.
  compileSettings_.target = arch::targetFor(elf::readIdentity(tree_.vmlinuxPath()));
  compileSettings_.jobs = req_.jobs;
  compileSettings_.progress = [this](const std::string& what) { report_.step("compile", what); };
  if (units.empty()) return {};
  report_.step("compile", fmt::format("{} unit(s), original and patched", units.size()));
  return std::async(std::launch::async,
                    [this, &shadow, &units] { return kbuild::compileUnits(tree_, shadow, units, compileSettings_); });
}

// vmlinux, the kernel's profile (architecture, release, struct sizes) and its symbols.
void Build::readKernel() {
  vmlinux_.emplace(elf::ElfObject::openAny(tree_.vmlinuxPath()));
  profile_ = kbuild::readKernelProfile(tree_, *vmlinux_, req_.cacheRoot + "/profiles");
  for (const auto& [k, v] : req_.structSizes) profile_.structSizes[k] = v;
  symbols_.emplace(*vmlinux_, relocs::readSymvers(tree_.symversPath()));
  symbolFiles_.emplace(tree_, *vmlinux_, [this](const std::string& name, const elf::ElfObject& ko) {
    symbols_->addModule(name, ko);
  });
  report_.json["arch"] = std::string(profile_.target->name());
  if (req_.verify && !profile_.target->bootsInQemu())
    throw elf::InputError(tree_.vmlinuxPath(), fmt::format("--verify: lp-build has no QEMU recipe for {} kernels yet",
                                                           profile_.target->name()));
  report_.json["kernel_release"] = profile_.release;
}

// kbuild's link recipe for this tree, recorded by one kbuild run the first time.
std::future<module::LinkRecipe> Build::startRecordingLinkRecipe(const kbuild::Unit& anyUnit) {
  runtimeDir_ = req_.dataDir + "/module/runtime";
  std::string compiler = tree_.compileCommand(anyUnit).compiler.at(0);
  makeArgs_ = module::kbuildMakeArgs(tree_, profile_.target->kbuildArch(), compiler);
  std::string recipes = req_.cacheRoot + "/recipes";
  return std::async(std::launch::async, [this, recipes] {
    try {
      return module::linkRecipeFor(tree_, makeArgs_, runtimeDir_, recipes);
    } catch (const elf::InputError&) {
      throw;
    } catch (const std::exception& e) {  // file system or JSON trouble in the cache
      throw elf::InputError(recipes, fmt::format("cannot record kbuild's link recipe: {}", e.what()));
    }
  });
}

std::vector<UnitDiff> Build::diffUnits(const std::vector<kbuild::UnitObjects>& objects) {
  std::vector<UnitDiff> diffs;
  report_.json["functions"] = nlohmann::json::array();
  for (const auto& uo : objects) {
    report_.step("diff", uo.unit.source);
    UnitDiff d = diffUnit(uo, profile_, *symbolFiles_, tree_.sourceDir());
    for (const auto& w : d.result.warnings) report_.warn(fmt::format("{}: {}", uo.unit.source, w));
    for (const auto& f : d.result.functions)
      report_.json["functions"].push_back({{"name", f.name}, {"unit", uo.unit.source}, {"object", uo.unit.linkedInto},
                                           {"status", differ::functionStatusName(f.status)}, {"reason", f.reason},
                                           {"patch_target", f.patchTarget}, {"sympos", f.sympos}});
    for (const auto& x : d.result.refusals) report_.refuse(x.rule, x.name, x.reason, uo.unit.source);
    diffs.push_back(std::move(d));
  }
  return diffs;
}

// The patch module, linked by kbuild's recorded commands (or `make M=`), klp relocations
// rewritten, signed if asked.
module::ModuleResult Build::linkModule(module::ModuleSpec spec, std::future<module::LinkRecipe>& recipe) {
  spec.name = req_.moduleName;
  spec.replace = req_.replace;
  spec.description =
      fmt::format("live patch built by lp-build from {}", fs::path(req_.patches.at(0)).filename().string());
  report_.step("module", fmt::format("linking {} with kbuild", spec.name));
  if (recipe.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    report_.step("module", "recording kbuild's link recipe for this tree (once per tree)");
  module::LinkOptions link{req_.kbuildMake, makeArgs_, compileSettings_.jobs};
  // BTF ids in patch code need kbuild's unrecorded module-BTF step (resolve_btfids).
  if (!link.useMake && tree_.configValue("CONFIG_DEBUG_INFO_BTF_MODULES") == "y")
    for (const auto& o : spec.objects)
      if (elf::ElfObject::open(o).findSection(".BTF_ids")) {
        link.useMake = true;
        report_.step("module", "using make M= (the patch code has .BTF_ids, which kbuild resolves for modules)");
        break;
      }
  const module::LinkRecipe& linkRecipe = recipe.get();
  if (!req_.kbuildMake && !linkRecipe.notReplayable.empty())
    report_.step("module", fmt::format("using make M= ({})", linkRecipe.notReplayable));
  module::ModuleResult mod =
      module::buildPatchModule(linkRecipe, runtimeDir_, tree_.objDir(), spec, work_.path() + "/module", link);
  signModule(tree_, req_, mod.path);
  return mod;
}

// The finished module, written under its name in one step (no partial output).
void Build::writeModule(const module::ModuleResult& mod, size_t patchedFunctions) {
  std::string bytes = kbuild::readFile(mod.path);
  if (bytes.empty()) throw elf::InputError(mod.path, "the linked module is empty or unreadable");
  kbuild::writeFileAtomically(req_.output, bytes);
  report_.json["output"] = fs::absolute(req_.output).string();
  report_.json["klp_relocations"] = mod.klp.relocationsByObject;
  report_.json["klp_symbols"] = mod.klp.symbols;
  report_.say(fmt::format("wrote {} ({} function(s) patched, {} livepatch symbol(s))", req_.output, patchedFunctions,
                          mod.klp.symbols));
}

// A module that does not survive its own verification is not handed out.
BuildStatus Build::verify() {
  auto t = Clock::now();
  VerifyRequest v{fs::absolute(req_.output).string(), req_.moduleName, symbolFiles_->modules(), req_.verifyCheck,
                  req_.verifyLog, work_.path(), req_.dataDir};
  int rc = verifyInQemu(*profile_.target->qemuMachine(), tree_, v, report_);
  report_.lap("verify", t);
  report_.json["verify"] = rc == 0 ? "ok" : "failed";
  if (rc == 0) {
    report_.say("verified in QEMU: loaded, transitioned, disabled, no oops or warnings");
    return BuildStatus::Ok;
  }
  std::error_code ec;
  fs::remove(req_.output, ec);
  report_.json.erase("output");
  work_.keep();  // it holds the log
  report_.refuse("verify-failed", req_.moduleName,
                 fmt::format("the module did not verify in QEMU (qemu-run status {}: {}); serial log {}", rc,
                             verifyFailure(rc), work_.path() + "/verify-serial.log"));
  return BuildStatus::Refused;
}

BuildStatus Build::noChange(const std::string& why) const {
  report_.say(fmt::format("{}: {}", req_.patches.at(0), why));
  return BuildStatus::NoChange;
}

}  // namespace

BuildStatus runBuild(const BuildRequest& request, BuildReport& report) {
  Build build(request, report);
  return build.run();
}

}  // namespace lpb::pipeline
