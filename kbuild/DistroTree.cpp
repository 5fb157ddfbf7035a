#include "kbuild/DistroTree.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "arch/Target.h"
#include "elfgen/DwarfTypes.h"
#include "elfgen/ElfObject.h"
#include "kbuild/Files.h"
#include "kbuild/KernelProfile.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::kbuild {

namespace {

// Bump when the way a distro tree is prepared changes (a new key, a fresh preparation).
constexpr int kPrepareVersion = 1;

bool isFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string hashHex(const std::string& text) { return fmt::format("{:016x}", XXH3_64bits(text.data(), text.size())); }

// "6.12.117" from the source tree's Makefile.
std::string sourceVersion(const std::string& src) {
  std::string mk = readFile(src + "/Makefile");
  auto field = [&](const char* name) {
    std::smatch m;
    std::regex re(std::string("(^|\n)") + name + " = ([0-9]*)");
    return std::regex_search(mk, m, re) ? m[2].str() : std::string();
  };
  std::string v = field("VERSION"), p = field("PATCHLEVEL"), s = field("SUBLEVEL");
  if (v.empty() || p.empty()) return {};
  return s.empty() || s == "0" ? v + "." + p : v + "." + p + "." + s;
}

// The release's version part: "6.12.117" of "6.12.117+deb12-cloud-amd64".
std::string versionOfRelease(const std::string& release) {
  size_t n = 0;
  while (n < release.size() && (isdigit(static_cast<unsigned char>(release[n])) || release[n] == '.')) ++n;
  std::string v = release.substr(0, n);
  while (!v.empty() && v.back() == '.') v.pop_back();
  return v;
}

// The Debian package that installs a compiler command ("x86_64-linux-gnu-gcc-12" -> gcc-12).
std::string compilerPackage(const std::string& command, const std::string& hostTriplet) {
  std::smatch m;
  static const std::regex re("^(([a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+)-)?(gcc|clang)(-([0-9]+))?$");
  if (!std::regex_match(command, m, re)) return command;
  std::string tool = m[3].str(), ver = m[5].str(), triplet = m[2].str();
  std::string pkg = ver.empty() ? tool : tool + "-" + ver;
  if (tool == "gcc" && !triplet.empty() && triplet != hostTriplet) pkg += "-" + triplet;
  return pkg;
}

std::string hostTriplet() {
  ProcessResult r = runProcess({"gcc", "-dumpmachine"});
  std::string t = r.status == 0 ? r.output.substr(0, r.output.find('\n')) : "";
  return t;
}

// `make` arguments that make kbuild in the prepared tree build as the distro did.
std::vector<std::string> distroMakeArgs(const std::string& src, const std::string& obj, const arch::Target& target,
                                        const KernelBanner& banner) {
  std::vector<std::string> args = {"make", "-C", src, "O=" + obj, "-s"};
  args.push_back(fmt::format("ARCH={}", target.kbuildArch()));
  std::smatch m;
  static const std::regex cross("^(.*-)(gcc|clang)(-[0-9]+)?$");
  if (std::regex_match(banner.compiler, m, cross)) args.push_back("CROSS_COMPILE=" + m[1].str());
  if (banner.compiler.find("clang") != std::string::npos) args.push_back("LLVM=1");
  args.push_back("CC=" + banner.compiler);
  args.push_back("KERNELRELEASE=" + banner.release);
  return args;
}

// The options `given` sets that `result` sets otherwise or not at all, as "CONFIG_X=v".
// Options `given` does not mention (distros drop a few from the installed copy, such as
// CONFIG_MODULE_SIG_KEY) take their defaults, and what the toolchain reports of itself
// moves with the compiler package, not the kernel.
std::vector<std::string> configChanges(const std::string& given, const std::string& result) {
  auto options = [](const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      size_t eq = line.find('=');
      if (!line.starts_with("CONFIG_") || eq == std::string::npos) continue;
      std::string name = line.substr(0, eq);
      if (name.ends_with("_VERSION") || name.ends_with("_VERSION_TEXT") || name.starts_with("CONFIG_RUSTC_") ||
          name.starts_with("CONFIG_CC_HAS_") || name.starts_with("CONFIG_AS_HAS_") || name.starts_with("CONFIG_LD_"))
        continue;
      out[name] = line.substr(eq + 1);
    }
    return out;
  };
  std::map<std::string, std::string> want = options(given), got = options(result);
  std::vector<std::string> out;
  for (const auto& [name, value] : want)
    if (auto it = got.find(name); it == got.end() || it->second != value) out.push_back(name + "=" + value);
  return out;
}

