// kbuild records, patches and the shadow tree, on a small tree laid out the way kbuild
// leaves a built kernel (.NAME.o.cmd files, modules.order, NAME.mod), and GNU patch.
#include <doctest/doctest.h>

#include <algorithm>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Patch.h"
#include "kbuild/Shell.h"

using namespace lpb;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An in-tree "built kernel": fs/a.c in vmlinux, fs/b.c in module m, both read include/x.h.
fs::path makeTree() {
  fs::path t = fs::temp_directory_path() / ("lpb-kbuild-test-" + std::to_string(::getpid()));
  fs::remove_all(t);
  write(t / "Makefile", "# top\n");
  fs::create_directories(t / "kernel");
  write(t / ".config", "CONFIG_LIVEPATCH=y\nCONFIG_LOCALVERSION=\"\"\n# CONFIG_X is not set\n");
  write(t / "include/x.h", "#define X 1\n");
  write(t / "fs/a.c", "#include \"../include/x.h\"\nint a(void)\n{\n\treturn X;\n}\n");
  write(t / "fs/b.c", "#include \"../include/x.h\"\nint b(void)\n{\n\treturn X + 1;\n}\n");
  for (const char* u : {"a", "b"}) {
    std::string o = std::string("fs/") + u + ".o";
    write(t / "fs" / (std::string(".") + u + ".o.cmd"),
          "savedcmd_" + o + " := gcc -Wp,-MMD,fs/." + u + ".o.d -DKBUILD_MODNAME='\"" + u +
              "\"' -D\"QUOTED=1\" -O2 -c -o " + o + " fs/" + u + ".c ; ./tools/objtool/objtool --orc " + o +
              "\n\nsource_" + o + " := fs/" + u + ".c\n\ndeps_" + o + " := \\\n  include/x.h \\\n" +
              "    $(wildcard include/config/X) \\\n\n" + o + ": $(deps_" + o + ")\n\n$(deps_" + o + "):\n");
  }
  write(t / "modules.order", "fs/m.o\n");
  write(t / "fs/m.mod", "fs/b.o\n");
  return t;
}

}  // namespace

TEST_CASE("kbuild command lines split the way the shell splits them") {
  auto steps = kbuild::splitShellSteps("gcc -D'A;B' -c x.c ; objtool x.o;true");
  REQUIRE(steps.size() == 3);
  CHECK(steps[0] == "gcc -D'A;B' -c x.c");
  auto words = kbuild::splitShellWords("gcc -DKBUILD_MODNAME='\"proc\"' -D\"A B\" a\\ b  -c");
  REQUIRE(words.size() == 5);
  CHECK(words[1] == "-DKBUILD_MODNAME=\"proc\"");
  CHECK(words[2] == "-DA B");
  CHECK(words[3] == "a b");
}

TEST_CASE("units, their objects and their commands come from kbuild's records") {
  fs::path t = makeTree();
  kbuild::TreeOptions o;
  o.sourceDir = t.string();
  kbuild::KernelTree tree = kbuild::KernelTree::open(o);
  CHECK(tree.configValue("CONFIG_LIVEPATCH") == "y");
  CHECK(tree.configValue("CONFIG_X").empty());

  auto byHeader = tree.unitsAffectedBy({"include/x.h"});
  REQUIRE(byHeader.size() == 2);
  CHECK(byHeader[0].object == "fs/a.o");
  CHECK(byHeader[0].linkedInto == "vmlinux");
  CHECK(byHeader[1].object == "fs/b.o");
  CHECK(byHeader[1].linkedInto == "m");
  auto bySource = tree.unitsAffectedBy({"fs/b.c"});
  REQUIRE(bySource.size() == 1);
  CHECK(bySource[0].linkedInto == "m");
  CHECK(tree.unitsAffectedBy({"fs/none.c"}).empty());

  kbuild::CompileCommand c = tree.compileCommand(byHeader[0]);
  CHECK(c.objectArg == "fs/a.o");
  CHECK(c.sourceArg == "fs/a.c");
  CHECK(c.postSteps.size() == 1);
  CHECK(std::find(c.compiler.begin(), c.compiler.end(), "-DKBUILD_MODNAME=\"a\"") != c.compiler.end());
  auto deps = tree.dependencies(byHeader[0]);
  CHECK(std::find(deps.begin(), deps.end(), (t / "include/x.h").string()) != deps.end());
  fs::remove_all(t);
}

