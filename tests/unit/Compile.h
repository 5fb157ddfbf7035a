// Test helper: compile a C snippet with the compiler of an architecture, at test time,
// so unit tests run on real compiler output rather than hand-written bytes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace lpb::test {

struct Toolchain {
  std::string arch;      // lp-build's name for it
  std::string compiler;  // command; empty when not installed
  std::string flags;     // kernel-like flags for that architecture
};

inline bool haveCommand(const std::string& cmd) {
  std::string probe = "command -v " + cmd.substr(0, cmd.find(' ')) + " >/dev/null 2>&1";
  return std::system(probe.c_str()) == 0;
}

inline std::vector<Toolchain> toolchains() {
  const std::string common = " -O2 -c -ffreestanding -nostdinc -fno-common -ffunction-sections -fdata-sections -fno-PIE ";
  std::vector<Toolchain> all{
      {"x86_64", "gcc", common + "-mcmodel=kernel -mno-red-zone -pg -mfentry -mrecord-mcount"},
      // ppc64le: the code model lp-build compiles vmlinux units with for a module (arch/PPC64.cpp).
      {"ppc64le", "powerpc64le-linux-gnu-gcc", common + "-mprofile-kernel -pg -mcmodel=large"},
      {"aarch64", "aarch64-linux-gnu-gcc", common + "-fpatchable-function-entry=2 -mgeneral-regs-only"},
      {"s390x", "s390x-linux-gnu-gcc", common + "-pg -mfentry -mnop-mcount -mrecord-mcount"},
      {"loongarch64", "clang-16 --target=loongarch64-linux-gnu", common + "-pg"},
  };
  for (auto& t : all)
    if (!haveCommand(t.compiler)) t.compiler.clear();
  return all;
}

// Compiles `source` and returns the object's path (in a fresh temporary directory).
inline std::optional<std::string> compile(const Toolchain& t, const std::string& source, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("lpb-unit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path c = dir / (name + "-" + t.arch + ".c"), o = dir / (name + "-" + t.arch + ".o");
  std::ofstream(c) << source;
  std::string cmd = t.compiler + t.flags + " " + c.string() + " -o " + o.string();
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return o.string();
}

}  // namespace lpb::test