struct Prepared {
  std::string objDir;
  std::vector<std::string> makeArgs;
};

// The prepared object directory for these inputs, made now if it is not complete.
Prepared prepare(const TreeOptions& o, const std::string& src, const arch::Target& target, const KernelBanner& banner) {
  std::string configText = readFile(o.config);
  ProcessResult cc = runProcess({banner.compiler, "--version"});
  if (cc.status != 0)
    throw elf::InputError(o.vmlinux, fmt::format("was built by {}, which is not installed here (apt-get install {})",
                                                 banner.compiler, compilerPackage(banner.compiler, hostTriplet())));
  struct stat st{};
  ::stat((src + "/Makefile").c_str(), &st);
  std::string inputs = fmt::format("version={}\nsource={} {} {}\nrelease={}\ncompiler={}\n{}\nconfig={}\nsymvers={}\n",
                                   kPrepareVersion, src, st.st_size, st.st_mtim.tv_sec, banner.release, banner.compiler,
                                   cc.output.substr(0, cc.output.find('\n')), hashHex(configText),
                                   hashHex(readFile(o.symvers)));
  std::string base = o.cacheRoot + "/trees";
  fs::create_directories(base);
  std::string dir = base + "/distro-" + hashHex(inputs);
  Prepared p{dir, distroMakeArgs(src, dir, target, banner)};
  FileLock lock(dir + ".lock");
  if (isFile(dir + "/.lpb-prepared")) return p;

  if (o.progress) o.progress(fmt::format("preparing {} for {} (once: make prepare modules_prepare)", dir, banner.release));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(o.config, dir + "/.config");
  fs::copy_file(o.symvers, dir + "/Module.symvers");  // modpost's CRCs for the patch module
  std::vector<std::string> make = p.makeArgs;
  make.push_back(fmt::format("-j{}", std::max(1u, o.jobs)));
  for (const char* goal : {"olddefconfig", "prepare", "modules_prepare"}) make.push_back(goal);
  ProcessOptions po;
  po.env = {"LC_ALL=C"};
  ProcessResult r = runProcess(make, po);
  // A failed preparation leaves nothing behind (a killed one leaves no stamp).
  auto fail = [&](const std::string& file, const std::string& why) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return elf::InputError(file, why);
  };
  if (r.status != 0)
    throw fail(src, fmt::format("kbuild could not prepare it with {}: {}", o.config, firstErrorLine(r.output)));
  // A config made for this source and compiler comes through olddefconfig unchanged.
  std::vector<std::string> diff = configChanges(configText, readFile(dir + "/.config"));
  if (!diff.empty())
    throw fail(o.config, fmt::format("is not a config of this source tree ({}): olddefconfig changes {} "
                                     "option(s), first {}",
                                     src, diff.size(), diff.front()));
  std::ofstream(dir + "/lpb-prepare-info") << inputs;
  writeFileAtomically(dir + "/.lpb-prepared", "ok\n");
  return p;
}

// vmlinux's compilation units as source-relative paths, cached per vmlinux (its build
// id; the DWARF walk over a distro's debug vmlinux takes a few seconds).
std::set<std::string> vmlinuxSources(const elf::ElfObject& image, const std::string& cacheDir) {
  const std::string& vmlinux = image.path;
  std::string key = vmlinuxIdentity(image);
  std::string file = cacheDir + "/units-" + hashHex(key) + ".txt";
  std::set<std::string> out;
  std::string cached = readFile(file);
  if (cached.starts_with(key + "\n")) {
    std::istringstream in(cached.substr(key.size() + 1));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.insert(line);
    return out;
  }
  for (std::string name : elf::compileUnitNames(vmlinux)) {
    // "fs/proc/meminfo.c", "../fs/proc/meminfo.c", "/build/linux-6.12/fs/proc/meminfo.c": every
    // tail is kept, and a question asks for its exact source-relative path.
    while (name.starts_with("./") || name.starts_with("../")) name = name.substr(name.find('/') + 1);
    for (size_t at = 0; at != std::string::npos; at = name.find('/', at + 1)) {
      std::string tail = at == 0 && name[0] != '/' ? name : name.substr(at + 1);
      if (!tail.empty()) out.insert(tail);
    }
  }
  fs::create_directories(cacheDir);
  std::string text = key + "\n";
  for (const auto& s : out) text += s + "\n";
  writeFileAtomically(file, text);
  return out;
}

}  // namespace

