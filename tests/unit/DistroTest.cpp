// A distro kernel's files found where distributions install them (kbuild/DistroTree).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "elfgen/ElfObject.h"
#include "kbuild/DistroTree.h"

using namespace lpb;
namespace fs = std::filesystem;

namespace {
void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x\n";
}
}  // namespace

TEST_CASE("--kernel finds Debian's files under a root, and names the package of a missing one") {
  fs::path root = fs::temp_directory_path() / ("lpb-distro-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string rel = "6.12.117+deb12-cloud-amd64";
  touch(root / "boot" / ("config-" + rel));
  touch(root / "boot" / ("vmlinuz-" + rel));
  touch(root / "usr/src" / ("linux-headers-" + rel) / "Module.symvers");
  fs::create_directories(root / "lib/modules" / rel / "kernel");
  fs::create_directories(root / "usr/lib/debug/lib/modules" / rel);

  // No debug vmlinux yet: the error names where it looked and the -dbg package.
  try {
    kbuild::findDistroFiles(rel, root.string(), {});
    FAIL("no error for a missing vmlinux");
  } catch (const elf::InputError& e) {
    std::string m = e.what();
    CHECK(m.find((root / "usr/lib/debug/boot").string()) == 0);
    CHECK(m.find("linux-image-" + rel + "-dbg") != std::string::npos);
  }

  touch(root / "usr/lib/debug/boot" / ("vmlinux-" + rel));
  kbuild::DistroFiles f = kbuild::findDistroFiles(rel, root.string(), {});
  CHECK(f.config == (root / "boot" / ("config-" + rel)).string());
  CHECK(f.vmlinux == (root / "usr/lib/debug/boot" / ("vmlinux-" + rel)).string());
  CHECK(f.symvers == (root / "usr/src" / ("linux-headers-" + rel) / "Module.symvers").string());
  CHECK(f.modulesDir == (root / "lib/modules" / rel).string());
  CHECK(f.vmlinuz == (root / "boot" / ("vmlinuz-" + rel)).string());
  CHECK(f.debugModulesDir == (root / "usr/lib/debug/lib/modules" / rel).string());

  // A file given explicitly is kept, found or not.
  kbuild::DistroFiles given;
  given.config = "/elsewhere/config";
  CHECK(kbuild::findDistroFiles(rel, root.string(), given).config == "/elsewhere/config");
  fs::remove_all(root);
}
