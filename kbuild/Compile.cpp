#include "kbuild/Compile.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>

#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::kbuild {

std::vector<std::string> differCompileArgs(const CompileCommand& c, const std::string& output,
                                           const std::vector<std::string>& extraIncludes,
                                           const std::vector<std::string>& extraFlags) {
  std::vector<std::string> args;
  for (size_t i = 0; i < c.compiler.size(); ++i) {
    const std::string& w = c.compiler[i];
    // kbuild's dependency file would be written beside the user's object: drop it.
    if (w.starts_with("-Wp,-MMD,") || w.starts_with("-Wp,-MD,")) continue;
    if (w == "-o" && i + 1 < c.compiler.size()) {
      args.push_back("-o");
      args.push_back(output);
      ++i;
      continue;
    }
    if (w == "-c") {
      for (const auto& inc : extraIncludes) args.push_back("-I" + inc);  // as withIncludesBeforeCompile
      args.push_back("-ffunction-sections");
      args.push_back("-fdata-sections");
      args.insert(args.end(), extraFlags.begin(), extraFlags.end());
    }
    args.push_back(w);
  }
  return args;
}

namespace {

// The cache key of an original object: the command and the identity of every input.
std::string originalKey(const KernelTree& tree, const Unit& unit, const std::vector<std::string>& args) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (const auto& a : args) XXH3_64bits_update(st, a.data(), a.size() + 1);
  for (const auto& d : tree.dependencies(unit)) {
    struct stat s{};
    ::stat(d.c_str(), &s);
    XXH3_64bits_update(st, d.data(), d.size() + 1);
    int64_t id[3] = {int64_t(s.st_size), int64_t(s.st_mtim.tv_sec), int64_t(s.st_mtim.tv_nsec)};
    XXH3_64bits_update(st, id, sizeof id);
  }
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return fmt::format("{:016x}", h);
}

std::string flatName(std::string object) {
  for (char& c : object)
    if (c == '/') c = '_';
  return object;
}

}  // namespace

std::vector<UnitObjects> compileUnits(const KernelTree& tree, const ShadowTree& shadow, const std::vector<Unit>& units,
                                      const CompileSettings& s) {
  std::vector<UnitObjects> out;
  std::vector<std::vector<std::string>> jobs;
  std::vector<ProcessOptions> opts;
  struct Pending {
    size_t unit;
    bool original;
    std::string tmp, final;
  };
  std::vector<Pending> pending;
  fs::create_directories(s.workDir + "/orig");
  fs::create_directories(s.workDir + "/patched");
  if (!s.cacheDir.empty()) fs::create_directories(s.cacheDir);

  for (size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    CompileCommand orig = tree.compileCommand(u);
    CompileCommand patched = shadow.patchedCommand(tree, orig);
    UnitObjects uo;
    uo.unit = u;
    std::string name = flatName(u.object);
    uo.patched = s.workDir + "/patched/" + name;

    std::vector<std::string> flags;
    if (s.target && u.linkedInto == "vmlinux")
      for (std::string_view f : s.target->moduleCodeModelFlags()) flags.emplace_back(f);
    std::vector<std::string> origArgs = differCompileArgs(orig, "@OUT@", s.extraIncludes, flags);
    std::string cached;
    if (!s.cacheDir.empty()) {
      cached = s.cacheDir + "/" + name.substr(0, name.size() - 2) + "-" + originalKey(tree, u, origArgs) + ".o";
      uo.originalFromCache = fs::exists(cached);
    }
    uo.original = cached.empty() ? s.workDir + "/orig/" + name : cached;
    if (!uo.originalFromCache) {
      // Compiled to a temporary name and renamed: a killed run never leaves half an object.
      std::string tmp = s.workDir + "/orig/" + name;
      for (auto& a : origArgs)
        if (a == "@OUT@") a = tmp;
      jobs.push_back(origArgs);
      opts.push_back(ProcessOptions{orig.cwd, "", true, {}});
      pending.push_back({i, true, tmp, uo.original});
    }
    jobs.push_back(differCompileArgs(patched, uo.patched, s.extraIncludes, flags));
    opts.push_back(ProcessOptions{patched.cwd, "", true, {}});
    pending.push_back({i, false, uo.patched, uo.patched});
    out.push_back(std::move(uo));
  }

  for (auto& argv : jobs) argv.insert(argv.begin(), s.launcher.begin(), s.launcher.end());
  auto t0 = std::chrono::steady_clock::now();
  std::vector<ProcessResult> results = runParallel(jobs, opts, s.jobs);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t j = 0; j < results.size(); ++j) {
    const Pending& p = pending[j];
    const Unit& u = units[p.unit];
    if (results[j].status != 0) {
      std::string where = p.original ? tree.sourceDir() + "/" + u.source : shadow.root() + "/" + u.source;
      throw elf::InputError(where, fmt::format("{} does not compile{}: {}", p.original ? "the original" : "the patched",
                                               p.original ? " (is the tree built with this compiler?)" : "",
                                               firstErrorLine(results[j].output)));
    }
    if (p.original && p.tmp != p.final) {
      copyFileAtomically(p.tmp, p.final);
    }
    out[p.unit].seconds = secs;
    if (s.progress) s.progress(fmt::format("compiled {} ({})", u.source, p.original ? "original" : "patched"));
  }
  return out;
}

std::string lpbIncludeDir(const std::string& dataDir) { return dataDir + "/include"; }

std::vector<std::string> withIncludesBeforeCompile(const std::vector<std::string>& compiler,
                                                   const std::vector<std::string>& includes) {
  std::vector<std::string> out;
  for (const auto& w : compiler) {
    if (w == "-c")
      for (const auto& inc : includes) out.push_back("-I" + inc);
    out.push_back(w);
  }
  return out;
}

CompileSettings standardCompileSettings(const std::string& dataDir, const std::string& cacheRoot,
                                        const std::string& workDir) {
  CompileSettings s;
  s.workDir = workDir;
  s.cacheDir = cacheRoot + "/objects";
  s.extraIncludes = {lpbIncludeDir(dataDir)};
  return s;
}

}  // namespace lpb::kbuild