KernelBanner readKernelBanner(const std::string& vmlinuxPath) {
  elf::ElfObject vmlinux = elf::ElfObject::openAny(vmlinuxPath);
  std::string banner = linuxBanner(vmlinux);
  if (banner.empty()) throw elf::InputError(vmlinuxPath, "not a Linux kernel image (no linux_banner)");
  KernelBanner b;
  std::smatch m;
  // "Linux version REL (USER@HOST) (COMPILER VERSION, LINKER VERSION) #N ..."
  static const std::regex re("^Linux version (\\S+) \\([^)]*\\) \\((\\S+) ");
  if (!std::regex_search(banner, m, re))
    throw elf::InputError(vmlinuxPath, "its banner names no compiler: " + banner.substr(0, banner.find('\n')));
  b.release = m[1].str();
  b.compiler = m[2].str();
  return b;
}

DistroFiles findDistroFiles(const std::string& release, const std::string& root, DistroFiles f) {
  std::string r = root.empty() || root == "/" ? "" : root;
  auto first = [&](std::string& slot, std::initializer_list<std::string> candidates, const std::string& what,
                   const std::string& package) {
    if (!slot.empty()) return;
    for (const auto& c : candidates)
      if (fs::exists(r + c)) {
        slot = r + c;
        return;
      }
    throw elf::InputError(r + *candidates.begin(),
                          fmt::format("no {} for {} (install {}, or give its path)", what, release, package));
  };
  first(f.config, {"/boot/config-" + release, "/lib/modules/" + release + "/config"}, "kernel config",
        "linux-image-" + release + " (Fedora: kernel-core)");
  first(f.vmlinux,
        {"/usr/lib/debug/boot/vmlinux-" + release, "/usr/lib/debug/lib/modules/" + release + "/vmlinux",
         "/boot/vmlinux-" + release},
        "debug vmlinux", "linux-image-" + release + "-dbg (Ubuntu: linux-image-" + release +
                             "-dbgsym; Fedora: kernel-debuginfo)");
  first(f.symvers,
        {"/usr/src/linux-headers-" + release + "/Module.symvers", "/usr/src/kernels/" + release + "/Module.symvers",
         "/lib/modules/" + release + "/build/Module.symvers"},
        "Module.symvers", "linux-headers-" + release + " (Fedora: kernel-devel)");
  first(f.modulesDir, {"/lib/modules/" + release + "/kernel", "/usr/lib/modules/" + release + "/kernel"},
        "modules directory", "linux-image-" + release);
  if (f.modulesDir.ends_with("/kernel")) f.modulesDir.resize(f.modulesDir.size() - 7);
  // Installed modules are stripped of their file symbols, which tell same-named statics
  // apart; the debug package has the same modules whole.
  if (f.debugModulesDir.empty() && fs::is_directory(r + "/usr/lib/debug/lib/modules/" + release))
    f.debugModulesDir = r + "/usr/lib/debug/lib/modules/" + release;
  if (f.vmlinuz.empty())
    for (const std::string& c : {"/boot/vmlinuz-" + release, "/lib/modules/" + release + "/vmlinuz"})
      if (fs::exists(r + c)) {
        f.vmlinuz = r + c;
        break;
      }
  return f;
}

