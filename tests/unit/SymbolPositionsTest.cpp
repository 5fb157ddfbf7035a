// sympos on real linked output: two files each with a static `helper`.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "Compile.h"
#include "relocs/SymbolPositions.h"

using namespace lpb;

TEST_CASE("static symbols are numbered the way the kernel counts them") {
  // The host compiler, without the kernel's profiling calls: the image is linked for real.
  test::Toolchain gcc{"x86_64", "gcc", " -O2 -c -fno-PIE -ffunction-sections -fdata-sections "};
  const char* a = "static int __attribute__((noinline)) helper(int x) { return x + 1; }\n"
                  "int only_in_a; int use_a(int x) { return helper(x); }\n";
  const char* b = "static int __attribute__((noinline)) helper(int x) { return x * 3; }\n"
                  "static int __attribute__((noinline)) lonely(int x) { return x - 7; } int use_b(int x) { return helper(x) + lonely(x); }\n";
  auto oa = test::compile(gcc, a, "posa"), ob = test::compile(gcc, b, "posb");
  REQUIRE((oa && ob));
  namespace fs = std::filesystem;
  fs::path dir = fs::path(*oa).parent_path();
  std::string relocatable = (dir / "ab-reloc.o").string(), image = (dir / "ab-image").string();
  REQUIRE(std::system(("ld -r " + *ob + " " + *oa + " -o " + relocatable).c_str()) == 0);
  REQUIRE(std::system(("ld -no-pie -e use_a " + *ob + " " + *oa + " -o " + image).c_str()) == 0);

  for (const std::string& path : {relocatable, image}) {
    CAPTURE(path);
    elf::ElfObject e = elf::ElfObject::openAny(path);
    relocs::SymbolPositions pos(e);
    auto inA = pos.positionOf("helper", "posa-x86_64.c");
    auto inB = pos.positionOf("helper", "posb-x86_64.c");
    REQUIRE(inA);
    REQUIRE(inB);
    CHECK(*inA != *inB);
    CHECK((*inA == 1 || *inA == 2));
    CHECK((*inB == 1 || *inB == 2));
    CHECK(pos.positionOf("lonely", "posb-x86_64.c") == 0u);    // unique: no position needed
    CHECK_FALSE(pos.positionOf("helper", "elsewhere.c"));     // not from this file
    CHECK_FALSE(pos.positionOf("missing", "posa-x86_64.c"));  // inlined away
  }
  // In the linked image kallsyms counts by address: b was linked first, so its helper is #1.
  elf::ElfObject img = elf::ElfObject::openAny(image);
  CHECK(relocs::SymbolPositions(img).positionOf("helper", "posb-x86_64.c") == 1u);
}

TEST_CASE("a stripped module (no file symbols) still places a static no other symbol shares") {
  // Distro modules are installed stripped (`strip --strip-debug` also drops STT_FILE):
  // a unique static is unambiguous, same-named ones cannot be told apart.
  test::Toolchain gcc{"x86_64", "gcc", " -O2 -c -fno-PIE -ffunction-sections -fdata-sections "};
  const char* a = "static int __attribute__((noinline)) helper(int x) { return x + 1; }\n"
                  "int use_a(int x) { return helper(x); }\n";
  const char* b = "static int __attribute__((noinline)) helper(int x) { return x * 3; }\n"
                  "static int __attribute__((noinline)) lonely(int x) { return x - 7; }\n"
                  "int use_b(int x) { return helper(x) + lonely(x); }\n";
  auto oa = test::compile(gcc, a, "strpa"), ob = test::compile(gcc, b, "strpb");
  REQUIRE((oa && ob));
  namespace fs = std::filesystem;
  fs::path dir = fs::path(*oa).parent_path();
  std::string linked = (dir / "strp-reloc.o").string(), stripped = (dir / "strp-stripped.o").string();
  REQUIRE(std::system(("ld -r " + *oa + " " + *ob + " -o " + linked).c_str()) == 0);
  REQUIRE(std::system(("objcopy --strip-debug --strip-symbol=strpa-x86_64.c --strip-symbol=strpb-x86_64.c " + linked +
                       " " + stripped).c_str()) == 0);
  elf::ElfObject e = elf::ElfObject::openAny(stripped);
  for (const auto& s : e.symbols) REQUIRE(s.type != 4 /*STT_FILE*/);
  relocs::SymbolPositions pos(e);
  CHECK(pos.positionOf("lonely", "strpb-x86_64.c") == 0u);
  CHECK_FALSE(pos.positionOf("helper", "strpb-x86_64.c"));  // two of them: which one is ours?
}
