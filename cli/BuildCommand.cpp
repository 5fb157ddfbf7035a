// `lp-build [build] PATCH...`: a kernel fix in, a livepatch module out.
//
//   tree + patches -> shadow tree -> affected units -> compile (original, patched)
//   -> differ per unit -> livepatch relocations -> module (kbuild) -> .klp.rela rewrite
//
// Exit status: 0 module written, 1 refused, 2 bad input, 3 the patch changes nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/Commands.h"
#include "cli/Progress.h"
#include "differ/Differ.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Compile.h"
#include "kbuild/DefaultTree.h"
#include "kbuild/Files.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Patch.h"
#include "kbuild/Shell.h"
#include "kbuild/UnitDiffOptions.h"
#include "module/PatchModule.h"
#include "relocs/KernelSymbols.h"

namespace fs = std::filesystem;

namespace lpb::cli {

void addBuildCommand(CLI::App& app, BuildArgs& a) {
  CLI::App* b = app.add_subcommand("build", "Build a livepatch module from kernel source patches (the default command)");
  b->add_option("patches", a.patches, "unified diffs against the kernel source (-p1)")->required();
  addKernelOptions(*b, a.kernel);
  b->add_option("-t,--target", a.targets, "only patch code of this object: vmlinux or a module name (repeatable)");
  b->add_option("-n,--name", a.name, "module name (default: livepatch-<first patch's name>)");
  b->add_option("-o,--output", a.output, "where to write the module (default: ./<name>.ko)");
  b->add_option("-j,--jobs", a.jobs, "parallel compiles (default: number of CPUs)");
  b->add_flag("-R,--non-replace", a.nonReplace, "do not replace earlier cumulative patches (klp_patch.replace = false)");
  b->add_option("--json", a.json, "write a JSON report");
  b->add_flag("--keep-tmp", a.keepTmp, "keep the work directory");
  b->add_flag("--kbuild-make", a.kbuildMake,
              "link the module with `make M=` rather than kbuild's recorded commands (slower; runs every kbuild "
              "step, such as module BTF)");
  b->add_flag("--verify", a.verify, "boot the kernel in QEMU, load the module, wait for the transition, disable it");
  b->add_option("--verify-check", a.verifyCheck, "shell command run in the guest while the patch is enabled (--verify)");
  b->add_option("--verify-log", a.verifyLog, "keep the guest's serial console log of --verify in this file");
  b->add_option("--cc-launcher", a.ccLauncher,
                "run every compile through this launcher (ccache, distcc, icecc; words split as the shell does)");
  b->add_option("--struct-size", a.structSizes, "special-section entry size override, KIND=BYTES");
  b->add_option("--sign-key", a.signKey, "sign the module with this private key (the tree's scripts/sign-file; for "
                                         "kernels that enforce module signatures)");
  b->add_option("--sign-cert", a.signCert, "the X.509 certificate of --sign-key");
}

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
  return n;
}

