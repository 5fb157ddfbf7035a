#include "module/PatchModule.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>

#include "elfgen/ElfObject.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::module {

namespace {

std::string cIdent(std::string s) {
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

std::string cString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string metadataSource(const ModuleSpec& spec) {
  std::string c;
  c += "// SPDX-License-Identifier: GPL-2.0\n";
  c += fmt::format("// {}: livepatch metadata written by lp-build.\n", spec.name);
  c += "#include <linux/module.h>\n#include <linux/kernel.h>\n#include <linux/livepatch.h>\n\n";

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
    c += cb.kind == "pre_patch" ? fmt::format("extern int {}(struct klp_object *obj);\n", cb.symbol)
                                : fmt::format("extern void {}(struct klp_object *obj);\n", cb.symbol);
  c += "\n";

  for (const auto& o : objects) {
    std::string id = cIdent(o);
    c += fmt::format("static struct klp_func lpb_funcs_{}[] = {{\n", id);
    for (const auto& f : spec.functions)
      if (f.object == o)
        c += fmt::format("\t{{ .old_name = {}, .new_func = {}, .old_sympos = {} }},\n", cString(f.oldName), f.newSymbol,
                         f.oldSympos);
    c += "\t{ }\n};\n\n";
    // One callback of each kind per object: several from different units run in order.
    for (const char* kind : {"pre_patch", "post_patch", "pre_unpatch", "post_unpatch"}) {
      std::vector<std::string> fns;
      for (const auto& cb : spec.callbacks)
        if (cb.object == o && cb.kind == kind) fns.push_back(cb.symbol);
      if (fns.empty()) continue;
      bool isPre = std::string_view(kind) == "pre_patch";
      c += fmt::format("static {} lpb_{}_{}(struct klp_object *obj)\n{{\n", isPre ? "int" : "void", kind, id);
      if (isPre) {
        c += "\tint ret;\n\n";
        for (const auto& fn : fns) c += fmt::format("\tret = {}(obj);\n\tif (ret)\n\t\treturn ret;\n", fn);
        c += "\treturn 0;\n";
      } else {
        for (const auto& fn : fns) c += fmt::format("\t{}(obj);\n", fn);
      }
      c += "}\n\n";
    }
  }

  c += "static struct klp_object lpb_objects[] = {\n";
  for (const auto& o : objects) {
    std::string id = cIdent(o);
    c += "\t{\n";
    c += o == "vmlinux" ? "\t\t.name = NULL,\n" : fmt::format("\t\t.name = {},\n", cString(o));
    c += fmt::format("\t\t.funcs = lpb_funcs_{},\n", id);
    for (const char* kind : {"pre_patch", "post_patch", "pre_unpatch", "post_unpatch"}) {
      bool any = false;
      for (const auto& cb : spec.callbacks) any |= cb.object == o && cb.kind == kind;
      if (any) c += fmt::format("\t\t.callbacks.{} = lpb_{}_{},\n", kind, kind, id);
    }
    c += "\t},\n";
  }
  c += "\t{ }\n};\n\n";
  c += fmt::format("static struct klp_patch lpb_patch = {{\n\t.mod = THIS_MODULE,\n\t.objs = lpb_objects,\n"
                   "\t.replace = {},\n}};\n\n",
                   spec.replace ? "true" : "false");
  c += "static int __init lpb_patch_init(void)\n{\n\treturn klp_enable_patch(&lpb_patch);\n}\n\n";
  c += "static void __exit lpb_patch_exit(void)\n{\n}\n\n";
  c += "module_init(lpb_patch_init);\nmodule_exit(lpb_patch_exit);\n";
  c += "MODULE_LICENSE(\"GPL\");\n";
  c += fmt::format("MODULE_DESCRIPTION({});\n", cString(spec.description));
  c += "MODULE_INFO(livepatch, \"Y\");\n";
  for (const auto& ns : spec.namespaces) c += fmt::format("MODULE_IMPORT_NS({});\n", ns);
  return c;
}

ModuleResult buildPatchModule(const kbuild::KernelTree& tree, std::string_view kbuildArch, const std::string& compiler,
                              const ModuleSpec& spec, const std::string& dir, unsigned jobs) {
  fs::create_directories(dir);
  std::string modName = spec.name;
  std::ofstream(dir + "/lpb-patch.c") << metadataSource(spec);

  // The patch objects are linked as they are: kbuild has no rule to rebuild an object
  // without a source, so it takes the file that is there.
  std::string kbuildText = fmt::format("# Written by lp-build.\nobj-m := {}.o\n{}-y := lpb-patch.o", modName, modName);
  for (size_t i = 0; i < spec.objects.size(); ++i) {
    std::string name = fmt::format("lpb-unit{}.o", i);
    fs::copy_file(spec.objects[i], dir + "/" + name, fs::copy_options::overwrite_existing);
    // modpost reads the kbuild record of every object of the module.
    std::ofstream(fmt::format("{}/.{}.cmd", dir, name)) << fmt::format("savedcmd_{}/{} := lp-build diff\n", dir, name);
    kbuildText += " " + name;
  }
  kbuildText += "\n";
  std::ofstream(dir + "/Kbuild") << kbuildText;

  std::vector<std::string> argv = {"make", "-C", tree.objDir(), fmt::format("M={}", dir), fmt::format("-j{}", jobs),
                                   "modules"};
  if (!kbuildArch.empty()) argv.push_back(fmt::format("ARCH={}", kbuildArch));
  if (tree.configValue("CONFIG_CC_IS_CLANG") == "y") argv.push_back("LLVM=1");
  std::string base = compiler.substr(compiler.rfind('/') + 1);
  if (base.size() > 3 && base.ends_with("-gcc"))
    argv.push_back("CROSS_COMPILE=" + compiler.substr(0, compiler.size() - 3));
  kbuild::ProcessOptions o;
  o.cwd = dir;
  kbuild::ProcessResult r = kbuild::runProcess(argv, o);
  std::ofstream(dir + "/kbuild.log") << r.output;
  std::string ko = dir + "/" + modName + ".ko";
  if (r.status != 0 || !fs::exists(ko))
    throw elf::InputError(dir + "/kbuild.log", fmt::format("kbuild could not link the patch module: {}",
                                                           kbuild::firstErrorLine(r.output)));
  ModuleResult res;
  res.path = ko;
  res.klp = elf::convertKlpRelocations(ko);
  return res;
}

}  // namespace lpb::module
