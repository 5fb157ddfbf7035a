// `lp-build ci PATCHDIR`: the CI job. For every patch set in PATCHDIR and every target
// kernel it runs the pre-flight check, builds the module, verifies it in QEMU where the
// kernel's architecture boots there, and writes an artifact directory CI systems keep:
//
//   ARTIFACTS/summary.md     a table for people (a job summary, a merge-request note)
//   ARTIFACTS/junit.xml      one test case per (patch set, kernel), failures with reasons
//   ARTIFACTS/results.json   the same, for tools
//   ARTIFACTS/SHA256SUMS     every other file, as `sha256sum` writes it
//   ARTIFACTS/SET/KERNEL/    livepatch-SET.ko, check.json, check.log, build.json, build.log,
//                            verify.log
//
// Each step is lp-build itself in a child process: a refusal, a bad patch or even a crash
// of one step is a failed test case with its log, never the end of the job. The directory
// is written under a temporary name and renamed when complete.
// Exit status: 0 every case passed, 1 some case failed, 2 bad usage (nothing written).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

#include "arch/Target.h"
#include "cli/Commands.h"
#include "pipeline/Build.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/KernelTree.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lpb::cli {

void addCiCommand(CLI::App& app, CiArgs& a) {
  CLI::App* c = app.add_subcommand("ci", "The CI job: check, build and verify every patch set of a directory on "
                                         "every target kernel, into an artifact directory (JUnit, Markdown, JSON)");
  c->add_option("patchdir", a.patchDir,
                "patch sets: each subdirectory's *.patch/*.diff files (in name order) are one set, and each "
                "top-level *.patch/*.diff file is a set of its own")
      ->required();
  c->add_option("-o,--output", a.output, "the artifact directory (default: lpb-artifacts)");
  c->add_option("--kernel", a.releases, "a target distro kernel by release (repeatable; see lp-build build --kernel)");
  c->add_option("--kernel-root", a.kernelRoot, "where --kernel looks for the distro's files (default /)");
  c->add_option("-s,--sourcedir", a.trees, "a target built kernel tree (repeatable)");
  c->add_flag("--default-kernel", a.defaultKernel, "also lp-build's default kernel (the target when none is named)");
  c->add_flag("--no-verify", a.noVerify, "do not boot the kernels in QEMU");
  c->add_option("--verify-check", a.verifyCheck, "shell command run in each guest while the patch is enabled");
  c->add_option("--cc-launcher", a.ccLauncher, "compiler launcher for every build (ccache, distcc, icecc)");
  c->add_option("-j,--jobs", a.jobs, "parallel compiles per build (default: number of CPUs)");
  c->add_option("--sign-key", a.signKey, "sign every module with this key (with --sign-cert)");
  c->add_option("--sign-cert", a.signCert, "the X.509 certificate of --sign-key");
}

namespace {

using Clock = std::chrono::steady_clock;

struct PatchSet {
  std::string name;
  std::vector<std::string> files;  // absolute
};

struct KernelTarget {
  std::string label;                 // names its artifact directory and JUnit class
  std::vector<std::string> options;  // how `lp-build check/build` are told about it
  const arch::Target* target = nullptr;
  std::string problem;               // why it cannot be used (every case on it is an error)
};

enum class Outcome { Pass, Fail, Error };

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Error: return "error";
  }
  return "?";
}

// One lp-build step of a case; its status follows lp-build's exit codes.
struct Step {
  std::string name;    // check, build
  std::string status;  // ok, refused, error, nochange, crashed, skipped
  int exitCode = 0;
  double seconds = 0;
};

// A step's exit code as the status the step reports (lp-build's exit codes), or "crashed".
std::string stepStatus(int exitCode) {
  std::optional<pipeline::BuildStatus> s = pipeline::statusOfExitCode(exitCode);
  return s ? std::string(pipeline::buildStatusName(*s)) : "crashed";
}

struct CaseResult {
  std::string set, kernel, arch, release, module, verify = "skipped", note;
  Outcome outcome = Outcome::Error;
  std::vector<Step> steps;
  std::vector<std::string> reasons;
  double seconds = 0;
};

bool isPatchFile(const fs::path& p) {
  return fs::is_regular_file(p) && (p.extension() == ".patch" || p.extension() == ".diff");
}

