// The per-patch half of the module: the table source (compiled here with the host
// compiler, as kbuild would, and read back) and the replay of kbuild's recorded commands.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "elfgen/ElfObject.h"
#include "module/LinkRecipe.h"
#include "module/PatchModule.h"
#include "tests/unit/Compile.h"

namespace fs = std::filesystem;
using namespace lpb;

namespace {

module::ModuleSpec sampleSpec() {
  module::ModuleSpec spec;
  spec.name = "livepatch-fix";
  spec.description = "fixes \"quotes\" and \\ backslashes\nfrom a file name with a newline";
  spec.replace = false;
  spec.functions = {{"vmlinux", "cmdline_proc_show", 0, "__lpb_u0_cmdline_proc_show"},
                    {"vmlinux", "type_show", 2, "__lpb_u0_type_show"},
                    {"binfmt_misc", "bm_status_write", 0, "__lpb_u1_bm_status_write"}};
  spec.callbacks = {{"binfmt_misc", "pre_patch", "__lpb_u1_pre_a"},
                    {"binfmt_misc", "pre_patch", "__lpb_u1_pre_b"},
                    {"binfmt_misc", "post_unpatch", "__lpb_u1_post_unpatch"}};
  spec.namespaces = {"CRYPTO_INTERNAL"};
  return spec;
}

std::string sectionText(const elf::ElfObject& o, std::string_view name) {
  const elf::Section* s = o.findSection(name);
  return s ? std::string(reinterpret_cast<const char*>(s->data.data()), s->data.size()) : std::string();
}

}  // namespace

TEST_CASE("the patch table compiles without kernel headers and carries the metadata") {
  std::string source = module::tableSource(sampleSpec());
  // kbuild finds lpb-table.h beside the table; here it is included from the source tree.
  std::string header = std::string(LPB_SOURCE_DIR) + "/module/runtime/lpb-table.h";
  size_t at = source.find("\"lpb-table.h\"");
  REQUIRE(at != std::string::npos);
  source.replace(at, 13, "\"" + header + "\"");
  test::Toolchain gcc = test::toolchains().at(0);
  REQUIRE(!gcc.compiler.empty());
  gcc.flags += " -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes";
  auto obj = test::compile(gcc, source, "lpb-table");
  REQUIRE(obj);
  elf::ElfObject o = elf::ElfObject::open(*obj);

  bool table = false;
  std::set<std::string> undefined;
  for (const auto& s : o.symbols) {
    if (s.name == "lpb_table") table = s.isDefined() && s.bind == 1 /*STB_GLOBAL*/;
    if (!s.name.empty() && s.shndx == 0) undefined.insert(std::string(s.name));
  }
  CHECK(table);
  // The new functions and callbacks are the only outside references.
  CHECK(undefined == std::set<std::string>{"__lpb_u0_cmdline_proc_show", "__lpb_u0_type_show",
                                           "__lpb_u1_bm_status_write", "__lpb_u1_pre_a", "__lpb_u1_pre_b",
                                           "__lpb_u1_post_unpatch"});
  std::string modinfo = sectionText(o, ".modinfo");
  CHECK(modinfo.find(std::string("description=fixes \"quotes\" and \\ backslashes\nfrom a file name with a newline") +
                     '\0') != std::string::npos);
  CHECK(modinfo.find(std::string("import_ns=CRYPTO_INTERNAL") + '\0') != std::string::npos);
  // Function names and the module name are strings of the table.
  std::string ro;
  for (const auto& s : o.sections)
    if (s.name.starts_with(".rodata")) ro += sectionText(o, s.name);
  for (const char* n : {"cmdline_proc_show", "type_show", "bm_status_write", "binfmt_misc"})
    CHECK(ro.find(std::string(n) + '\0') != std::string::npos);
  // vmlinux first (name NULL), then the module; replace off; sympos 2 written as such.
  CHECK(source.find(".nr_objects = 2") != std::string::npos);
  CHECK(source.find(".replace = 0") != std::string::npos);
  CHECK(source.find("{ \"type_show\", (void *)__lpb_u0_type_show, 2 }") != std::string::npos);
  CHECK(source.find("__lpb_u1_pre_a,\n\t__lpb_u1_pre_b,\n\t0") != std::string::npos);
  CHECK(source.find(".post_unpatch = lpb_post_unpatch_binfmt_misc") != std::string::npos);
}