KernelTree openDistroTree(const TreeOptions& given) {
  TreeOptions o = given;
  std::string src = fs::weakly_canonical(fs::absolute(o.sourceDir)).string();
  if (!isFile(src + "/Makefile") || !fs::is_directory(src + "/kernel"))
    throw elf::InputError(src, "not a Linux source tree (no Makefile and kernel/)");
  if (o.config.empty() || o.vmlinux.empty())
    throw elf::InputError(src, "has never been configured or built: for a distro kernel give its config and debug "
                               "vmlinux (-c, -v, or --kernel RELEASE)");
  if (o.cacheRoot.empty()) throw elf::InputError(src, "no cache directory to prepare the tree in");
  elf::ElfObject image = elf::ElfObject::openAny(o.vmlinux);
  const arch::Target* target = arch::targetFor(image);
  if (!target) throw elf::InputError(o.vmlinux, fmt::format("unsupported architecture (e_machine {})", image.machine));
  // Its DWARF says which units vmlinux has and how big its structs are (cached by build
  // id, but a stripped image of the same build is still the wrong input).
  if (!image.findSection(".debug_info"))
    throw elf::InputError(o.vmlinux, "has no DWARF debug information (a stripped image; the -dbg package has it)");
  KernelBanner banner = readKernelBanner(o.vmlinux);
  std::string version = sourceVersion(src);
  if (version != versionOfRelease(banner.release))
    throw elf::InputError(src, fmt::format("is Linux {} but {} is {}: give the source of the kernel's own version",
                                           version.empty() ? "of no known version" : version, o.vmlinux, banner.release));
  if (o.symvers.empty())
    throw elf::InputError(src, "a distro kernel needs its Module.symvers (--symvers; Debian: linux-headers-REL)");
  if (!isFile(o.config)) throw elf::InputError(o.config, "no such file");
  if (!isFile(o.symvers)) throw elf::InputError(o.symvers, "no such file");
  // The headers package that holds Module.symvers holds the kernel's own .config too
  // (Debian's linux-headers-REL, Fedora's kernel-devel): the config must be that one.
  std::string ownConfig = (fs::path(o.symvers).parent_path() / ".config").string();
  if (isFile(ownConfig)) {
    // (One way: distros leave a few options out of the installed copy, /boot/config-REL.)
    std::vector<std::string> diff = configChanges(readFile(o.config), readFile(ownConfig));
    if (!diff.empty())
      throw elf::InputError(o.config, fmt::format("is not the config of this kernel: {} (beside {}) sets {} option(s) "
                                                  "otherwise, first {}",
                                                  ownConfig, o.symvers, diff.size(), diff.front()));
  }
  if (!o.modulesDir.empty()) {
    std::string rel = fs::path(o.modulesDir).filename().string();
    if (fs::is_directory(o.modulesDir + "/kernel") && rel != banner.release && fs::exists(o.modulesDir + "/modules.order"))
      throw elf::InputError(o.modulesDir, fmt::format("holds the modules of {}, not of {}", rel, banner.release));
  }
  Prepared p = prepare(o, src, *target, banner);
  if (o.debugModulesDir.empty()) {
    // Beside a Debian debug vmlinux (.../usr/lib/debug/boot/vmlinux-REL): .../usr/lib/debug/lib/modules/REL.
    fs::path v(o.vmlinux);
    fs::path d = v.parent_path().parent_path() / "lib/modules" / banner.release;
    if (v.parent_path().filename() == "boot" && fs::is_directory(d)) o.debugModulesDir = d.string();
  }
  auto kind = std::make_shared<DistroTree>(p.makeArgs, o.modulesDir, o.debugModulesDir, o.cacheRoot + "/modules/" + banner.release,
                                           vmlinuxSources(image, o.cacheRoot + "/profiles"), o.jobs);
  TreeOptions t;
  t.sourceDir = src;
  t.objDir = p.objDir;
  t.config = p.objDir + "/.config";
  t.vmlinux = o.vmlinux;
  t.symvers = o.symvers;
  t.bootImage = o.bootImage;
  return KernelTree::open(t, kind);
}

std::vector<std::string> DistroTree::makeVariables() const {
  std::vector<std::string> out;
  for (const auto& a : makeArgs_)
    if (a.find('=') != std::string::npos && !a.starts_with("O=")) out.push_back(a);
  return out;
}

DistroTree::DistroTree(std::vector<std::string> makeArgs, std::string modulesDir, std::string debugModulesDir,
                       std::string moduleCache,
                       std::set<std::string> vmlinuxSources, unsigned jobs)
    : makeArgs_(std::move(makeArgs)),
      modulesDir_(std::move(modulesDir)),
      debugModulesDir_(std::move(debugModulesDir)),
      moduleCache_(std::move(moduleCache)),
      vmlinuxSources_(std::move(vmlinuxSources)),
      jobs_(jobs) {}