std::vector<PatchSet> findPatchSets(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw elf::InputError(dir, "not a directory of patch sets");
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  std::vector<PatchSet> sets;
  for (const auto& p : entries) {
    if (isPatchFile(p)) {
      sets.push_back({p.stem().string(), {fs::absolute(p).string()}});
    } else if (fs::is_directory(p)) {
      PatchSet s{p.filename().string(), {}};
      for (const auto& f : fs::directory_iterator(p))
        if (isPatchFile(f.path())) s.files.push_back(fs::absolute(f.path()).string());
      std::sort(s.files.begin(), s.files.end());
      if (!s.files.empty()) sets.push_back(std::move(s));
    }
  }
  if (sets.empty()) throw elf::InputError(dir, "no patch sets (*.patch or *.diff files, or subdirectories of them)");
  return sets;
}

// A file-name-safe label; `taken` keeps labels unique.
std::string uniqueLabel(std::string label, std::set<std::string>& taken) {
  for (char& c : label)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '+') c = '_';
  std::string out = label;
  for (int n = 2; !taken.insert(out).second; ++n) out = fmt::format("{}-{}", label, n);
  return out;
}

// Opens the kernel once, here, so that a distro kernel is prepared before its cases run
// and the job knows its architecture (and so whether QEMU can boot it).
void probeKernel(KernelTarget& k, const KernelArgs& args) {
  try {
    kbuild::TreeOptions o = treeOptions(args, [&](const std::string& what) {
      fmt::print(stderr, "lp-build ci: {}: {}\n", k.label, what);
    });
    kbuild::KernelTree tree = kbuild::KernelTree::open(o);
    k.target = arch::targetFor(elf::ElfObject::openAny(tree.vmlinuxPath()));
    if (!k.target) k.problem = tree.vmlinuxPath() + ": an architecture lp-build does not know";
  } catch (const std::exception& e) {
    k.problem = e.what();
  }
}

std::vector<KernelTarget> kernelTargets(const CiArgs& a) {
  std::vector<KernelTarget> out;
  std::set<std::string> taken;
  for (const auto& rel : a.releases) {
    KernelTarget k{uniqueLabel(rel, taken), {"--kernel", rel}, nullptr, {}};
    if (!a.kernelRoot.empty()) k.options.insert(k.options.end(), {"--kernel-root", fs::absolute(a.kernelRoot).string()});
    out.push_back(std::move(k));
  }
  for (const auto& tree : a.trees) {
    std::string abs = fs::absolute(tree).lexically_normal().string();
    out.push_back({uniqueLabel("tree-" + fs::path(abs).filename().string(), taken), {"-s", abs}, nullptr, {}});
  }
  if (a.defaultKernel || out.empty()) out.push_back({uniqueLabel("default", taken), {}, nullptr, {}});
  return out;
}

KernelArgs kernelArgsOf(const KernelTarget& k) {
  KernelArgs args;
  for (size_t i = 0; i + 1 < k.options.size(); i += 2) {
    if (k.options[i] == "--kernel") args.release = k.options[i + 1];
    if (k.options[i] == "--kernel-root") args.root = k.options[i + 1];
    if (k.options[i] == "-s") args.sourceDir = k.options[i + 1];
  }
  return args;
}

// Runs one lp-build step with its output in `log`.
Step runStep(const std::string& name, const std::vector<std::string>& argv, const std::string& log) {
  auto t0 = Clock::now();
  kbuild::ProcessResult r = kbuild::runProcess(argv);
  Step s{name, stepStatus(r.status), r.status, std::chrono::duration<double>(Clock::now() - t0).count()};
  std::string text = fmt::format("$ {}\n{}", fmt::join(argv, " "), r.output);
  if (r.status > 128) text += fmt::format("lp-build ci: the step was killed by signal {}\n", r.status - 128);
  kbuild::writeFileAtomically(log, text);
  return s;
}

json readJson(const std::string& path) {
  std::string text = kbuild::readFile(path);
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

// The last line lp-build printed about the failure (for a step that wrote no report).
std::string lastMessage(const std::string& log) {
  std::string text = kbuild::readFile(log);
  std::string last;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = std::min(text.find('\n', at), text.size());
    std::string line = text.substr(at, end - at);
    if (line.starts_with("lp-build") && line.find(": wrote ") == std::string::npos) last = line;
    at = end + 1;
  }
  return last.empty() ? "no message (see " + fs::path(log).filename().string() + ")" : last;
}

