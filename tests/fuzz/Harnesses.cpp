#include "tests/fuzz/Harnesses.h"


#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "differ/Differ.h"
#include "elfgen/DwarfTypes.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Patch.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Shell.h"
#include "module/LinkRecipe.h"
#include "preflight/Model.h"
#include "relocs/KernelSymbols.h"

namespace lpb::fuzz {
namespace {

// A file holding the bytes; `tag` tells several apart. The name is the same in every run
// (no pid): the paths reach error messages, whose compares libFuzzer's mutations learn
// from, and a fixed-seed run (fuzz.sh --ci) must take the same inputs each time. So one
// fuzz run at a time per machine.
std::string inputFile(const char* tag, const uint8_t* data, size_t size) {
  std::string path = std::string("/dev/shm/lpb-fuzz-") + tag;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

template <typename Body>
void expectOnlyInputErrors(Body&& body) {
  try {
    body();
  } catch (const elf::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpb-fuzz: finding: an exception that is not an input error: %s\n", e.what());
    std::abort();
  }
}

}  // namespace

void diffPair(const uint8_t* data, size_t size) {
  if (size < 4) return;
  size_t n = size_t(data[0]) | size_t(data[1]) << 8 | size_t(data[2]) << 16 | size_t(data[3]) << 24;
  if (n > size - 4) return;
  std::string orig = inputFile("orig.o", data + 4, n);
  std::string patched = inputFile("patched.o", data + 4 + n, size - 4 - n);
  std::string out = inputFile("out.o", nullptr, 0);
  expectOnlyInputErrors([&] {
    elf::ElfObject a = elf::ElfObject::open(orig);
    elf::ElfObject b = elf::ElfObject::open(patched);
    differ::DiffResult r = differ::diffObjects(a, b, differ::DiffOptions{});
    if (r.verdict == differ::Verdict::Patchable) differ::writeDiffObject(r, out);
  });
}

void linkedImage(const uint8_t* data, size_t size) {
  std::string path = inputFile("image", data, size);
  expectOnlyInputErrors([&] { (void)elf::ElfObject::openAny(path).buildId(); });
  expectOnlyInputErrors([&] { (void)elf::structSizes(path, {"bug_entry", "jump_entry", "exception_table_entry"}); });
  expectOnlyInputErrors([&] { (void)elf::typeLayouts(path); });
  expectOnlyInputErrors([&] { (void)elf::compileUnitNames(path); });
}

void unifiedDiff(const uint8_t* data, size_t size) {
  std::string path = inputFile("patch.diff", data, size);
  expectOnlyInputErrors([&] { (void)kbuild::readPatch(path); });
}

void symversAndShell(const uint8_t* data, size_t size) {
  std::string path = inputFile("Module.symvers", data, size);
  expectOnlyInputErrors([&] { (void)relocs::readSymvers(path); });
  std::string_view text(reinterpret_cast<const char*>(data), size);
  expectOnlyInputErrors([&] {
    for (const auto& step : kbuild::splitShellSteps(text)) (void)kbuild::splitShellWords(step);
  });
}

void cmdRecord(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  expectOnlyInputErrors([&] { (void)kbuild::parseCmdRecord("fs/proc/devices.o", text, "/src"); });
  expectOnlyInputErrors([&] { (void)kbuild::parseCompileCommand("fs/proc/devices.o", text, "fs/proc/.devices.o.cmd", "/obj"); });
}

void recipeFile(const uint8_t* data, size_t size) {
  std::string path = inputFile("recipe.json", data, size);
  expectOnlyInputErrors([&] { (void)module::readRecipeFile(path, "/recipes/x"); });
}

void unitModel(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  expectOnlyInputErrors([&] { (void)preflight::readModel(text, "fs/proc/version.c", 4); });
}

Harness harnessNamed(std::string_view name) {
  if (name == "fuzz_diff") return diffPair;
  if (name == "fuzz_elf") return linkedImage;
  if (name == "fuzz_patch") return unifiedDiff;
  if (name == "fuzz_symvers") return symversAndShell;
  if (name == "fuzz_cmd") return cmdRecord;
  if (name == "fuzz_recipe") return recipeFile;
  if (name == "fuzz_model") return unitModel;
  return nullptr;
}

}  // namespace lpb::fuzz
