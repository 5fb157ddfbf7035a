#include "module/PatchModule.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>

#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::module {

namespace {

std::string cIdent(std::string s) {
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// A C string literal; control characters (a newline in a file name) as octal escapes.
std::string cString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += '\\';
    if (u < 0x20 || u == 0x7f) out += fmt::format("\\{:03o}", u);
    else out += c;
  }
  return out + "\"";
}

}  // namespace

std::string tableSource(const ModuleSpec& spec) {
  std::string c;
  c += "// SPDX-License-Identifier: GPL-2.0\n";
  c += fmt::format("// {}: the patch table written by lp-build; lpb-runtime.c enables it.\n", spec.name);
  c += "#include \"lpb-table.h\"\n\n";

  // Objects in a stable order: vmlinux first, then modules by name.
  std::vector<std::string> objects;
  auto addObject = [&](const std::string& o) {
    if (std::find(objects.begin(), objects.end(), o) == objects.end()) objects.push_back(o);
  };
  addObject("vmlinux");
  for (const auto& f : spec.functions) addObject(f.object);
  for (const auto& cb : spec.callbacks) addObject(cb.object);
  std::sort(objects.begin() + 1, objects.end());
  auto used = [&](const std::string& o) {
    for (const auto& f : spec.functions)
      if (f.object == o) return true;
    for (const auto& cb : spec.callbacks)
      if (cb.object == o) return true;
    return false;
  };
  std::erase_if(objects, [&](const std::string& o) { return !used(o); });

  for (const auto& f : spec.functions) c += fmt::format("extern void {}(void);\n", f.newSymbol);
  for (const auto& cb : spec.callbacks)
    c += fmt::format("extern {} {};\n", cb.kind == "pre_patch" ? "lpb_pre_patch_fn" : "lpb_callback_fn", cb.symbol);
  c += "\n";

  static const char* const kinds[] = {"pre_patch", "post_patch", "pre_unpatch", "post_unpatch"};
  std::map<std::string, unsigned> functionCount;
  for (const auto& f : spec.functions) ++functionCount[f.object];
  for (const auto& o : objects) {
    std::string id = cIdent(o);
    if (functionCount[o]) {
      c += fmt::format("static const struct lpb_table_func lpb_funcs_{}[] = {{\n", id);
      for (const auto& f : spec.functions)
        if (f.object == o)
          c += fmt::format("\t{{ {}, (void *){}, {} }},\n", cString(f.oldName), f.newSymbol, f.oldSympos);
      c += "};\n\n";
    }
    for (const char* kind : kinds) {
      std::string list;
      for (const auto& cb : spec.callbacks)
        if (cb.object == o && cb.kind == kind) list += "\t" + cb.symbol + ",\n";
      if (list.empty()) continue;
      c += fmt::format("static {} *const lpb_{}_{}[] = {{\n{}\t0\n}};\n\n",
                       std::string_view(kind) == "pre_patch" ? "lpb_pre_patch_fn" : "lpb_callback_fn", kind, id, list);
    }
  }

  c += "static const struct lpb_table_object lpb_objects[] = {\n";
  for (const auto& o : objects) {
    std::string id = cIdent(o);
    unsigned n = functionCount[o];
    c += "\t{\n";
    c += fmt::format("\t\t.name = {},\n", o == "vmlinux" ? "0" : cString(o));
    if (n) c += fmt::format("\t\t.funcs = lpb_funcs_{},\n\t\t.nr_funcs = {},\n", id, n);
    for (const char* kind : kinds) {
      bool any = false;
      for (const auto& cb : spec.callbacks) any |= cb.object == o && cb.kind == kind;
      if (any) c += fmt::format("\t\t.{} = lpb_{}_{},\n", kind, kind, id);
    }
    c += "\t},\n";
  }
  c += "};\n\n";
  c += fmt::format("const struct lpb_table lpb_table = {{\n\t.objects = lpb_objects,\n\t.nr_objects = {},\n"
                   "\t.replace = {},\n}};\n\n",
                   objects.size(), spec.replace ? 1 : 0);

  // What MODULE_DESCRIPTION and MODULE_IMPORT_NS would write, without their headers.
  std::vector<std::string> info = {"description=" + spec.description};
  for (const auto& ns : spec.namespaces) info.push_back("import_ns=" + ns);
  for (size_t i = 0; i < info.size(); ++i)
    c += fmt::format("static const char lpb_modinfo_{}[]\n\t__attribute__((__used__, __section__(\".modinfo\"), "
                     "__aligned__(1))) =\n\t{};\n",
                     i, cString(info[i]));
  return c;
}