void addCheckReasons(CaseResult& c, const json& report, const std::string& log) {
  for (const auto& f : report.value("findings", json::array()))
    if (f.value("verdict", "") == "refuse")
      c.reasons.push_back(fmt::format("check: refuse [{}] {}: {} ({}:{})", f.value("rule", ""), f.value("entity", ""),
                                      f.value("why", ""), f.value("file", ""), f.value("line", 0)));
  if (c.reasons.empty()) c.reasons.push_back("check: " + lastMessage(log));
}

void addBuildReasons(CaseResult& c, const json& report, const std::string& log) {
  for (const auto& r : report.value("refusals", json::array()))
    c.reasons.push_back(fmt::format("build: refuse [{}] {}: {}", r.value("rule", ""), r.value("name", ""),
                                    r.value("reason", "")));
  if (c.reasons.empty()) c.reasons.push_back("build: " + lastMessage(log));
}

struct CaseContext {
  const CiArgs& args;
  std::string self, dir;  // the case's artifact directory
};

std::vector<std::string> buildCommand(const CaseContext& cx, const PatchSet& set, const KernelTarget& k,
                                      const std::string& module, bool verify) {
  const CiArgs& a = cx.args;
  std::vector<std::string> argv = {cx.self, "build"};
  argv.insert(argv.end(), set.files.begin(), set.files.end());
  argv.insert(argv.end(), k.options.begin(), k.options.end());
  argv.insert(argv.end(), {"-n", module, "-o", cx.dir + "/" + module + ".ko", "--json", cx.dir + "/build.json"});
  if (verify) argv.insert(argv.end(), {"--verify", "--verify-log", cx.dir + "/verify.log"});
  if (verify && !a.verifyCheck.empty()) argv.insert(argv.end(), {"--verify-check", a.verifyCheck});
  if (!a.ccLauncher.empty()) argv.insert(argv.end(), {"--cc-launcher", a.ccLauncher});
  if (a.jobs) argv.insert(argv.end(), {"-j", std::to_string(a.jobs)});
  if (!a.signKey.empty()) argv.insert(argv.end(), {"--sign-key", a.signKey});
  if (!a.signCert.empty()) argv.insert(argv.end(), {"--sign-cert", a.signCert});
  return argv;
}

// check, then build (with --verify where the architecture boots); the first failure ends it.
CaseResult runCase(const CaseContext& cx, const PatchSet& set, const KernelTarget& k) {
  CaseResult c;
  c.set = set.name;
  c.kernel = k.label;
  if (!k.problem.empty()) {
    c.reasons.push_back("kernel: " + k.problem);
    return c;
  }
  c.arch = std::string(k.target->name());
  fs::create_directories(cx.dir);
  std::vector<std::string> check = {cx.self, "check"};
  check.insert(check.end(), set.files.begin(), set.files.end());
  check.insert(check.end(), k.options.begin(), k.options.end());
  check.insert(check.end(), {"--json", cx.dir + "/check.json"});
  c.steps.push_back(runStep("check", check, cx.dir + "/check.log"));
  if (c.steps.back().exitCode != 0) {
    c.outcome = c.steps.back().exitCode == 1 ? Outcome::Fail : Outcome::Error;
    addCheckReasons(c, readJson(cx.dir + "/check.json"), cx.dir + "/check.log");
    return c;
  }

  bool verify = !cx.args.noVerify && k.target->bootsInQemu();
  if (!cx.args.noVerify && !verify) c.note = fmt::format("not verified: lp-build has no QEMU recipe for {}", c.arch);
  std::string module = pipeline::moduleNameFor(set.files, "livepatch-" + set.name);
  c.steps.push_back(runStep("build", buildCommand(cx, set, k, module, verify), cx.dir + "/build.log"));
  json report = readJson(cx.dir + "/build.json");
  c.release = report.value("kernel_release", "");
  if (report.contains("verify")) c.verify = report.value("verify", "");
  int rc = c.steps.back().exitCode;
  if (rc == 0) {
    c.outcome = Outcome::Pass;
    c.module = set.name + "/" + k.label + "/" + module + ".ko";
    return c;
  }
  c.outcome = rc == 1 || rc == 3 ? Outcome::Fail : Outcome::Error;
  if (rc == 3) c.reasons.push_back("build: no change: " + lastMessage(cx.dir + "/build.log"));
  else addBuildReasons(c, report, cx.dir + "/build.log");
  return c;
}

