// The fuzz targets as plain functions: the libFuzzer entry points (fuzz_*.cpp) call them,
// and the unit tests replay every saved finding (testdata/fuzz/<harness>/) through them
// (tests/unit/FuzzRegressionTest.cpp), in the sanitizer build too.
//
// Each writes the input to a private file (the parsers read files), runs the parser, and
// treats elf::InputError as the parser doing its job; any other exception escaping is a
// finding and aborts, so that libFuzzer keeps the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lpb::fuzz {

// A 4-byte little-endian length N, N bytes of the original object, then the patched
// object: ElfObject::open both, diffObjects, writeDiffObject when patchable.
void diffPair(const uint8_t* data, size_t size);
// A linked image: ElfObject::openAny, its build id, and the DWARF readers.
void linkedImage(const uint8_t* data, size_t size);
// A unified diff: kbuild::readPatch.
void unifiedDiff(const uint8_t* data, size_t size);
// Module.symvers, and the same bytes as kbuild shell text (.cmd records' command lines).
void symversAndShell(const uint8_t* data, size_t size);

// A kbuild `.o.cmd` record's text: the record (source, deps_) and the compile command.
void cmdRecord(const uint8_t* data, size_t size);
// A link-recipe cache file (recipe.json): read, or refused for recording again.
void recipeFile(const uint8_t* data, size_t size);

// A pre-flight unit model (lpb-unit-model's output): read against its schema, for a
// unit with four touched files.
void unitModel(const uint8_t* data, size_t size);

// By harness name (fuzz_diff, fuzz_elf, fuzz_patch, fuzz_symvers, fuzz_cmd, fuzz_recipe,
// fuzz_model);
// nullptr if unknown.
using Harness = void (*)(const uint8_t*, size_t);
Harness harnessNamed(std::string_view name);

}  // namespace lpb::fuzz
