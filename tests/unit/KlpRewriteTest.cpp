// The .klp.rela rewrite on a real relocatable object linked with ld -r, as kbuild links a
// module: references to `.klp.sym.*` symbols move to livepatch relocation sections.
#include <doctest/doctest.h>

#include <elf.h>

#include <cstdlib>
#include <filesystem>

#include "Compile.h"
#include "elfgen/ElfObject.h"
#include "elfgen/KlpRewrite.h"

using namespace lpb;

TEST_CASE("references to .klp.sym symbols become livepatch relocations") {
  test::Toolchain gcc{"x86_64", "gcc", " -O2 -c -fno-PIE -ffunction-sections -fdata-sections "};
  // What the differ writes for a static of vmlinux and an unexported global of a module,
  // next to an ordinary (exported) reference.
  const char* src =
      "extern int saved __attribute__((weak));\n"
      "extern int other(int) __attribute__((weak));\n"
      "extern int exported(int);\n"
      "int use(int x) { return saved + other(x) + exported(x); }\n";
  auto obj = test::compile(gcc, src, "klprw");
  REQUIRE(obj);
  // The assembler cannot spell a name with a comma; the differ writes ELF directly, and
  // objcopy renames like it.
  std::string renamed = *obj + ".klp.o", ko = *obj + ".ko";
  REQUIRE(std::system(("objcopy --redefine-sym saved=.klp.sym.vmlinux.saved_value,2 "
                       "--redefine-sym other=.klp.sym.binfmt_misc.bm_other,0 " + *obj + " " + renamed).c_str()) == 0);
  REQUIRE(std::system(("ld -r " + renamed + " -o " + ko).c_str()) == 0);

  elf::KlpRewriteStats st = elf::convertKlpRelocations(ko);
  CHECK(st.symbols == 2);
  CHECK(st.sections == 2);
  CHECK(st.relocationsByObject["vmlinux"] == 1);
  CHECK(st.relocationsByObject["binfmt_misc"] == 1);

  elf::ElfObject e = elf::ElfObject::openAny(ko);
  for (const auto& s : e.symbols)
    if (s.name.starts_with(".klp.sym.")) {
      CHECK(s.shndx == 0xff20);  // SHN_LIVEPATCH
      CHECK(s.bind == STB_GLOBAL);
    }
  const elf::Section* text = e.findSection(".text.use");
  REQUIRE(text);
  unsigned klpSections = 0;
  for (const auto& sec : e.sections) {
    if (!sec.name.starts_with(".klp.rela.")) continue;
    ++klpSections;
    CHECK(sec.type == SHT_RELA);
    CHECK((sec.flags & 0x00100000) != 0);  // SHF_RELA_LIVEPATCH
    CHECK((sec.flags & SHF_ALLOC) != 0);
    CHECK(sec.info == text->index);
    CHECK((sec.name == ".klp.rela.vmlinux..text.use" || sec.name == ".klp.rela.binfmt_misc..text.use"));
  }
  CHECK(klpSections == 2);
  // What stays in .rela.text.use: the exported call alone (ElfObject merges every RELA
  // section of a target into Section::relocs, so look at the section itself).
  const elf::Section* rela = e.findSection(".rela.text.use");
  REQUIRE(rela);
  CHECK(rela->size == rela->entsize);
  unsigned toExported = 0, toKlp = 0;
  for (const auto& r : text->relocs) {
    toExported += e.symbols[r.sym].name == "exported";
    toKlp += e.symbols[r.sym].name.starts_with(".klp.sym.");
  }
  CHECK(toExported == 1);
  CHECK(toKlp == 2);
  // A second pass finds nothing more to do.
  CHECK(elf::convertKlpRelocations(ko).sections == 0);
}
