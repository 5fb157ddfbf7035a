// The ELF model and writer on real compiler output for every architecture installed.
#include <doctest/doctest.h>
#include <elf.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "Compile.h"
#include "arch/Target.h"
#include "elfgen/ElfObject.h"
#include "elfgen/ObjectWriter.h"

using namespace lpb;

static const char* kSource = R"(
extern int __might_sleep(const char *file, int line);
static int counter;
int visible(int x) { __might_sleep("f.c", 123); counter += x; return counter; }
)";

TEST_CASE("objects of every architecture are read and matched to their target") {
  for (const auto& t : test::toolchains()) {
    if (t.compiler.empty()) {
      MESSAGE("skipped " << t.arch << ": its compiler is not installed (scripts/install-deps.sh --tests)");
      continue;
    }
    CAPTURE(t.arch);
    auto obj = test::compile(t, kSource, "read");
    REQUIRE(obj);
    elf::ElfObject e = elf::ElfObject::open(*obj);
    const arch::Target* target = arch::targetFor(e);
    REQUIRE(target);
    CHECK(target->name() == t.arch);
    const elf::Section* text = e.findSection(".text.visible");
    REQUIRE(text);
    CHECK(!text->relocs.empty());
    bool found = false;
    for (const auto& s : e.symbols) found |= s.name == "visible" && s.type == STT_FUNC && s.shndx == text->index;
    CHECK(found);
    // Decoding walks the whole function, instruction by instruction.
    auto insns = target->decode(e, *text);
    REQUIRE(insns);
    uint64_t end = 0;
    for (const auto& i : *insns) {
      CHECK(i.offset == end);
      end = i.offset + i.length;
    }
    CHECK(end == text->size);
  }
}

TEST_CASE("line-number loads are told apart from other differences, per architecture") {
  for (const auto& t : test::toolchains()) {
    if (t.compiler.empty()) {
      MESSAGE("skipped " << t.arch << ": its compiler is not installed");
      continue;
    }
    CAPTURE(t.arch);
    std::string a = kSource, b = kSource, c = kSource;
    b.replace(b.find("123"), 3, "456");
    c.replace(c.find("counter += x"), 12, "counter -= x");
    auto oa = test::compile(t, a, "line-a"), ob = test::compile(t, b, "line-b"), oc = test::compile(t, c, "line-c");
    REQUIRE((oa && ob && oc));
    elf::ElfObject ea = elf::ElfObject::open(*oa), eb = elf::ElfObject::open(*ob), ec = elf::ElfObject::open(*oc);
    const arch::Target* target = arch::targetFor(ea);
    auto differing = [&](const elf::ElfObject& x, const elf::ElfObject& y) {
      const elf::Section& sx = *x.findSection(".text.visible");
      const elf::Section& sy = *y.findSection(".text.visible");
      auto ix = target->decode(x, sx), iy = target->decode(y, sy);
      int lineLoads = 0, others = 0;
      REQUIRE(ix->size() == iy->size());
      for (size_t i = 0; i < ix->size(); ++i) {
        auto bx = sx.data.subspan((*ix)[i].offset, (*ix)[i].length);
        auto by = sy.data.subspan((*iy)[i].offset, (*iy)[i].length);
        if (std::equal(bx.begin(), bx.end(), by.begin(), by.end())) continue;
        (target->isLineNumberLoadPair(bx, by, x.byteOrder) ? lineLoads : others)++;
      }
      return std::pair{lineLoads, others};
    };
    auto [lines, other] = differing(ea, eb);
    CHECK(lines >= 1);
    CHECK(other == 0);
    if (ea.findSection(".text.visible")->size == ec.findSection(".text.visible")->size) {
      auto [lines2, other2] = differing(ea, ec);
      CHECK(lines2 == 0);
      CHECK(other2 >= 1);
    }
  }
}

TEST_CASE("the object writer's output reads back") {
  namespace fs = std::filesystem;
  elf::ObjectWriter w(EM_X86_64, 0, ELFDATA2LSB, 0);
  elf::OutSection text;
  text.name = ".text.f";
  text.type = SHT_PROGBITS;
  text.flags = SHF_ALLOC | SHF_EXECINSTR;
  text.addralign = 16;
  text.data = {0xe8, 0, 0, 0, 0, 0xc3};
  uint32_t sec = w.addSection(text);
  uint32_t ext = w.addSymbol({"callee", 0, 0, STT_FUNC, STB_GLOBAL, 0, SHN_UNDEF, true});
  w.addSymbol({"f", 0, 6, STT_FUNC, STB_LOCAL, 0, sec, false});
  w.section(sec).relocs.push_back({1, R_X86_64_PLT32, ext, -4});
  fs::path out = fs::temp_directory_path() / "lpb-unit-writer.o";
  w.write(out.string());
  elf::ElfObject e = elf::ElfObject::open(out.string());
  const elf::Section* s = e.findSection(".text.f");
  REQUIRE(s);
  REQUIRE(s->relocs.size() == 1);
  CHECK(e.symbols[s->relocs[0].sym].name == "callee");
  CHECK(s->relocs[0].addend == -4);
  // Locals come first in the symbol table, as ELF requires.
  bool seenGlobal = false, orderOk = true;
  for (const auto& y : e.symbols) {
    if (y.bind != STB_LOCAL) seenGlobal = true;
    else if (seenGlobal) orderOk = false;
  }
  CHECK(orderOk);
  fs::remove(out);
}

