// Type facts from DWARF debug information, read with libdwarf.
//
// Two users: the kernel profile asks vmlinux how big the structs behind special-section
// entries are (`struct bug_entry`, `struct jump_entry`, ...: their sizes depend on the
// architecture, the version and the configuration); the differ asks a compilation unit,
// built original and patched, whether the patch changed the layout of a type that
// code outside the patch still uses.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lpb::elf {

// Byte sizes of the named struct types (defined, not declared) in `path`'s DWARF.
// Missing names are absent from the result. Throws InputError when `path` has no DWARF.
std::map<std::string, uint64_t> structSizes(const std::string& path, const std::set<std::string>& names);

// Every named struct, union and enum type defined in one object's DWARF, each with a
// one-line description of its layout: the size, then every member as name@offset:type
// (an enum: every enumerator as name=value). Equal strings mean equal layouts.
// Keyed "struct foo", "union bar", "enum baz"; an anonymous type behind a typedef by the
// typedef's name ("struct Node" for `typedef struct {...} Node`), any other anonymous enum
// by its first enumerator ("enum enum:Enabled"), as the pre-flight checker names them.
// Empty when the object has no DWARF.
std::map<std::string, std::string> typeLayouts(const std::string& path);

// One parameter of a function as a calling convention sees it.
struct ParameterLayout {
  enum class Class { Integer, Float, Aggregate } cls = Class::Integer;
  uint64_t size = 0, align = 0;  // bytes
};
struct FunctionSignature {
  std::vector<ParameterLayout> params;
  bool variadic = false;  // ends in `...`
};
// The signatures of the named functions defined (or declared) in `path`'s DWARF, keyed by
// name; names the DWARF does not describe are absent. Throws InputError when `path` has
// no DWARF.
std::map<std::string, FunctionSignature> functionSignatures(const std::string& path,
                                                            const std::set<std::string>& names);

// The DW_AT_name of every compilation unit in `path` (the source files a linked image was
// built from, as the compiler was given them: "fs/proc/meminfo.c", "../fs/x.c", or
// absolute). Throws InputError when `path` has no DWARF.
std::vector<std::string> compileUnitNames(const std::string& path);

}  // namespace lpb::elf