void DistroTree::buildRecords(const KernelTree& tree, const std::vector<std::string>& objects) const {
  std::vector<std::string> missing;
  for (const auto& o : objects)
    if (!tree.readRecord(o)) missing.push_back(o);
  if (missing.empty()) return;
  FileLock lock(tree.objDir() + ".lock");
  std::vector<std::string> make = makeArgs_;
  make.push_back("-k");  // an object this configuration cannot build just gets no record
  make.push_back(fmt::format("-j{}", std::max(1u, jobs_)));
  for (const auto& o : missing) make.push_back(o);
  ProcessOptions po;
  po.env = {"LC_ALL=C"};
  runProcess(make, po);
}

std::optional<Unit> DistroTree::unitFromRecord(const KernelTree& tree, const std::string& object,
                                               const std::string& source) const {
  std::optional<KernelTree::Record> r = tree.readRecord(object);
  if (!r || r->source != source) return std::nullopt;
  CompileCommand c = tree.compileCommand(Unit{object, source, ""});
  bool module = std::find(c.compiler.begin(), c.compiler.end(), "-DMODULE") != c.compiler.end();
  if (!module) {
    if (!vmlinuxSources_.count(source)) return std::nullopt;  // kbuild can compile it; this vmlinux has no such unit
    return Unit{object, source, "vmlinux"};
  }
  std::string name;
  for (const auto& w : c.compiler)
    if (w.starts_with("-DKBUILD_MODNAME=")) name = w.substr(17);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (name.empty() || !moduleFile(tree, name)) return std::nullopt;  // a module the distro does not ship
  return Unit{object, source, name};
}

std::optional<Unit> DistroTree::unitForSource(const KernelTree& tree, const std::string& file) const {
  if (!file.ends_with(".c")) return std::nullopt;
  std::string object = file.substr(0, file.size() - 2) + ".o";
  buildRecords(tree, {object});
  return unitFromRecord(tree, object, file);
}

std::vector<Unit> DistroTree::unitsAffectedBy(const KernelTree& tree, const std::vector<std::string>& files) const {
  std::vector<std::string> sources, headers;
  for (const auto& f : files) (f.ends_with(".c") ? sources : headers).push_back(f);
  for (const auto& s : includersOf(tree, headers))
    if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
  std::vector<std::string> objects;
  for (const auto& s : sources) objects.push_back(s.substr(0, s.size() - 2) + ".o");
  buildRecords(tree, objects);
  std::set<std::string> wanted(headers.begin(), headers.end());
  std::vector<Unit> out;
  for (size_t i = 0; i < sources.size(); ++i) {
    std::optional<Unit> u = unitFromRecord(tree, objects[i], sources[i]);
    if (!u) continue;
    bool direct = std::find(files.begin(), files.end(), sources[i]) != files.end();
    // An include candidate counts only when the compiler's own dependency list names the header.
    bool includes = false;
    if (!direct) {
      std::optional<KernelTree::Record> r = tree.readRecord(objects[i]);
      for (const auto& d : r->deps) includes = includes || wanted.count(d);
    }
    if (direct || includes) out.push_back(*u);
  }
  return out;
}

