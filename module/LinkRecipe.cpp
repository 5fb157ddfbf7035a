#include "module/LinkRecipe.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::module {

namespace {

// Bump when the recorded format or the probe changes.
constexpr int kRecipeFormat = 6;

// The probe module. Its name has both spellings kbuild uses (dash in file names,
// underscore in KBUILD_MODNAME) so that each can be told apart and replaced.
constexpr const char* kProbeFile = "lpbprobe-mod";
constexpr const char* kProbeMod = "lpbprobe_mod";
// The second name the precompiled-header check compiles under.
constexpr const char* kCheckFile = "lpbcheck-mod";


void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
}

// A `savedcmd_` line is make text: `$` is written `$$` and `#` is `$(pound)`.
std::string unescapeMake(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 2) == "$$") {
      out += '$';
      ++i;
    } else if (s.substr(i, 8) == "$(pound)") {
      out += '#';
      i += 7;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The command kbuild recorded in `dir`/.`file`.cmd for `target` (a path as kbuild names
// it: absolute before Linux 6.13, relative to the module directory since); empty when it
// recorded none.
std::string savedCommand(const std::string& dir, const std::string& file, const std::string& target) {
  std::string text = kbuild::readFile(dir + "/." + file + ".cmd");
  std::string key = "savedcmd_" + target + " := ";
  size_t at = text.find(key);
  if (at == std::string::npos) return {};
  size_t eol = text.find('\n', at);
  return unescapeMake(std::string_view(text).substr(at + key.size(), eol - at - key.size()));
}

std::string recipeKey(const kbuild::KernelTree& tree, const std::vector<std::string>& makeArgs,
                      const std::string& runtimeDir) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  auto add = [&](std::string_view s) { XXH3_64bits_update(st, s.data(), s.size() + 1); };
  add(std::to_string(kRecipeFormat));
  add(tree.sourceDir());
  add(tree.objDir());
  for (const auto& a : makeArgs) add(a);
  // What make takes from the environment changes the commands too.
  for (const char* v : {"KCFLAGS", "KCPPFLAGS", "KAFLAGS", "KBUILD_EXTRA_SYMBOLS", "KBUILD_MODPOST_WARN",
                        "KBUILD_BUILD_TIMESTAMP", "CC", "LD", "LLVM", "ARCH", "CROSS_COMPILE", "PATH"}) {
    const char* value = std::getenv(v);
    add(fmt::format("{}={}", v, value ? value : ""));
  }
  // Everything the recorded commands depend on: a rebuilt or reconfigured tree records anew.
  const std::string& o = tree.objDir();
  const std::string& s = tree.sourceDir();
  for (const std::string& f :
       {tree.configPath(), tree.symversPath(), o + "/include/config/auto.conf", o + "/include/generated/autoconf.h",
        o + "/include/generated/utsrelease.h", o + "/scripts/mod/modpost", o + "/scripts/module.lds",
        o + "/tools/objtool/objtool", s + "/Makefile", s + "/scripts/Makefile.build", s + "/scripts/Makefile.modpost",
        s + "/scripts/Makefile.modfinal", s + "/scripts/module-common.c"}) {
    struct stat sb{};
    add(f);
    if (::stat(f.c_str(), &sb) == 0) {
      int64_t id[3] = {int64_t(sb.st_size), int64_t(sb.st_mtim.tv_sec), int64_t(sb.st_mtim.tv_nsec)};
      XXH3_64bits_update(st, id, sizeof id);
    }
  }
  for (const char* f : {"lpb-runtime.c", "lpb-table.h"}) add(kbuild::readFile(runtimeDir + "/" + f));
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return fmt::format("{:016x}", h);
}

kbuild::ProcessResult runShell(const std::string& command, const std::string& cwd) {
  kbuild::ProcessOptions o;
  o.cwd = cwd;
  return kbuild::runProcess({"/bin/sh", "-c", command}, o);
}

// The leading `#include` lines of a modpost .mod.c (blank lines included).
std::string leadingIncludes(const std::string& modC) {
  size_t end = 0;
  while (end < modC.size()) {
    size_t eol = modC.find('\n', end);
    if (eol == std::string::npos) break;
    std::string_view line = std::string_view(modC).substr(end, eol - end);
    if (!line.empty() && !line.starts_with("#include ")) break;
    end = eol + 1;
  }
  return modC.substr(0, end);
}

// Loaded sections, their relocations and the defined symbols: what ends up in the
// module. Debug info may differ between a precompiled and a plain compile.
std::string loadedContent(const std::string& path) {
  elf::ElfObject o = elf::ElfObject::open(path);
  std::string out;
  for (const auto& sec : o.sections) {
    if (!sec.isAlloc()) continue;
    out += fmt::format("section {} {} {} {}\n", sec.name, sec.type, sec.flags, sec.size);
    out.append(reinterpret_cast<const char*>(sec.data.data()), sec.data.size());
    for (const auto& r : sec.relocs)
      out += fmt::format("reloc {} {} {} {}\n", r.offset, r.type, o.symbols[r.sym].name, r.addend);
  }
  std::set<std::string> symbols;
  for (const auto& s : o.symbols)
    if (!s.name.empty())
      symbols.insert(fmt::format("{} {} {} {} {} {}", s.name, s.isDefined() ? o.sections[s.shndx].name : "-",
                                 s.value, s.size, s.type, s.bind));
  for (const auto& s : symbols) out += s + "\n";
  return out;
}

// Records the precompiled-header path for the .mod.o compile, or leaves it empty.
void recordPrecompiledModC(LinkRecipe& r, const std::string& probe, const std::string& objDir) {
  // The .mod.o and .mod.c as the recorded command names them.
  std::string probeModO = r.pathInModule(probe, std::string(kProbeFile) + ".mod.o");
  std::string probeModC = r.pathInModule(probe, std::string(kProbeFile) + ".mod.c");
  const std::string cwd = r.workingDirectory(probe, objDir);
  std::string plain = instantiate(r.compileModC, probe, kProbeFile);
  std::vector<std::string> steps = kbuild::splitShellSteps(plain);
  if (steps.size() != 1) return;
  std::vector<std::string> argv = kbuild::splitShellWords(steps[0]);

  std::string modC = kbuild::readFile(probe + "/" + kProbeFile + ".mod.c");
  r.modCIncludes = leadingIncludes(modC);
  std::string prelude = "/* The fixed start of every modpost .mod.c, precompiled once per tree by lp-build. */\n";
  std::vector<std::string> common;  // argv without the forced includes and the dependency file
  bool placed = false;
  std::vector<std::string> use;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "-include" && i + 1 < argv.size()) {
      prelude += fmt::format("#include \"{}\"\n", argv[++i]);
      if (!placed)
        use.insert(use.end(), {"-include", "@RECIPE@/mod-prelude.h", "-Winvalid-pch", "-fdebug-prefix-map=@RECIPE@=."});
      placed = true;
      continue;
    }
    if (argv[i].starts_with("-Wp,-MMD,")) continue;
    common.push_back(argv[i]);
    use.push_back(argv[i]);
  }
  if (!placed) return;
  prelude += r.modCIncludes;
  std::ofstream(r.dir + "/mod-prelude.h") << prelude;

  std::vector<std::string> make = common;
  for (auto& w : make) {
    if (w == probeModO) w = r.dir + "/mod-prelude.h.gch";
    else if (w == probeModC) w = r.dir + "/mod-prelude.h";
  }
  make.insert(make.end() - 1, {"-x", "c-header"});
  make.insert(make.end() - 1, "-fdebug-prefix-map=" + r.dir + "=.");  // a .rec-<pid> directory, renamed later
  kbuild::ProcessOptions o;
  o.cwd = cwd;
  if (kbuild::runProcess(make, o).status != 0) return;
  for (auto& w : use) {
    if (w == probeModO) w = "@OUT@";
    else if (w == probeModC) w = "@SRC@";
    else replaceAll(w, probe, "@DIR@");  // -fdebug-prefix-map=@DIR@=.
  }

  // The check: the probe's .mod.c under another name, both ways, must agree.
  std::string checkModC = probe + "/" + kCheckFile + ".mod.c";
  std::ofstream(checkModC) << modC;
  if (runShell(instantiate(r.compileModC, probe, kCheckFile), cwd).status != 0) return;
  LinkRecipe candidate = r;
  candidate.compileModCPrecompiled = use;
  // Same file name as modpost's, in a directory of its own: the name is in the object.
  fs::create_directories(probe + "/pch");
  std::string pchSource = probe + "/pch/" + kCheckFile + ".mod.c";
  std::string pchObject = probe + "/" + kCheckFile + ".mod-pch.o";
  std::vector<std::string> argvUse = precompiledModCCommand(candidate, modC, probe, kCheckFile, pchSource, pchObject);
  if (argvUse.empty()) return;
  kbuild::ProcessResult res = kbuild::runProcess(argvUse, o);
  // Any output means GCC did not take the header (-Winvalid-pch) or warned about the copy.
  if (res.status != 0 || !res.output.empty()) return;
  if (loadedContent(pchObject) != loadedContent(probe + "/" + kCheckFile + ".mod.o")) return;
  r.compileModCPrecompiled = use;
}

}  // namespace