namespace {

using Clock = std::chrono::steady_clock;

kbuild::KernelTree openTree(const BuildArgs& a, Progress& progress) {
  return kbuild::KernelTree::open(treeOptions(a.kernel, [&](const std::string& what) { progress.step("kernel", what); }));
}

struct UnitDiff {
  kbuild::UnitObjects objects;
  differ::DiffResult result;
  std::string patchObject;  // the differ's output, renamed for the module
};

// Signs the module in place with the tree's own sign-file, as `make modules_sign` would.
void signModule(const kbuild::KernelTree& tree, const BuildArgs& a, const std::string& ko) {
  if (a.signKey.empty() != a.signCert.empty())
    throw elf::InputError(a.signKey.empty() ? a.signCert : a.signKey, "--sign-key and --sign-cert go together");
  if (a.signKey.empty()) return;
  std::string tool = tree.objDir() + "/scripts/sign-file";
  if (!fs::exists(tool))
    throw elf::InputError(tool, "missing: the tree has no sign-file (a kernel without CONFIG_MODULE_SIG?)");
  std::string hash = tree.configValue("CONFIG_MODULE_SIG_HASH");
  kbuild::ProcessResult r = kbuild::runProcess({tool, hash.empty() ? "sha256" : hash, a.signKey, a.signCert, ko});
  if (r.status != 0) throw elf::InputError(a.signKey, "cannot sign the module: " + kbuild::firstErrorLine(r.output));
}

// --cc-launcher, as the words to put in front of each compile; the program must exist.
std::vector<std::string> ccLauncher(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string> words = kbuild::splitShellWords(text);
  if (words.empty() || kbuild::findProgram(words[0]).empty())
    throw elf::InputError("--cc-launcher " + text, "no such program in PATH");
  return words;
}

// The module's `depends=` list from its .modinfo.
std::vector<std::string> modinfoDepends(const std::string& ko) {
  elf::ElfObject m = elf::ElfObject::openAny(ko);
  const elf::Section* info = m.findSection(".modinfo");
  if (!info) return {};
  std::string_view all(reinterpret_cast<const char*>(info->data.data()), info->data.size());
  std::vector<std::string> out;
  for (size_t at = 0; at < all.size();) {
    size_t end = std::min(all.find('\0', at), all.size());
    std::string_view kv = all.substr(at, end - at);
    if (kv.starts_with("depends="))
      for (size_t i = 8; i < kv.size();) {
        size_t comma = std::min(kv.find(',', i), kv.size());
        if (comma > i) out.emplace_back(kv.substr(i, comma - i));
        i = comma + 1;
      }
    at = end + 1;
  }
  return out;
}

// The loadable files of `modules` and of everything they depend on, dependencies first.
std::vector<std::string> modulesToLoad(const kbuild::KernelTree& tree, const std::vector<std::string>& modules) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    std::string m = name;
    std::replace(m.begin(), m.end(), '-', '_');
    if (!seen.insert(m).second) return;
    std::optional<std::string> ko = tree.kind().loadableModule(tree, m);
    if (!ko) throw elf::InputError(tree.objDir(), fmt::format("module {} is not in this kernel's modules", m));
    for (const auto& d : modinfoDepends(*ko)) visit(d);
    order.push_back(*ko);
  };
  for (const auto& m : modules) visit(m);
  return order;
}

// A static busybox that runs in `machine`: the machine's own, or one of Debian's for the
// guest's architecture (scripts/kernel/fetch-busybox.sh, cached).
std::string busyboxFor(const arch::QemuMachine& machine) {
  std::string script = dataDir() + "/scripts/kernel/fetch-busybox.sh";
  kbuild::ProcessResult r = kbuild::runProcess({script, std::string(machine.debianArch)});
  std::string path = r.output;  // the script's last line (apt's progress comes before it)
  while (!path.empty() && path.back() == '\n') path.pop_back();
  path.erase(0, path.find_last_of('\n') + 1);
  if (r.status != 0 || path.empty() || path[0] != '/')
    throw elf::InputError(script,
                          fmt::format("no busybox for {}: {}", machine.debianArch, kbuild::firstErrorLine(r.output)));
  return path;
}

