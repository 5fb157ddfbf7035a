// The ppc64le stack-argument rule (arch/PPC64.cpp, checkStackArguments): which functions
// receive arguments in their caller's frame under ELFv2, and whether the kernel's livepatch
// entry, read from its source tree, keeps that frame where the new function expects it.
// The kernel trees here are fake: just the file the rule reads, shaped like 6.12's
// (a separate livepatch stack) and like the first ppc64le livepatch support (a stack frame
// opened on the way to the new function).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "Compile.h"
#include "arch/Target.h"

namespace fs = std::filesystem;
using lpb::arch::Target;
using Param = Target::Parameter;

namespace {

struct FakeTree {
  std::string root;
  FakeTree(const std::string& file, const std::string& text) {
    char tmpl[] = "/tmp/lpb-fake-kernel-XXXXXX";
    root = mkdtemp(tmpl);
    fs::create_directories(fs::path(root + "/" + file).parent_path());
    std::ofstream(root + "/" + file) << text;
  }
  ~FakeTree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

// 6.12 (arch/powerpc/kernel/trace/ftrace_entry.S): the handler keeps the caller's TOC and
// return address on the per-thread livepatch stack and leaves r1 alone.
const char* kSeparateStack = R"(
	bne-	livepatch_handler
livepatch_handler:
	ld	r12, PACA_THREAD_INFO(r13)
	ld	r11, TI_livepatch_sp(r12)
	addi	r11, r11, 24
	std	r11, TI_livepatch_sp(r12)
	std	r2, -24(r11)
	mflr	r12
	std	r12, -16(r11)
	bctrl
)";

// The first ppc64le livepatch support (arch/powerpc/kernel/entry_64.S): a stack frame for
// a TOC-restoring return helper is opened before the branch to the new function.
const char* kAddsFrame = R"(
	bne-	livepatch_handler
livepatch_handler:
	stdu	r1, -STACK_FRAME_MIN_SIZE(r1)
	std	r2, 24(r1)
	LOAD_REG_ADDR(r0, klp_return_helper)
	mtlr	r0
	bctr
klp_return_helper:
	ld	r2, 24(r1)
	addi	r1, r1, STACK_FRAME_MIN_SIZE
	blr
)";

std::vector<Param> integers(unsigned n) { return std::vector<Param>(n, Param{Param::Class::Integer, 8, 8}); }

const Target& ppc64le() {
  const Target* t = lpb::arch::targetNamed("ppc64le");
  REQUIRE(t != nullptr);
  return *t;
}

}  // namespace

TEST_CASE("ppc64le ELFv2: which functions receive arguments on the stack") {
  FakeTree tree("arch/powerpc/kernel/trace/ftrace_entry.S", kSeparateStack);
  const Target& t = ppc64le();
  CHECK_FALSE(t.checkStackArguments(integers(8), false, tree.root).onStack);  // r3-r10
  CHECK(t.checkStackArguments(integers(9), false, tree.root).onStack);        // the ninth is in the save area
  CHECK(t.checkStackArguments(integers(1), true, tree.root).onStack);         // varargs: va_arg walks the save area
  CHECK(t.checkStackArguments({}, true, tree.root).onStack);
  // A 40-byte struct by value takes five doublewords: with four more integers, nine.
  std::vector<Param> big = integers(4);
  big.push_back({Param::Class::Aggregate, 40, 8});
  CHECK(t.checkStackArguments(big, false, tree.root).onStack);
  std::vector<Param> fits = integers(3);
  fits.push_back({Param::Class::Aggregate, 40, 8});
  CHECK_FALSE(t.checkStackArguments(fits, false, tree.root).onStack);
  // A quadword-aligned aggregate starts at an even doubleword: 7 + pad + 2 = 10.
  std::vector<Param> aligned = integers(7);
  aligned.push_back({Param::Class::Aggregate, 16, 16});
  CHECK(t.checkStackArguments(aligned, false, tree.root).onStack);
  // Floating-point arguments use up doubleword positions too.
  std::vector<Param> mixed = integers(5);
  for (int i = 0; i < 4; ++i) mixed.push_back({Param::Class::Float, 8, 8});
  CHECK(t.checkStackArguments(mixed, false, tree.root).onStack);
}

TEST_CASE("ppc64le: stack arguments are safe when the livepatch handler keeps a separate stack (6.12)") {
  FakeTree tree("arch/powerpc/kernel/trace/ftrace_entry.S", kSeparateStack);
  Target::StackArguments r = ppc64le().checkStackArguments(integers(9), false, tree.root);
  CHECK(r.onStack);
  CHECK(r.safe);
  CHECK(r.reason.find("livepatch_sp") != std::string::npos);
}