std::string reproducibleKcflags(const std::string& moduleDir) {
  const char* own = std::getenv("KCFLAGS");
  std::string flags = own && *own ? std::string(own) + " " : std::string();
  return "KCFLAGS=" + flags + "-fdebug-prefix-map=" + moduleDir + "=.";
}

std::vector<std::string> kbuildMakeArgs(const kbuild::KernelTree& tree, std::string_view kbuildArch,
                                        const std::string& compiler) {
  std::vector<std::string> args;
  if (!kbuildArch.empty()) args.push_back(fmt::format("ARCH={}", kbuildArch));
  if (tree.configValue("CONFIG_CC_IS_CLANG") == "y") args.push_back("LLVM=1");
  std::string base = compiler.substr(compiler.rfind('/') + 1);
  if (base.size() > 3 && base.ends_with("-gcc")) args.push_back("CROSS_COMPILE=" + compiler.substr(0, compiler.size() - 3));
  for (const auto& v : tree.kind().makeVariables()) args.push_back(v);  // a distro tree's CC, KERNELRELEASE
  return args;
}

std::string instantiate(std::string command, const std::string& dir, const std::string& name) {
  std::string mod = name;
  std::replace(mod.begin(), mod.end(), '-', '_');
  replaceAll(command, "@DIR@", dir);
  replaceAll(command, "@FILE@", name);
  replaceAll(command, "@MOD@", mod);
  return command;
}