TEST_CASE("recorded kbuild commands are instantiated for a module") {
  std::string cmd = "gcc -DKBUILD_MODNAME='\"@MOD@\"' -c -o @DIR@/@FILE@.mod.o @DIR@/@FILE@.mod.c";
  CHECK(module::instantiate(cmd, "/w/m", "livepatch-fix-2") ==
        "gcc -DKBUILD_MODNAME='\"livepatch_fix_2\"' -c -o /w/m/livepatch-fix-2.mod.o /w/m/livepatch-fix-2.mod.c");
}

TEST_CASE("the precompiled .mod.c compile redefines the module's own macros after the header") {
  fs::path dir = fs::temp_directory_path() / ("lpb-pch-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  module::LinkRecipe r;
  r.compileModC = "gcc -DMODULE -DKBUILD_MODNAME='\"@MOD@\"' -D__KBUILD_MODNAME=kmod_@MOD@ -c -o @DIR@/@FILE@.mod.o "
                  "@DIR@/@FILE@.mod.c";
  r.compileModCPrecompiled = {"gcc", "-include", "/r/mod-prelude.h", "-DMODULE", "-DKBUILD_MODNAME=\"lpbprobe_mod\"",
                              "-D__KBUILD_MODNAME=kmod_lpbprobe_mod", "-c", "-o", "@OUT@", "@SRC@"};
  r.modCIncludes = "#include <linux/module.h>\n\n";
  std::string src = (dir / "pch.c").string(), out = (dir / "x.mod.o").string();

  std::vector<std::string> argv =
      module::precompiledModCCommand(r, "#include <linux/module.h>\n\nMODULE_INFO(name, KBUILD_MODNAME);\n",
                                     dir.string(), "livepatch-fix", src, out);
  REQUIRE(argv.size() == 10);
  CHECK(argv[8] == out);
  CHECK(argv[9] == src);
  std::ifstream in(src);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() ==
        "#include <linux/module.h>\n\n"
        "#undef KBUILD_MODNAME\n#define KBUILD_MODNAME \"livepatch_fix\"\n"
        "#undef __KBUILD_MODNAME\n#define __KBUILD_MODNAME kmod_livepatch_fix\n"
        "MODULE_INFO(name, KBUILD_MODNAME);\n");

  // A .mod.c that does not start as the header does is compiled the plain way.
  CHECK(module::precompiledModCCommand(r, "#include <linux/other.h>\n", dir.string(), "livepatch-fix", src, out)
            .empty());
  // So is everything when the recording found the header unusable.
  r.compileModCPrecompiled.clear();
  CHECK(module::precompiledModCCommand(r, "#include <linux/module.h>\n\n", dir.string(), "x", src, out).empty());
  fs::remove_all(dir);
}

TEST_CASE("a recipe names the module's files the way its kbuild does") {
  module::LinkRecipe before;  // Linux 6.12: make runs in the tree's object directory
  CHECK(before.pathInModule("/w/m", "lpb-table.o") == "/w/m/lpb-table.o");
  CHECK(before.workingDirectory("/w/m", "/k/obj") == "/k/obj");
  module::LinkRecipe since;  // Linux 6.13 and later: in the module's own directory
  since.runsInModuleDir = true;
  CHECK(since.pathInModule("/w/m", "lpb-table.o") == "lpb-table.o");
  CHECK(since.workingDirectory("/w/m", "/k/obj") == "/w/m");
}

TEST_CASE("a recipe file without the working-directory field is recorded again") {
  fs::path d = fs::temp_directory_path() / ("lpb-recipe-" + std::to_string(::getpid()));
  fs::create_directories(d);
  // Format 5 had no runs_in_module_dir: such a file must not be replayed from the wrong place.
  std::ofstream(d / "recipe.json") << R"({"format": 5, "compile_table": "", "link": "", "modpost": "",
    "compile_mod_c": "", "link_ko": "", "compile_mod_c_precompiled": [], "mod_c_includes": "",
    "not_replayable": "", "module_common": true})";
  CHECK_FALSE(module::readRecipeFile((d / "recipe.json").string(), d.string()).has_value());
  fs::remove_all(d);
}
