#include "cli/Commands.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>

#include "kbuild/DefaultTree.h"
#include "kbuild/Files.h"
#include "kbuild/DistroTree.h"

namespace lpb::cli {

std::map<arch::EntryKind, unsigned> parseStructSizes(const std::vector<std::string>& kvs) {
  std::map<arch::EntryKind, unsigned> out;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : arch::entryKindFromName(kv.substr(0, eq));
    unsigned long n = 0;
    try {
      if (kind) n = std::stoul(kv.substr(eq + 1));
    } catch (...) {
      kind.reset();
    }
    if (!kind || n == 0 || n > 4096)
      throw elf::InputError("--struct-size " + kv,
                            "expected KIND=BYTES with KIND one of " + arch::entryKindNames());
    out[*kind] = unsigned(n);
  }
  return out;
}

std::string dataDir() {
  if (const char* d = std::getenv("LPB_DATA_DIR")) return d;
  // Installed: bin/lp-build beside share/lp-build (CMakeLists.txt's install rules).
  std::error_code ec;
  std::filesystem::path installed =
      std::filesystem::path(kbuild::selfExecutable()).parent_path().parent_path() / "share/lp-build";
  if (std::filesystem::exists(installed / "module/runtime/lpb-runtime.c", ec)) return installed.string();
  return LPB_DATA_DIR;  // a build tree: the sources it was built from
}

std::string cacheRoot() {
  if (const char* c = std::getenv("LPB_CACHE")) return c;
  std::string def = "/var/cache/lp-build";
  std::error_code ec;
  std::filesystem::create_directories(def, ec);
  if (!ec && ::access(def.c_str(), W_OK) == 0) return def;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.cache/lp-build";
}

std::string workRoot() {
  if (const char* w = std::getenv("LPB_WORK")) return w;
  if (std::getenv("LPB_CACHE")) return cacheRoot() + "/work";
  // A build's scratch (shadow tree, objects, the module being linked) creates and deletes
  // a few hundred inodes. On ext4, allocating inodes shortly after deleting others makes
  // the kernel scan for recently deleted ones: about 0.2 s per build, more than the rest
  // of lp-build's own work. A RAM file system has no such cost.
  // /dev/shm is world-writable: the directory must be ours alone (a real directory, our
  // uid, mode 0700), or another user could swap the sources or the module under us. And
  // it must have room (a container's /dev/shm can be 64 MB).
  struct statfs fs{};
  if (::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
      uint64_t(fs.f_bavail) * uint64_t(fs.f_bsize) >= (uint64_t(1) << 30)) {
    std::string mine = fmt::format("/dev/shm/lp-build-{}", ::getuid());
    ::mkdir(mine.c_str(), 0700);
    struct stat st{};
    // (/dev/shm is sticky: nobody else can rename or remove a directory we own in it.)
    if (::lstat(mine.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
        ((st.st_mode & 0077) == 0 || ::chmod(mine.c_str(), 0700) == 0)) {
      std::string dir = mine + "/work";
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (!ec && ::access(dir.c_str(), W_OK) == 0) return dir;
    }
  }
  return cacheRoot() + "/work";
}

void addKernelOptions(CLI::App& cmd, KernelArgs& k) {
  cmd.add_option("-s,--sourcedir", k.sourceDir,
                 "kernel tree: a built tree (or its O= directory), or the pristine source of a distro kernel "
                 "(default: lp-build's default kernel; with --kernel, Debian's linux-source of that version)");
  cmd.add_option("-c,--config", k.config, "kernel .config (default: the tree's, or the distro's for --kernel)");
  cmd.add_option("-v,--vmlinux", k.vmlinux, "vmlinux of the running kernel, with debug info for a distro kernel");
  cmd.add_option("--symvers", k.symvers, "Module.symvers (default: the tree's, or the distro's for --kernel)");
  cmd.add_option("--modules", k.modules, "a distro kernel's installed modules (/lib/modules/RELEASE; .ko, .ko.xz, .ko.zst, .ko.gz)");
  cmd.add_option("--kernel", k.release,
                 "a distro kernel by release (e.g. \"$(uname -r)\"): its config, debug vmlinux, Module.symvers and "
                 "modules where Debian/Ubuntu and Fedora/RHEL install them");
  cmd.add_option("--vmlinuz", k.vmlinuz, "the kernel image --verify boots (default: the tree's bzImage, or the distro's for --kernel)");
  cmd.add_option("--kernel-root", k.root, "where --kernel looks (default /; e.g. a directory `dpkg -x` extracted packages into)");
}

kbuild::TreeOptions treeOptions(const KernelArgs& k, const std::function<void(const std::string&)>& progress) {
  kbuild::TreeOptions o;
  o.config = k.config;
  o.vmlinux = k.vmlinux;
  o.symvers = k.symvers;
  o.modulesDir = k.modules;
  o.bootImage = k.vmlinuz;
  o.cacheRoot = cacheRoot();
  o.jobs = std::max(1u, unsigned(::sysconf(_SC_NPROCESSORS_ONLN)));
  o.progress = progress;
  if (!k.release.empty()) {
    kbuild::DistroFiles f = kbuild::findDistroFiles(k.release, k.root, {k.config, k.vmlinux, k.symvers, k.modules, k.vmlinuz, ""});
    o.config = f.config;
    o.vmlinux = f.vmlinux;
    o.symvers = f.symvers;
    o.modulesDir = f.modulesDir;
    o.bootImage = f.vmlinuz;
    o.debugModulesDir = f.debugModulesDir;
    o.sourceDir = !k.sourceDir.empty() ? k.sourceDir : kbuild::distroSourceDir(dataDir(), k.release, progress);
    return o;
  }
  if (!k.root.empty()) throw elf::InputError("--kernel-root " + k.root, "only means something with --kernel");
  // Without -s: the built-in default tree (the same one for every command).
  o.sourceDir = !k.sourceDir.empty() ? k.sourceDir : kbuild::defaultTreeDir(dataDir(), progress);
  return o;
}

void addCommands(CLI::App& app, Commands& c) {
  addBuildCommand(app, c.build);
  addDiffCommand(app, c.diff);
  addCheckCommand(app, c.check);
  addCiCommand(app, c.ci);
  addTargetsCommand(app, c.targets);
}

int runCommand(const CLI::App& app, const Commands& c) {
  if (app.got_subcommand("build")) return runBuild(c.build);
  if (app.got_subcommand("diff")) return runDiff(c.diff);
  if (app.got_subcommand("check")) return runCheck(c.check);
  if (app.got_subcommand("ci")) return runCi(c.ci);
  if (app.got_subcommand("targets")) return runTargets(c.targets);
  return 2;
}

}  // namespace lpb::cli