std::vector<std::string> precompiledModCCommand(const LinkRecipe& r, const std::string& modC, const std::string& dir,
                                                const std::string& name, const std::string& source,
                                                const std::string& object) {
  if (r.compileModCPrecompiled.empty() || !modC.starts_with(r.modCIncludes)) return {};
  // The header was built with the probe's -D values; the module's own go after it.
  std::vector<std::string> steps = kbuild::splitShellSteps(instantiate(r.compileModC, dir, name));
  if (steps.size() != 1) return {};
  std::set<std::string> probeDefines;
  for (const auto& w : r.compileModCPrecompiled)
    if (w.starts_with("-D")) probeDefines.insert(w);
  std::string overrides;
  for (const auto& w : kbuild::splitShellWords(steps[0])) {
    if (!w.starts_with("-D") || probeDefines.count(w)) continue;
    size_t eq = w.find('=');
    std::string macro = w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::string value = eq == std::string::npos ? "1" : w.substr(eq + 1);
    overrides += fmt::format("#undef {}\n#define {} {}\n", macro, macro, value);
  }
  std::ofstream(source) << r.modCIncludes << overrides << modC.substr(r.modCIncludes.size());
  std::vector<std::string> argv = r.compileModCPrecompiled;
  for (auto& w : argv) {
    if (w == "@OUT@") w = object;
    else if (w == "@SRC@") w = source;
    else {
      replaceAll(w, "@RECIPE@", r.dir);
      replaceAll(w, "@DIR@", dir);
    }
  }
  return argv;
}