namespace {

// kbuild itself, per patch: `make M=dir modules` with a Kbuild file. Slower by the
// reading of the tree's makefiles, but it runs every step kbuild has, recorded or not.
void linkWithMake(const ModuleSpec& spec, const std::vector<std::string>& members, const std::string& objDir,
                  const std::string& dir, const LinkOptions& link) {
  // Prebuilt members are linked as they are: kbuild has no rule to rebuild an object
  // without a source, so it takes the file that is there; the table it compiles.
  std::string kbuildText = fmt::format("# Written by lp-build.\nobj-m := {0}.o\n{0}-y :=", spec.name);
  for (const auto& m : members) kbuildText += " " + m;
  std::ofstream(dir + "/Kbuild") << kbuildText << "\n";
  std::vector<std::string> argv = {"make", "-C", objDir, "M=" + dir, fmt::format("-j{}", link.jobs), "modules"};
  argv.insert(argv.end(), link.makeArgs.begin(), link.makeArgs.end());
  argv.push_back(reproducibleKcflags(dir));
  kbuild::ProcessOptions o;
  o.cwd = dir;
  kbuild::ProcessResult r = kbuild::runProcess(argv, o);
  std::ofstream(dir + "/kbuild.log") << r.output;
  if (r.status != 0 || !fs::exists(dir + "/" + spec.name + ".ko"))
    throw elf::InputError(dir + "/kbuild.log", fmt::format("kbuild could not link the patch module: {}",
                                                           kbuild::firstErrorLine(r.output)));
}

// kbuild's recorded commands, replayed (LinkRecipe.h).
void linkWithRecipe(const LinkRecipe& recipe, const ModuleSpec& spec, const std::vector<std::string>& members,
                    const std::string& objDir, const std::string& dir) {
  const std::string& name = spec.name;
  if (recipe.hasModuleCommon)
    fs::copy_file(recipe.moduleCommonObject(), dir + "/.module-common.o", fs::copy_options::overwrite_existing);
  {
    // What kbuild's rules would have written: the module's object list and modules.order.
    std::ofstream mod(fmt::format("{}/{}.mod", dir, name));
    for (const auto& m : members) mod << (recipe.runsInModuleDir ? "./" + m : dir + "/" + m) << "\n";
    std::ofstream(dir + "/modules.order") << recipe.pathInModule(dir, name + ".o") << "\n";
  }

  std::string log;
  auto step = [&](const std::string& what, const std::vector<std::string>& argv) {
    kbuild::ProcessOptions o;
    o.cwd = recipe.workingDirectory(dir, objDir);
    kbuild::ProcessResult r = kbuild::runProcess(argv, o);
    log += fmt::format("== {}\n", what);
    for (const auto& w : argv) log += w + " ";
    log += "\n" + r.output;
    if (r.status != 0) {
      std::ofstream(dir + "/kbuild.log") << log;
      throw elf::InputError(dir + "/kbuild.log", fmt::format("kbuild's {} failed for the patch module: {}", what,
                                                             kbuild::firstErrorLine(r.output)));
    }
  };
  auto shell = [&](const std::string& what, const std::string& command) {
    step(what, {"/bin/sh", "-c", instantiate(command, dir, name)});
  };
  shell("compile of the patch table", recipe.compileTable);
  std::ofstream(dir + "/.lpb-table.o.cmd") << fmt::format("savedcmd_{} := lp-build\n", recipe.pathInModule(dir, "lpb-table.o"));
  shell("link and objtool", recipe.link);
  shell("modpost", recipe.modpost);
  std::string modText = kbuild::readFile(dir + "/" + name + ".mod.c");
  fs::create_directories(dir + "/pch");
  std::vector<std::string> fast =
      precompiledModCCommand(recipe, modText, dir, name, dir + "/pch/" + name + ".mod.c", dir + "/" + name + ".mod.o");
  if (!fast.empty()) step(".mod.o compile (precompiled header)", fast);
  else shell(".mod.o compile", recipe.compileModC);
  shell("final link", recipe.linkKo);
  std::ofstream(dir + "/kbuild.log") << log;
}

}  // namespace

ModuleResult buildPatchModule(const LinkRecipe& recipe, const std::string& runtimeDir, const std::string& objDir,
                              const ModuleSpec& spec, const std::string& dir, const LinkOptions& link) {
  fs::create_directories(dir);
  std::ofstream(dir + "/lpb-table.c") << tableSource(spec);
  fs::copy_file(runtimeDir + "/lpb-table.h", dir + "/lpb-table.h", fs::copy_options::overwrite_existing);

  // The objects of the module, in kbuild's order: runtime, table, then the patch objects.
  std::vector<std::string> members = {"lpb-runtime.o", "lpb-table.o"};
  fs::copy_file(recipe.runtimeObject(), dir + "/lpb-runtime.o", fs::copy_options::overwrite_existing);
  for (size_t i = 0; i < spec.objects.size(); ++i) {
    members.push_back(fmt::format("lpb-unit{}.o", i));
    fs::copy_file(spec.objects[i], dir + "/" + members.back(), fs::copy_options::overwrite_existing);
  }
  // modpost reads the kbuild record of every object of the module (for CRCs of exports).
  for (const auto& m : members)
    if (m != "lpb-table.o")
      std::ofstream(fmt::format("{}/.{}.cmd", dir, m)) << fmt::format("savedcmd_{} := lp-build\n", recipe.pathInModule(dir, m));

  if (link.useMake || !recipe.notReplayable.empty()) linkWithMake(spec, members, objDir, dir, link);
  else linkWithRecipe(recipe, spec, members, objDir, dir);

  ModuleResult res;
  res.path = dir + "/" + spec.name + ".ko";
  res.klp = elf::convertKlpRelocations(res.path);
  return res;
}

}  // namespace lpb::module