TEST_CASE("ppc64le: stack arguments are refused when the livepatch entry opens a stack frame") {
  FakeTree tree("arch/powerpc/kernel/entry_64.S", kAddsFrame);
  Target::StackArguments r = ppc64le().checkStackArguments(integers(9), false, tree.root);
  CHECK(r.onStack);
  CHECK_FALSE(r.safe);
  CHECK(r.reason.find("opens a stack frame") != std::string::npos);
  Target::StackArguments varargs = ppc64le().checkStackArguments(integers(2), true, tree.root);
  CHECK_FALSE(varargs.safe);
  // Register arguments are not affected by the frame.
  CHECK(ppc64le().checkStackArguments(integers(8), false, tree.root).safe);
}

TEST_CASE("ppc64le: stack arguments are refused when no livepatch handler is found") {
  FakeTree tree("arch/powerpc/kernel/entry_64.S", "/* no livepatch support */\n");
  Target::StackArguments r = ppc64le().checkStackArguments(integers(10), false, tree.root);
  CHECK(r.onStack);
  CHECK_FALSE(r.safe);
}

TEST_CASE("x86_64's livepatch entry does not move the stack: no stack-argument rule") {
  const Target* x86 = lpb::arch::targetNamed("x86_64");
  REQUIRE(x86 != nullptr);
  Target::StackArguments r = x86->checkStackArguments(integers(12), true, "/nonexistent");
  CHECK(r.safe);
}

// The object-level half of the rule: the differ reads a patch target's parameters from the
// patched object's DWARF (elf::functionSignatures) and asks the same question.
TEST_CASE("ppc64le: parameters read from DWARF, as the differ asks the rule") {
  lpb::test::Toolchain ppc;
  for (const auto& t : lpb::test::toolchains())
    if (t.arch == "ppc64le") ppc = t;
  if (ppc.compiler.empty()) {
    MESSAGE("skipped: powerpc64le-linux-gnu-gcc is not installed (scripts/install-deps.sh --tests)");
    return;
  }
  ppc.flags += " -g";
  auto obj = lpb::test::compile(ppc, R"(
struct pair { long a, b; };
struct wide { long a; } __attribute__((aligned(16)));
typedef struct pair pair_t;
int ten(long a, long b, long c, long d, long e, long f, long g, long h, void *ns, const void *key) { return a + (ns == key); }
int eight(long a, long b, long c, long d, long e, long f, long g, long h) { return a + h; }
int logf_(int level, const char *fmt, ...) { return level + (fmt != 0); }
double mixed(double x, const pair_t p, struct wide w) { return x + p.a + w.a; }
)", "signatures");
  REQUIRE(obj);
  auto sigs = lpb::elf::functionSignatures(*obj, {"ten", "eight", "logf_", "mixed", "absent"});
  CHECK(sigs.count("absent") == 0);
  REQUIRE(sigs.count("ten") == 1);
  CHECK(sigs["ten"].params.size() == 10);
  CHECK_FALSE(sigs["ten"].variadic);
  CHECK(sigs["logf_"].variadic);
  CHECK(sigs["logf_"].params.size() == 2);
  const auto& m = sigs["mixed"].params;
  REQUIRE(m.size() == 3);
  CHECK(m[0].cls == Param::Class::Float);
  CHECK(m[1].cls == Param::Class::Aggregate);  // through a typedef and const
  CHECK(m[1].size == 16);
  CHECK(m[2].align == 16);

  FakeTree tree("arch/powerpc/kernel/trace/ftrace_entry.S", kSeparateStack);
  const Target& t = ppc64le();
  CHECK(t.checkStackArguments(sigs["ten"].params, false, tree.root).onStack);
  CHECK(t.checkStackArguments(sigs["ten"].params, false, tree.root).safe);
  CHECK_FALSE(t.checkStackArguments(sigs["eight"].params, false, tree.root).onStack);
  CHECK(t.checkStackArguments(sigs["logf_"].params, true, tree.root).onStack);
}

TEST_CASE("ppc64le: what every module gets from its own link, never from vmlinux") {
  const Target& t = ppc64le();
  for (const char* yes : {".TOC.", "_restgpr0_29", "_savegpr0_14", "_restgpr0_31", "_savevr_20", "_restfpr_31"})
    CHECK_MESSAGE(t.isSuppliedToEveryModule(yes), yes);
  for (const char* no : {"TOC.", "_restgpr0_13", "_restgpr0_", "_restgpr0_29x", "_savevr_19", "_restgpr0_032",
                         "printk", "_restgpr0_32"})
    CHECK_FALSE_MESSAGE(t.isSuppliedToEveryModule(no), no);
  CHECK_FALSE(lpb::arch::targetNamed("x86_64")->isSuppliedToEveryModule(".TOC."));
}