int verifyInQemu(const arch::QemuMachine& machine, const kbuild::KernelTree& tree, const std::string& ko,
                 const std::string& moduleName, const std::vector<std::string>& targetModules,
                 const std::string& check, const std::string& workDir, const std::string& keepLog,
                 Progress& progress) {
  std::string sysfs = moduleName;
  std::replace(sysfs.begin(), sysfs.end(), '-', '_');
  std::string guest = workDir + "/verify-guest.sh";
  std::ofstream g(guest);
  g << "# lp-build --verify guest script\nset -u\n";
  for (const auto& m : targetModules) g << "insmod /lpb/" << fs::path(m).filename().string() << " || exit 10\n";
  g << "insmod /lpb/" << fs::path(ko).filename().string() << " || { echo 'LPB-VERIFY: insmod failed'; exit 11; }\n";
  g << "d=/sys/kernel/livepatch/" << sysfs << "\n";
  g << "[ -d $d ] || { echo 'LPB-VERIFY: no '$d; exit 12; }\n";
  g << "i=0; while [ \"$(cat $d/transition)\" != 0 ]; do i=$((i+1)); [ $i -gt 600 ] && { echo 'LPB-VERIFY: transition "
       "stuck'; exit 13; }; sleep 0.1; done\n";
  g << "[ \"$(cat $d/enabled)\" = 1 ] || { echo 'LPB-VERIFY: not enabled'; exit 14; }\n";
  g << "echo 'LPB-VERIFY: patched'\n";
  if (!check.empty()) {
    // The check's output comes back tagged, so that lp-build can show it.
    g << "out=$( ( " << check << " ) 2>&1 ); rc=$?\n";
    g << "printf '%s\\n' \"$out\" | sed 's/^/LPB-VERIFY-OUT: /'\n";
    g << "[ $rc = 0 ] || { echo 'LPB-VERIFY: check command failed'; exit 15; }\n";
  }
  g << "echo 0 > $d/enabled || exit 16\n";
  g << "i=0; while [ -d $d ]; do i=$((i+1)); [ $i -gt 600 ] && { echo 'LPB-VERIFY: disable stuck'; exit 17; }; sleep "
       "0.1; done\n";
  g << "rmmod " << sysfs << " || exit 18\n";
  g << "if dmesg | grep -E 'livepatch: .*(failed|error|Error)'; then exit 19; fi\n";
  g << "echo 'LPB-VERIFY: disabled'\n";
  g.close();
  std::string initrd = workDir + "/verify-initramfs.cpio.gz";
  progress.step("verify", "building the initramfs");
  std::string busybox = busyboxFor(machine);
  std::vector<std::string> mk = {dataDir() + "/scripts/kernel/mkinitramfs.sh", initrd, guest, ko};
  for (const auto& m : targetModules) mk.push_back(m);
  kbuild::ProcessOptions mkOpts;
  mkOpts.env = {"LPB_BUSYBOX=" + busybox};
  kbuild::ProcessResult r = kbuild::runProcess(mk, mkOpts);
  if (r.status != 0) throw elf::InputError(mk[0], "cannot build the initramfs: " + kbuild::firstErrorLine(r.output));
  progress.step("verify", fmt::format("booting the kernel in {} (TCG)", machine.system));
  kbuild::ProcessOptions o;
  o.env = {"LPB_QEMU_QUIET=1", "LPB_QEMU_LOG=" + workDir + "/verify-serial.log",
           fmt::format("LPB_QEMU_SYSTEM={}", machine.system), fmt::format("LPB_QEMU_MACHINE={}", machine.options),
           fmt::format("LPB_QEMU_CONSOLE={}", machine.console), fmt::format("LPB_QEMU_IMAGE={}", machine.image)};
  r = kbuild::runProcess({dataDir() + "/scripts/kernel/qemu-run.sh", tree.bootImage(), initrd, "300"}, o);
  progress.clear();
  std::error_code ec;
  if (!keepLog.empty()) fs::copy_file(workDir + "/verify-serial.log", keepLog, fs::copy_options::overwrite_existing, ec);
  std::ifstream log(workDir + "/verify-serial.log");
  for (std::string line; std::getline(log, line);) {
    size_t at = line.find("LPB-VERIFY");
    if (at != std::string::npos) fmt::print(stderr, "lp-build: guest: {}\n", line.substr(at));
  }
  return r.status;
}

}  // namespace