// Candidate units for a header patch, found without a build: every unit of vmlinux and
// every .c beside the header (a subsystem's local header) whose #include lines reach one
// of the headers, transitively, ignoring preprocessor conditions. The over-approximation
// is then confirmed by each candidate's dependency list from its single-object build.
std::vector<std::string> DistroTree::includersOf(const KernelTree& tree, const std::vector<std::string>& headers) const {
  if (headers.empty()) return {};
  const std::string& src = tree.sourceDir();
  std::string arch;
  for (const auto& a : makeArgs_)
    if (a.starts_with("ARCH=")) arch = a.substr(5);
  std::vector<std::string> searchDirs = {"arch/" + arch + "/include", "include", "arch/" + arch + "/include/uapi",
                                         "include/uapi"};
  std::set<std::string> candidates;
  for (const auto& s : vmlinuxSources_)
    if (s.ends_with(".c") && s.find('/') != std::string::npos && isFile(src + "/" + s)) candidates.insert(s);
  for (const auto& h : headers) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(src + "/" + fs::path(h).parent_path().string(), ec))
      if (e.path().extension() == ".c") candidates.insert(fs::relative(e.path(), src).string());
  }
  // reaches[file]: whether file's includes reach a wanted header (memoized; cycles are no).
  std::map<std::string, int> reaches;  // 0 visiting, 1 yes, 2 no
  std::set<std::string> wanted(headers.begin(), headers.end());
  static const std::regex inc("^\\s*#\\s*include\\s*([<\"])([^>\"]+)[>\"]");
  std::function<bool(const std::string&)> visit = [&](const std::string& file) -> bool {
    if (wanted.count(file)) return true;
    auto [it, fresh] = reaches.try_emplace(file, 0);
    if (!fresh) return it->second == 1;
    std::istringstream in(readFile(src + "/" + file));
    bool yes = false;
    for (std::string line; !yes && std::getline(in, line);) {
      std::smatch m;
      if (line.find("include") == std::string::npos || !std::regex_search(line, m, inc)) continue;
      std::vector<std::string> tries;
      if (m[1] == "\"") tries.push_back((fs::path(file).parent_path() / m[2].str()).lexically_normal().string());
      for (const auto& d : searchDirs) tries.push_back(d + "/" + m[2].str());
      for (const auto& t : tries)
        if (wanted.count(t) || isFile(src + "/" + t)) {
          yes = visit(t);
          break;
        }
    }
    reaches[file] = yes ? 1 : 2;
    return yes;
  };
  // Every unit includes these first (kbuild's -include); a header they reach is in every unit.
  bool everywhere = visit("include/linux/kconfig.h") || visit("include/linux/compiler_types.h") ||
                    visit("include/linux/compiler-version.h");
  std::vector<std::string> out;
  for (const auto& c : candidates)
    if (everywhere || visit(c)) out.push_back(c);
  return out;
}

namespace {
// name (with '_') -> file, for every module file under `dir`.
std::map<std::string, std::string> modulesUnder(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (dir.empty()) return out;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
    if (ec) break;
    std::string n = it->path().filename().string();
    for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
      if (n.ends_with(ext)) {
        std::string name = n.substr(0, n.size() - std::string_view(ext).size());
        std::replace(name.begin(), name.end(), '-', '_');
        out.emplace(name, it->path().string());
      }
  }
  return out;
}
}  // namespace

void DistroTree::indexModules() const {
  if (modulesIndexed_) return;
  modulesIndexed_ = true;
  installedModules_ = modulesUnder(modulesDir_);
  debugModules_ = modulesUnder(debugModulesDir_);
}

std::optional<std::string> DistroTree::moduleFile(const KernelTree& tree, const std::string& module) const {
  indexModules();
  if (!installedModules_.count(module)) return std::nullopt;
  // The debug package's copy has the file symbols that tell same-named statics apart.
  if (auto d = debugModules_.find(module); d != debugModules_.end()) return plainCopy(module, d->second);
  return loadableModule(tree, module);
}

std::optional<std::string> DistroTree::loadableModule(const KernelTree&, const std::string& module) const {
  indexModules();
  auto it = installedModules_.find(module);
  if (it == installedModules_.end()) return std::nullopt;
  return plainCopy(module, it->second);
}

// `file` itself, or for a compressed module a plain copy in the cache keyed by its identity.
std::string DistroTree::plainCopy(const std::string& module, const std::string& file) const {
  if (file.ends_with(".ko")) return file;
  struct stat st{};
  ::stat(file.c_str(), &st);
  std::string out = fmt::format("{}/{}-{}.ko", moduleCache_, module,
                                hashHex(fmt::format("{}|{}|{}", file, st.st_size, st.st_mtim.tv_sec)));
  if (isFile(out)) return out;
  const char* tool = file.ends_with(".xz") ? "xz" : file.ends_with(".zst") ? "zstd" : "gzip";
  fs::create_directories(moduleCache_);
  elf::AtomicFile copy(out);
  ProcessResult r = runProcess({"sh", "-c", "\"$0\" -dc < \"$1\" > \"$2\"", tool, file, copy.tempPath()});
  if (r.status != 0)
    throw elf::InputError(file, fmt::format("cannot decompress with {}: {}", tool, firstErrorLine(r.output)));
  copy.commit(false);
  return out;
}

}  // namespace lpb::kbuild