TEST_CASE("a patch is applied in the shadow tree, never in the user's") {
  fs::path t = makeTree();
  kbuild::TreeOptions o;
  o.sourceDir = t.string();
  kbuild::KernelTree tree = kbuild::KernelTree::open(o);
  fs::path diff = t.string() + "-fix.diff";
  write(diff, "From: someone\nSubject: fix\n---\n--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1,5 +1,5 @@\n #include \"../include/x.h\"\n"
              " int a(void)\n {\n-\treturn X;\n+\treturn X + 41;\n }\n");
  kbuild::Patch p = kbuild::readPatch(diff.string());
  REQUIRE(p.files.size() == 1);
  CHECK(p.files[0].path == "fs/a.c");
  std::string before = read(t / "fs/a.c");

  fs::path shadowDir = t.string() + "-shadow";
  fs::remove_all(shadowDir);
  kbuild::ShadowTree shadow = kbuild::ShadowTree::create(tree, {p}, shadowDir.string());
  CHECK(read(t / "fs/a.c") == before);
  CHECK(read(shadowDir / "fs/a.c").find("X + 41") != std::string::npos);
  CHECK(fs::is_symlink(shadowDir / "fs/b.c"));
  CHECK(fs::is_symlink(shadowDir / "include"));
  CHECK(shadow.touchedFiles() == std::vector<std::string>{"fs/a.c"});
  // An in-tree build names files relative to the top: the patched compile runs in the shadow.
  kbuild::CompileCommand pc = shadow.patchedCommand(tree, tree.compileCommand(tree.unitsAffectedBy({"fs/a.c"}).at(0)));
  CHECK(pc.cwd == shadowDir.string());

  // A patch that does not apply names itself, and the tree stays as it was.
  fs::path bad = t.string() + "-bad.diff";
  write(bad, "--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1,3 +1,3 @@\n-no such line\n+x\n context\n");
  fs::remove_all(shadowDir);
  CHECK_THROWS_WITH_AS(kbuild::ShadowTree::create(tree, {kbuild::readPatch(bad.string())}, shadowDir.string()),
                       doctest::Contains((bad.string() + ": does not apply").c_str()), elf::InputError);
  CHECK(read(t / "fs/a.c") == before);
  // Not a diff, and a path that escapes the tree.
  fs::path notDiff = t.string() + "-not.diff";
  write(notDiff, "hello\n");
  CHECK_THROWS_AS(kbuild::readPatch(notDiff.string()), elf::InputError);
  fs::path escape = t.string() + "-escape.diff";
  write(escape, "--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n");
  CHECK_THROWS_WITH_AS(kbuild::readPatch(escape.string()), doctest::Contains("bad file name"), elf::InputError);
  for (const auto& f : {diff, bad, notDiff, escape, shadowDir}) fs::remove_all(f);
  fs::remove_all(t);
}

TEST_CASE("processes run from several threads get their own exit statuses") {
  // build runs the compiles in one thread while another runs gcc --version and kbuild: a
  // wait for any child in one thread would take the other's statuses.
  auto many = [](int code) {
    std::vector<int> st;
    for (int i = 0; i < 40; ++i)
      st.push_back(lpb::kbuild::runProcess({"sh", "-c", "exit " + std::to_string(code)}).status);
    return st;
  };
  auto a = std::async(std::launch::async, many, 3);
  auto b = std::async(std::launch::async, many, 4);
  auto c = std::async(std::launch::async, many, 5);
  CHECK(a.get() == std::vector<int>(40, 3));
  CHECK(b.get() == std::vector<int>(40, 4));
  CHECK(c.get() == std::vector<int>(40, 5));
}

TEST_CASE("a file written atomically is whole, and a failed write leaves the old one") {
  fs::path dir = fs::temp_directory_path() / ("lpb-atomic-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "report.json").string();
  kbuild::writeFileAtomically(path, "old\n");
  kbuild::writeFileAtomically(path, std::string(100000, 'x'));
  CHECK(kbuild::readFile(path).size() == 100000);
  // Nothing but the file: the temporary was renamed, not left beside it.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  CHECK_THROWS_AS(kbuild::writeFileAtomically((dir / "no-such-dir" / "f").string(), "x"), elf::InputError);
  fs::remove_all(dir);
}

TEST_CASE("programs are found in PATH the way the shell finds them") {
  CHECK(kbuild::findProgram("sh").ends_with("/sh"));
  CHECK(kbuild::findProgram("/bin/sh") == "/bin/sh");
  CHECK(kbuild::findProgram("lpb-no-such-program").empty());
  CHECK(kbuild::findProgram("").empty());
}

TEST_CASE("hunk headers are read with the files, and a malformed one is bad input") {
  fs::path dir = fs::temp_directory_path() / ("lpb-hunks-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string good = (dir / "good.diff").string();
  write(good, "--- a/fs/x.c\n+++ b/fs/x.c\n@@ -10,3 +10,4 @@ int f(void)\n a\n+b\n c\n d\n@@ -40 +41 @@\n-e\n+f\n"
              "--- a/fs/y.h\n+++ b/fs/y.h\n@@ -1,2 +1,2 @@\n-g\n+h\n i\n");
  kbuild::Patch p = kbuild::readPatch(good);
  REQUIRE(p.files.size() == 2);
  REQUIRE(p.files[0].hunks.size() == 2);
  CHECK(p.files[0].hunks[0].oldStart == 10);
  CHECK(p.files[0].hunks[0].newLines == 4);
  CHECK(p.files[0].hunks[1].oldLines == 1);  // "-40": one line
  CHECK(p.files[0].hunks[1].newStart == 41);
  CHECK(p.files[1].hunks.size() == 1);
  for (const char* bad : {"@@ -99999999999999999999,1 +1 @@\n", "@@ -1,x +1 @@\n", "@@ garbage\n"}) {
    std::string path = (dir / "bad.diff").string();
    write(path, std::string("--- a/fs/x.c\n+++ b/fs/x.c\n") + bad + "-a\n+b\n");
    CHECK_THROWS_AS(kbuild::readPatch(path), elf::InputError);
  }
  fs::remove_all(dir);
}