// ---- the reports -------------------------------------------------------------------------

std::string xmlEscape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (u < 0x20 && ch != '\n' && ch != '\t') out += ' ';  // not allowed in XML 1.0
        else out += ch;
    }
  }
  return out;
}

std::string stepsText(const CaseResult& c) {
  std::vector<std::string> parts;
  for (const auto& s : c.steps) parts.push_back(fmt::format("{} {} ({:.1f} s)", s.name, s.status, s.seconds));
  parts.push_back("verify " + c.verify);
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string junitXml(const std::vector<CaseResult>& cases, double seconds) {
  size_t failures = 0, errors = 0;
  for (const auto& c : cases) {
    failures += c.outcome == Outcome::Fail;
    errors += c.outcome == Outcome::Error;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\"", cases.size(), failures, errors);
  x += fmt::format("<testsuites name=\"lp-build ci\" {} time=\"{:.3f}\">\n", counts, seconds);
  x += fmt::format("  <testsuite name=\"lp-build ci\" {} skipped=\"0\" time=\"{:.3f}\">\n", counts, seconds);
  for (const auto& c : cases) {
    x += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xmlEscape(c.kernel),
                     xmlEscape(c.set), c.seconds);
    std::string reasons = fmt::format("{}", fmt::join(c.reasons, "\n"));
    std::string first = c.reasons.empty() ? std::string() : c.reasons.front();
    if (c.outcome != Outcome::Pass) {
      const char* tag = c.outcome == Outcome::Fail ? "failure" : "error";
      x += fmt::format("      <{} message=\"{}\" type=\"{}\">{}</{}>\n", tag, xmlEscape(first),
                       c.steps.empty() ? "kernel" : c.steps.back().status, xmlEscape(reasons), tag);
    }
    std::string out = stepsText(c);
    if (!c.module.empty()) out += "\nmodule: " + c.module;
    if (!c.note.empty()) out += "\n" + c.note;
    x += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n", xmlEscape(out));
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

std::string markdownCell(std::string s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : ch == '\n' ? std::string(" ") : std::string(1, ch);
  return out;
}

std::string summaryMarkdown(const std::vector<CaseResult>& cases) {
  size_t passed = std::count_if(cases.begin(), cases.end(), [](const CaseResult& c) { return c.outcome == Outcome::Pass; });
  std::string md = fmt::format("# lp-build ci: {} of {} passed\n\n", passed, cases.size());
  md += "| patch set | kernel | arch | check | build | verify | result |\n|---|---|---|---|---|---|---|\n";
  for (const auto& c : cases) {
    std::string check = c.steps.size() > 0 ? c.steps[0].status : "-";
    std::string build = c.steps.size() > 1 ? c.steps[1].status : "-";
    std::string kernel = c.release.empty() || c.release == c.kernel ? c.kernel : c.kernel + " (" + c.release + ")";
    md += fmt::format("| {} | {} | {} | {} | {} | {} | **{}** |\n", markdownCell(c.set), markdownCell(kernel),
                      c.arch.empty() ? "-" : c.arch, check, build, c.verify, outcomeName(c.outcome));
  }
  bool anyReason = std::any_of(cases.begin(), cases.end(), [](const CaseResult& c) { return !c.reasons.empty() || !c.note.empty(); });
  if (anyReason) md += "\n## Reasons and notes\n";
  for (const auto& c : cases) {
    for (const auto& r : c.reasons) md += fmt::format("- {} on {}: {}\n", c.set, c.kernel, markdownCell(r));
    if (!c.note.empty()) md += fmt::format("- {} on {}: {}\n", c.set, c.kernel, c.note);
  }
  return md;
}

json resultsJson(const std::vector<CaseResult>& cases) {
  json j;
  j["cases"] = json::array();
  size_t passed = 0;
  for (const auto& c : cases) {
    json steps = json::array();
    for (const auto& s : c.steps)
      steps.push_back({{"step", s.name}, {"status", s.status}, {"exit", s.exitCode}, {"seconds", s.seconds}});
    j["cases"].push_back({{"patch_set", c.set}, {"kernel", c.kernel}, {"arch", c.arch}, {"kernel_release", c.release},
                          {"result", outcomeName(c.outcome)}, {"steps", steps}, {"verify", c.verify},
                          {"module", c.module}, {"reasons", c.reasons}, {"note", c.note}, {"seconds", c.seconds}});
    passed += c.outcome == Outcome::Pass;
  }
  j["passed"] = passed;
  j["failed"] = cases.size() - passed;
  return j;
}

// SHA256SUMS over every file of the directory, by coreutils' sha256sum, paths relative.
void writeChecksums(const std::string& dir) {
  std::vector<std::string> argv = {"sha256sum", "--"};
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  std::sort(files.begin(), files.end());
  argv.insert(argv.end(), files.begin(), files.end());
  kbuild::ProcessOptions o;
  o.cwd = dir;
  kbuild::ProcessResult r = kbuild::runProcess(argv, o);
  if (r.status != 0) throw elf::InputError(dir, "sha256sum failed: " + kbuild::firstErrorLine(r.output));
  kbuild::writeFileAtomically(dir + "/SHA256SUMS", r.output);
}

// The artifact directory may be replaced only if it is empty or an earlier job's.
void checkOutputDir(const std::string& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return;
  if (!fs::is_directory(out, ec)) throw elf::InputError(out, "exists and is not a directory");
  if (!fs::is_empty(out, ec) && !fs::exists(fs::path(out) / "results.json", ec))
    throw elf::InputError(out, "exists and is not an lp-build ci artifact directory (no results.json); not replacing it");
}

void writeReports(const std::string& dir, const std::vector<CaseResult>& cases, double seconds) {
  kbuild::writeFileAtomically(dir + "/junit.xml", junitXml(cases, seconds));
  kbuild::writeFileAtomically(dir + "/summary.md", summaryMarkdown(cases));
  kbuild::writeFileAtomically(dir + "/results.json", resultsJson(cases).dump(2) + "\n");
  writeChecksums(dir);
}

void publish(const std::string& staging, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) fs::remove_all(out);
  fs::rename(staging, out);
}

}  // namespace