int runBuild(const BuildArgs& a) {
  Progress progress;
  nlohmann::json report;
  report["status"] = "error";
  auto t0 = Clock::now();
  std::map<std::string, double> timings;
  auto lap = [&](const std::string& stage, Clock::time_point since) {
    timings[stage] += std::chrono::duration<double>(Clock::now() - since).count();
  };
  std::string workDir;
  auto writeJson = [&] {
    if (a.json.empty()) return true;
    report["timings"] = timings;
    report["timings"]["total"] = std::chrono::duration<double>(Clock::now() - t0).count();
    try {
      kbuild::writeFileAtomically(a.json, report.dump(2) + "\n");
    } catch (const elf::InputError& e) {
      fmt::print(stderr, "lp-build: {}\n", e.what());
      return false;
    }
    return true;
  };
  auto cleanup = [&] {
    std::error_code ec;
    if (!workDir.empty() && !a.keepTmp) fs::remove_all(workDir, ec);
    else if (!workDir.empty()) fmt::print(stderr, "lp-build: work directory kept: {}\n", workDir);
  };

  // The end of a run without a module: the report says why, the work directory goes.
  auto finish = [&](const char* status, int code) {
    report["status"] = status;
    cleanup();
    return writeJson() ? code : 2;
  };

  try {
    std::map<arch::EntryKind, unsigned> sizeOverrides = parseStructSizes(a.structSizes);
    std::vector<std::string> launcher = ccLauncher(a.ccLauncher);
    std::string name = moduleNameFor(a.patches, a.name);
    // The module's own objects are lpb-runtime.o, lpb-table.o and lpb-unitN.o.
    if (name == "lpb-runtime" || name == "lpb-table" ||
        (name.starts_with("lpb-unit") && name.size() > 8 &&
         name.find_first_not_of("0123456789", 8) == std::string::npos))
      throw elf::InputError("-n " + name, "the name of one of lp-build's own objects in the module; choose another");
    std::string output = a.output.empty() ? name + ".ko" : a.output;
    report["name"] = name;
    report["replace"] = !a.nonReplace;

    // --- inputs, shadow tree and affected units ----------------------------------------
    auto t = Clock::now();
    std::vector<kbuild::Patch> patches;
    for (const auto& p : a.patches) patches.push_back(kbuild::readPatch(p));
    kbuild::KernelTree tree = openTree(a, progress);
    report["tree"] = {{"source", tree.sourceDir()}, {"objects", tree.objDir()}};
    std::string cache = cacheRoot();
    std::string work = workRoot();
    fs::create_directories(work);
    kbuild::removeEntriesOfDeadProcesses(work, "-");  // <name>-<pid> of killed runs
    workDir = fmt::format("{}/{}-{}", work, name, ::getpid());
    fs::remove_all(workDir);
    progress.step("patch", fmt::format("applying {} patch(es) in a shadow tree", patches.size()));
    kbuild::ShadowTree shadow = kbuild::ShadowTree::create(tree, patches, workDir + "/shadow");
    std::vector<kbuild::Unit> units = tree.unitsAffectedBy(shadow.touchedFiles());
    if (!a.targets.empty()) {
      std::set<std::string> want;
      for (std::string t2 : a.targets) {
        std::replace(t2.begin(), t2.end(), '-', '_');
        want.insert(t2);
      }
      std::erase_if(units, [&](const kbuild::Unit& u) { return !want.count(u.linkedInto); });
    }
    std::set<std::string> built;
    for (const auto& u : units) built.insert(u.source);
    for (const auto& f : shadow.touchedFiles())
      if (f.ends_with(".c") && !built.count(f))
        fmt::print(stderr, "lp-build: warning: {} is not built in this kernel configuration; its changes are ignored\n", f);
    report["units"] = nlohmann::json::array();
    for (const auto& u : units) report["units"].push_back({{"object", u.object}, {"source", u.source}, {"into", u.linkedInto}});
    lap("shadow", t);

    // --- compile, in the background ----------------------------------------------------
    // The compiler is the long pole; the kernel profile, the symbol tables and kbuild's
    // link recipe are read while it runs. (Stage timings overlap: compile and profile.)
    auto compileStart = Clock::now();
    kbuild::CompileSettings cs = kbuild::standardCompileSettings(dataDir(), cache, workDir);
    cs.launcher = launcher;
    // (From vmlinux's header alone: the whole of it is read while the compiler runs.)
    cs.target = arch::targetFor(elf::readIdentity(tree.vmlinuxPath()));
    cs.jobs = a.jobs ? a.jobs : std::max(1u, unsigned(::sysconf(_SC_NPROCESSORS_ONLN)));
    cs.progress = [&](const std::string& what) { progress.step("compile", what); };
    std::future<std::vector<kbuild::UnitObjects>> compiling;
    if (!units.empty()) {
      progress.step("compile", fmt::format("{} unit(s), original and patched", units.size()));
      compiling = std::async(std::launch::async, [&] { return kbuild::compileUnits(tree, shadow, units, cs); });
    }

    // --- kernel profile and symbols (while compiling) ------------------------------------
    t = Clock::now();
    elf::ElfObject vmlinux = elf::ElfObject::openAny(tree.vmlinuxPath());
    kbuild::KernelProfile profile = kbuild::readKernelProfile(tree, vmlinux, cache + "/profiles");
    for (const auto& [k, v] : sizeOverrides) profile.structSizes[k] = v;
    relocs::KernelSymbols symbols(vmlinux, relocs::readSymvers(tree.symversPath()));
    report["arch"] = std::string(profile.target->name());
    if (a.verify && !profile.target->bootsInQemu())
      throw elf::InputError(tree.vmlinuxPath(), fmt::format("--verify: lp-build has no QEMU recipe for {} kernels yet",
                                                            profile.target->name()));
    report["kernel_release"] = profile.release;
    if (units.empty()) {
      lap("profile", t);
      fmt::print(stderr, "lp-build: {}: changes nothing this kernel builds\n", a.patches[0]);
      return finish("nochange", 3);
    }
    kbuild::checkCompiler(profile, tree.compileCommand(units[0]), tree.vmlinuxPath(), launcher);
    // kbuild's link recipe for this tree (recorded by one kbuild run the first time).
    std::string runtimeDir = dataDir() + "/module/runtime";
    std::string compiler = tree.compileCommand(units[0]).compiler.at(0);
    std::vector<std::string> makeArgs = module::kbuildMakeArgs(tree, profile.target->kbuildArch(), compiler);
    std::future<module::LinkRecipe> recipe = std::async(std::launch::async, [&] {
      try {
        return module::linkRecipeFor(tree, makeArgs, runtimeDir, cache + "/recipes");
      } catch (const elf::InputError&) {
        throw;
      } catch (const std::exception& e) {  // file system or JSON trouble in the cache
        throw elf::InputError(cache + "/recipes", fmt::format("cannot record kbuild's link recipe: {}", e.what()));
      }
    });
    lap("profile", t);
    std::vector<kbuild::UnitObjects> objects = compiling.get();
    lap("compile", compileStart);

    // --- diff --------------------------------------------------------------------------
    t = Clock::now();
    std::map<std::string, std::unique_ptr<elf::ElfObject>> moduleElves;
    std::vector<UnitDiff> diffs;
    std::vector<std::unique_ptr<elf::ElfObject>> keepAlive;
    bool refused = false;
    report["functions"] = nlohmann::json::array();
    report["refusals"] = nlohmann::json::array();
    for (auto& uo : objects) {
      progress.step("diff", uo.unit.source);
      const elf::ElfObject* symfile = &vmlinux;
      if (uo.unit.linkedInto != "vmlinux") {
        auto& m = moduleElves[uo.unit.linkedInto];
        if (!m) {
          auto ko = tree.moduleFile(uo.unit.linkedInto);
          if (!ko)
            throw elf::InputError(tree.objDir(), fmt::format("module {} (for {}) is not built in this tree",
                                                             uo.unit.linkedInto, uo.unit.source));
          m = std::make_unique<elf::ElfObject>(elf::ElfObject::openAny(*ko));
          symbols.addModule(uo.unit.linkedInto, *m);
        }
        symfile = m.get();
      }
      keepAlive.push_back(std::make_unique<elf::ElfObject>(elf::ElfObject::open(uo.original)));
      const elf::ElfObject& origElf = *keepAlive.back();
      keepAlive.push_back(std::make_unique<elf::ElfObject>(elf::ElfObject::open(uo.patched)));
      const elf::ElfObject& patchedElf = *keepAlive.back();
      differ::DiffOptions opts = kbuild::unitDiffOptions(profile, uo.unit, symfile, tree.sourceDir());
      UnitDiff d{uo, differ::diffObjects(origElf, patchedElf, opts), {}};
      for (const auto& w : d.result.warnings) fmt::print(stderr, "lp-build: warning: {}: {}\n", uo.unit.source, w);
      for (const auto& f : d.result.functions)
        report["functions"].push_back({{"name", f.name}, {"unit", uo.unit.source}, {"object", uo.unit.linkedInto},
                                       {"status", differ::functionStatusName(f.status)}, {"reason", f.reason},
                                       {"patch_target", f.patchTarget}, {"sympos", f.sympos}});
      for (const auto& x : d.result.refusals) {
        refused = true;
        fmt::print(stderr, "lp-build: refuse [{}] {}: {} ({})\n", x.rule, x.name, x.reason, uo.unit.source);
        report["refusals"].push_back({{"rule", x.rule}, {"name", x.name}, {"reason", x.reason}, {"unit", uo.unit.source}});
      }
      diffs.push_back(std::move(d));
    }
    lap("diff", t);
    if (refused) {
      return finish("refused", 1);
    }
    std::erase_if(diffs, [](const UnitDiff& d) { return d.result.verdict != differ::Verdict::Patchable; });
    if (diffs.empty()) {
      fmt::print(stderr, "lp-build: {}: no functional change in the compiled code\n", a.patches[0]);
      return finish("nochange", 3);
    }

    // --- relocations: how every outside reference is written ----------------------------
    t = Clock::now();
    std::set<std::string> definedByPatch;
    for (size_t i = 0; i < diffs.size(); ++i) {
      std::string first = fmt::format("{}/unit{}-plain.o", workDir, i);
      differ::writeDiffObject(diffs[i].result, first);
      elf::ElfObject o = elf::ElfObject::open(first);
      for (const auto& s : o.symbols)
        if (s.isDefined() && s.bind != 0 /*STB_LOCAL*/) definedByPatch.insert(std::string(s.name));
    }
    module::ModuleSpec spec;
    spec.name = name;
    spec.replace = !a.nonReplace;
    spec.description = fmt::format("live patch built by lp-build from {}", fs::path(a.patches[0]).filename().string());
    std::map<std::string, unsigned> relocKinds;
    for (size_t i = 0; i < diffs.size(); ++i) {
      UnitDiff& d = diffs[i];
      const std::string& into = d.objects.unit.linkedInto;
      differ::EmitOptions emit;
      emit.aliasPrefix = fmt::format("__lpb_u{}_", i);
      emit.symbolTable = false;
      for (const auto& x : d.result.externals) {
        relocs::Reference ref{x.name, x.wasLocal, x.sympos};
        auto link = symbols.resolve(into, ref, definedByPatch);
        if (!link) {
          refused = true;
          std::string why = fmt::format("nothing in {} or the patched modules defines it", tree.vmlinuxPath());
          fmt::print(stderr, "lp-build: refuse [missing-symbol] {}: {} ({})\n", x.name, why, d.objects.unit.source);
          report["refusals"].push_back({{"rule", "missing-symbol"}, {"name", x.name}, {"reason", why},
                                        {"unit", d.objects.unit.source}});
          continue;
        }
        if (link->kind == relocs::Link::Kind::Livepatch) {
          emit.externalNames[x.name] = link->symbol;
          ++relocKinds["livepatch:" + link->object];
        } else {
          ++relocKinds[link->nameSpace.empty() ? "export" : "export:" + link->nameSpace];
          if (!link->nameSpace.empty()) spec.namespaces.insert(link->nameSpace);
        }
      }
      d.patchObject = fmt::format("{}/unit{}.o", workDir, i);
      differ::writeDiffObject(d.result, d.patchObject, emit);
      spec.objects.push_back(d.patchObject);
      for (const auto& f : d.result.functions)
        if (f.patchTarget) spec.functions.push_back({into, f.name, f.sympos, differ::aliasName(emit.aliasPrefix, f.name)});
      for (const auto& [kind, fn] : d.result.callbacks)
        spec.callbacks.push_back({into, kind, differ::aliasName(emit.aliasPrefix, fn)});
    }
    report["references"] = relocKinds;
    lap("relocations", t);
    if (refused) {
      return finish("refused", 1);
    }

    // New code that nothing redirects to and no callback: the module would change nothing,
    // and with atomic replace it would silently take back every earlier live patch.
    if (spec.functions.empty() && spec.callbacks.empty()) {
      fmt::print(stderr, "lp-build: {}: no function for the kernel to redirect and no callback\n", a.patches[0]);
      return finish("nochange", 3);
    }

    // --- the module ------------------------------------------------------------------------
    t = Clock::now();
    progress.step("module", fmt::format("linking {} with kbuild", name));
    if (recipe.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      progress.step("module", "recording kbuild's link recipe for this tree (once per tree)");
    module::LinkOptions link{a.kbuildMake, makeArgs, cs.jobs};
    // BTF ids in patch code need kbuild's unrecorded module-BTF step (resolve_btfids).
    if (!link.useMake && tree.configValue("CONFIG_DEBUG_INFO_BTF_MODULES") == "y")
      for (const auto& o : spec.objects)
        if (elf::ElfObject::open(o).findSection(".BTF_ids")) {
          link.useMake = true;
          progress.step("module", "using make M= (the patch code has .BTF_ids, which kbuild resolves for modules)");
          break;
        }
    const module::LinkRecipe& linkRecipe = recipe.get();
    if (!a.kbuildMake && !linkRecipe.notReplayable.empty())
      progress.step("module", fmt::format("using make M= ({})", linkRecipe.notReplayable));
    module::ModuleResult mod =
        module::buildPatchModule(linkRecipe, runtimeDir, tree.objDir(), spec, workDir + "/module", link);
    signModule(tree, a, mod.path);
    std::string moduleBytes = kbuild::readFile(mod.path);
    if (moduleBytes.empty()) throw elf::InputError(mod.path, "the linked module is empty or unreadable");
    kbuild::writeFileAtomically(output, moduleBytes);
    lap("module", t);
    report["status"] = "ok";
    report["output"] = fs::absolute(output).string();
    report["klp_relocations"] = mod.klp.relocationsByObject;
    report["klp_symbols"] = mod.klp.symbols;
    unsigned nTargets = 0;
    for (const auto& f : spec.functions) (void)f, ++nTargets;
    fmt::print(stderr, "lp-build: wrote {} ({} function(s) patched, {} livepatch symbol(s))\n", output, nTargets,
               mod.klp.symbols);

    if (a.verify) {
      t = Clock::now();
      std::vector<std::string> patchedModules;
      for (const auto& [m, elfp] : moduleElves) patchedModules.push_back(m);
      std::vector<std::string> moduleFiles = modulesToLoad(tree, patchedModules);
      int rc = verifyInQemu(*profile.target->qemuMachine(), tree, fs::absolute(output).string(), name, moduleFiles,
                            a.verifyCheck, workDir, a.verifyLog, progress);
      lap("verify", t);
      report["verify"] = rc == 0 ? "ok" : "failed";
      if (rc != 0) {
        // A module that does not survive its own verification is not handed out.
        std::error_code ec;
        fs::remove(output, ec);
        std::string log = workDir + "/verify-serial.log";
        std::string why = fmt::format("the module did not verify in QEMU (qemu-run status {}: {}); serial log {}", rc,
                                      rc == 1 ? "loading, transition or the check command failed"
                                      : rc == 3 ? "the kernel reported an Oops, BUG, WARNING or Call Trace"
                                                : "the guest did not finish",
                                      log);
        fmt::print(stderr, "lp-build: refuse [verify-failed] {}: {}\n", name, why);
        report["status"] = "refused";
        report.erase("output");
        report["refusals"].push_back({{"rule", "verify-failed"}, {"name", name}, {"reason", why}});
        writeJson();
        return 1;  // the work directory stays: it holds the log
      }
      fmt::print(stderr, "lp-build: verified in QEMU: loaded, transitioned, disabled, no oops or warnings\n");
    }
    cleanup();
    return writeJson() ? 0 : 2;
  } catch (const elf::InputError& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    report["error"] = e.what();
    cleanup();
    writeJson();
    return 2;
  } catch (const fs::filesystem_error& e) {
    fmt::print(stderr, "lp-build: {}\n", e.what());
    cleanup();
    return 2;
  } catch (const std::exception& e) {
    // Not bad input: lp-build's own fault. Still one line, and no work directory left.
    fmt::print(stderr, "lp-build: internal error (a bug in lp-build): {}\n", e.what());
    cleanup();
    return 2;
  }
}

}  // namespace lpb::cli