TEST_CASE("bad input is reported with the file name, never a crash") {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / "lpb-unit-bad.o";
  {
    std::ofstream f(p);
    f << "this is not an ELF file";
  }
  try {
    elf::ElfObject::open(p.string());
    FAIL("expected an InputError");
  } catch (const elf::InputError& e) {
    CHECK(std::string(e.what()).find(p.string()) != std::string::npos);
    CHECK(std::string(e.what()).find("not an ELF file") != std::string::npos);
  }
  CHECK_THROWS_AS(elf::ElfObject::open((fs::temp_directory_path() / "lpb-no-such-file.o").string()), elf::InputError);
  fs::remove(p);
}

TEST_CASE("the GNU build id of a linked image, as readelf shows it") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("lpb-buildid-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string src = (dir / "m.c").string(), exe = (dir / "m").string(), noid = (dir / "m-noid").string();
  std::ofstream(src) << "int main(void) { return 0; }\n";
  REQUIRE(std::system(("gcc -Wl,--build-id=sha1 -o " + exe + " " + src).c_str()) == 0);
  REQUIRE(std::system(("gcc -Wl,--build-id=none -o " + noid + " " + src).c_str()) == 0);
  std::string want = (dir / "want").string();
  REQUIRE(std::system(("readelf -n " + exe + " | sed -n 's/.*Build ID: //p' > " + want).c_str()) == 0);
  std::ifstream in(want);
  std::string hex;
  std::getline(in, hex);
  CHECK(hex.size() == 40);
  CHECK(elf::ElfObject::openAny(exe).buildId() == hex);
  CHECK(elf::ElfObject::openAny(noid).buildId().empty());
  fs::remove_all(dir);
}

TEST_CASE("readIdentity reads the machine from the header alone, in the file's byte order") {
  for (const auto& t : lpb::test::toolchains()) {
    if (t.compiler.empty() || (t.arch != "ppc64le" && t.arch != "s390x")) continue;
    auto obj = lpb::test::compile(t, "int f(int x) { return x + 1; }\n", "identity");
    REQUIRE(obj);
    lpb::elf::ElfIdentity id = lpb::elf::readIdentity(*obj);
    CHECK(id.machine == (t.arch == "ppc64le" ? EM_PPC64 : EM_S390));
    CHECK(id.byteOrder == (t.arch == "ppc64le" ? ELFDATA2LSB : ELFDATA2MSB));
    const lpb::arch::Target* target = lpb::arch::targetFor(id);
    REQUIRE(target != nullptr);
    CHECK(target->name() == t.arch);
  }
  std::string shortFile = std::filesystem::temp_directory_path() / "lpb-short-elf";
  std::ofstream(shortFile) << "\x7f" "ELF\x02\x01";
  CHECK_THROWS_AS(lpb::elf::readIdentity(shortFile), lpb::elf::InputError);
  CHECK_THROWS_AS(lpb::elf::readIdentity("/nonexistent/vmlinux"), lpb::elf::InputError);
  std::filesystem::remove(shortFile);
}

TEST_CASE("objects of the boot stub and the vDSO are told apart per architecture") {
  CHECK(arch::isInArchNotKernelDirectory("arch/x86/boot/cpu.o"));
  CHECK(arch::isInArchNotKernelDirectory("arch/x86/entry/vdso/vclock_gettime.o"));
  CHECK_FALSE(arch::isInArchNotKernelDirectory("arch/x86/kernel/process.o"));
  CHECK(arch::isInArchNotKernelDirectory("arch/arm64/kernel/vdso/vgettimeofday.o"));
  CHECK_FALSE(arch::isInArchNotKernelDirectory("arch/arm64/kernel/setup.o"));
  CHECK(arch::isInArchNotKernelDirectory("arch/powerpc/kernel/vdso/gettimeofday.o"));
  CHECK(arch::isInArchNotKernelDirectory("arch/s390/boot/startup.o"));
  CHECK(arch::isInArchNotKernelDirectory("arch/loongarch/vdso/vgetcpu.o"));
  CHECK_FALSE(arch::isInArchNotKernelDirectory("fs/boot/x.o"));
  CHECK_FALSE(arch::isInArchNotKernelDirectory("arch/unknown/boot/x.o"));
}