int runCi(const CiArgs& a) {
  std::string staging;
  try {
    auto t0 = Clock::now();
    std::vector<PatchSet> sets = findPatchSets(a.patchDir);
    if (a.signKey.empty() != a.signCert.empty())
      throw elf::InputError(a.signKey.empty() ? a.signCert : a.signKey, "--sign-key and --sign-cert go together");
    std::string out = fs::absolute(a.output).lexically_normal().string();
    checkOutputDir(out);
    std::vector<KernelTarget> kernels = kernelTargets(a);
    for (auto& k : kernels) probeKernel(k, kernelArgsOf(k));

    kbuild::removeEntriesOfDeadProcesses(fs::path(out).parent_path().string(), ".lpb-tmp");  // killed jobs
    staging = fmt::format("{}.lpb-tmp{}", out, ::getpid());
    fs::remove_all(staging);
    fs::create_directories(staging);
    CaseContext cx{a, kbuild::selfExecutable(), {}};
    std::vector<CaseResult> cases;
    size_t n = 0, total = sets.size() * kernels.size();
    for (const auto& k : kernels)
      for (const auto& set : sets) {
        cx.dir = fmt::format("{}/{}/{}", staging, set.name, k.label);
        auto t = Clock::now();
        CaseResult c = runCase(cx, set, k);
        c.seconds = std::chrono::duration<double>(Clock::now() - t).count();
        fmt::print(stderr, "lp-build ci: [{}/{}] {} on {}: {}: {}{}\n", ++n, total, set.name, k.label, stepsText(c),
                   outcomeName(c.outcome), c.reasons.empty() ? "" : " (" + c.reasons.front() + ")");
        cases.push_back(std::move(c));
      }
    writeReports(staging, cases, std::chrono::duration<double>(Clock::now() - t0).count());
    publish(staging, out);
    bool allPassed = std::all_of(cases.begin(), cases.end(), [](const CaseResult& c) { return c.outcome == Outcome::Pass; });
    fmt::print(stderr, "lp-build ci: {} case(s), {}; artifacts in {}\n", cases.size(),
               allPassed ? "all passed" : "some failed", out);
    return allPassed ? 0 : 1;
  } catch (const std::exception& e) {
    std::error_code ec;
    if (!staging.empty()) fs::remove_all(staging, ec);
    fmt::print(stderr, "lp-build: {}\n", e.what());
    return 2;
  }
}

}  // namespace lpb::cli