std::optional<LinkRecipe> readRecipeFile(const std::string& file, const std::string& dir) {
  if (!fs::exists(file)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(kbuild::readFile(file), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  LinkRecipe r;
  r.dir = dir;
  try {
    const auto format = j.find("format");  // an integer, not any number: 1e81 does not convert
    if (format == j.end() || !format->is_number_integer() || format->get<int64_t>() != kRecipeFormat) return std::nullopt;
    r.compileTable = j.at("compile_table");
    r.link = j.at("link");
    r.modpost = j.at("modpost");
    r.compileModC = j.at("compile_mod_c");
    r.linkKo = j.at("link_ko");
    r.compileModCPrecompiled = j.at("compile_mod_c_precompiled").get<std::vector<std::string>>();
    r.modCIncludes = j.at("mod_c_includes");
    r.notReplayable = j.at("not_replayable");
    r.hasModuleCommon = j.at("module_common");
    r.runsInModuleDir = j.at("runs_in_module_dir");
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // damaged: recorded again
  }
  return r;
}

namespace {

// Builds lp-build's probe module (the runtime and an empty table) in `probe` with kbuild;
// on failure its kbuild.log stays for the error message (until the next run).
void buildProbe(const kbuild::KernelTree& tree, const std::vector<std::string>& makeArgs,
                const std::string& runtimeDir, const std::string& probe) {
  fs::create_directories(probe);
  for (const char* f : {"lpb-runtime.c", "lpb-table.h"})
    fs::copy_file(runtimeDir + "/" + f, probe + "/" + f, fs::copy_options::overwrite_existing);
  std::ofstream(probe + "/lpb-table.c") << "// The probe's table: a patch of nothing.\n#include \"lpb-table.h\"\n\n"
                                           "const struct lpb_table lpb_table = { 0, 0, 1 };\n";
  std::ofstream(probe + "/Kbuild") << fmt::format("obj-m := {0}.o\n{0}-y := lpb-runtime.o lpb-table.o\n", kProbeFile);
  std::vector<std::string> argv = {"make", "-C", tree.objDir(), "M=" + probe, "modules"};
  argv.insert(argv.end(), makeArgs.begin(), makeArgs.end());
  argv.push_back(reproducibleKcflags(probe));  // recorded as -fdebug-prefix-map=@DIR@=.
  kbuild::ProcessOptions o;
  o.cwd = probe;
  kbuild::ProcessResult res = kbuild::runProcess(argv, o);
  std::ofstream(probe + "/kbuild.log") << res.output;
  if (res.status != 0)
    throw elf::InputError(probe + "/kbuild.log", fmt::format("kbuild could not build lp-build's probe module: {}",
                                                             kbuild::firstErrorLine(res.output)));
}

// kbuild's saved command lines for each step of the probe's build, with its directory,
// file and module names made placeholders.
void readProbeCommands(LinkRecipe& r, const std::string& probe) {
  // Linux 6.13 and later run an external module's commands from its directory and name
  // its files relative to it; earlier ones from the tree, naming them by absolute path.
  r.runsInModuleDir = savedCommand(probe, "lpb-table.o", probe + "/lpb-table.o").empty() &&
                      !savedCommand(probe, "lpb-table.o", "lpb-table.o").empty();
  auto recorded = [&](const std::string& cmdFile, const std::string& target) {
    std::string c = savedCommand(probe, cmdFile, r.pathInModule(probe, target));
    if (c.empty() && r.notReplayable.empty())
      r.notReplayable = fmt::format("kbuild keeps no command line for {} (in .{}.cmd)", target, cmdFile);
    replaceAll(c, probe, "@DIR@");
    replaceAll(c, kProbeFile, "@FILE@");
    replaceAll(c, kProbeMod, "@MOD@");
    return c;
  };
  r.compileTable = recorded("lpb-table.o", "lpb-table.o");
  r.link = recorded(std::string(kProbeFile) + ".o", std::string(kProbeFile) + ".o");
  r.modpost = recorded("Module.symvers", "Module.symvers");
  r.compileModC = recorded(std::string(kProbeFile) + ".mod.o", std::string(kProbeFile) + ".mod.o");
  r.linkKo = recorded(std::string(kProbeFile) + ".ko", std::string(kProbeFile) + ".ko");
}

// The objects every module of this tree reuses: the runtime (which must not carry the
// probe's name) and kbuild's .module-common.o where it has one.
void keepProbeObjects(LinkRecipe& r, const std::string& probe, const std::string& runtimeDir) {
  std::string runtime = kbuild::readFile(probe + "/lpb-runtime.o");
  if (runtime.find("lpbprobe") != std::string::npos)
    throw elf::InputError(runtimeDir + "/lpb-runtime.c", "the runtime object depends on the module name");
  fs::copy_file(probe + "/lpb-runtime.o", r.runtimeObject());
  r.hasModuleCommon = fs::exists(probe + "/.module-common.o");
  if (r.hasModuleCommon) fs::copy_file(probe + "/.module-common.o", r.moduleCommonObject());
}

void writeRecipeFile(const LinkRecipe& r, const kbuild::KernelTree& tree) {
  nlohmann::json j = {{"format", kRecipeFormat},
                      {"tree", tree.objDir()},
                      {"compile_table", r.compileTable},
                      {"link", r.link},
                      {"modpost", r.modpost},
                      {"compile_mod_c", r.compileModC},
                      {"link_ko", r.linkKo},
                      {"compile_mod_c_precompiled", r.compileModCPrecompiled},
                      {"mod_c_includes", r.modCIncludes},
                      {"not_replayable", r.notReplayable},
                      {"module_common", r.hasModuleCommon},
                      {"runs_in_module_dir", r.runsInModuleDir}};
  std::ofstream(r.dir + "/recipe.json") << j.dump(2) << "\n";
}

}  // namespace

LinkRecipe linkRecipeFor(const kbuild::KernelTree& tree, const std::vector<std::string>& makeArgs,
                         const std::string& runtimeDir, const std::string& cacheDir) {
  fs::create_directories(cacheDir);
  LinkRecipe r;
  r.dir = cacheDir + "/" + recipeKey(tree, makeArgs, runtimeDir);
  std::string file = r.dir + "/recipe.json";
  auto load = [&]() -> bool {
    std::optional<LinkRecipe> kept = readRecipeFile(file, r.dir);
    if (kept) r = *kept;
    return kept.has_value();
  };
  if (load()) return r;

  kbuild::FileLock lock(cacheDir + "/.lock");
  if (load()) return r;  // another lp-build recorded it meanwhile
  // Recordings happen in a directory of their own, renamed into place when complete: a
  // killed recording's make may run on for a while, and must not write into the next
  // one. Those of dead processes are removed here.
  kbuild::removeEntriesOfDeadProcesses(cacheDir, ".rec-");
  const std::string finalDir = r.dir;
  r.dir = fmt::format("{}.rec-{}", finalDir, ::getpid());
  fs::remove_all(r.dir);
  fs::create_directories(r.dir);

  std::string probe = r.dir + "/probe";
  buildProbe(tree, makeArgs, runtimeDir, probe);
  readProbeCommands(r, probe);
  keepProbeObjects(r, probe, runtimeDir);
  if (r.notReplayable.empty()) recordPrecompiledModC(r, probe, tree.objDir());
  fs::remove_all(probe);
  writeRecipeFile(r, tree);
  // An incomplete or outdated directory under the final name goes first (we hold the lock).
  fs::remove_all(finalDir);
  fs::rename(r.dir, finalDir);
  r.dir = finalDir;
  return r;
}

}  // namespace lpb::module
