#include "kbuild/KernelTree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

#include "arch/Target.h"
#include "elfgen/ElfObject.h"
#include "kbuild/DistroTree.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::kbuild {

namespace {

bool isFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? p : a.string();
}


// `KEY := VALUE` on one line of a .cmd file (a dependency list continues with `\`).
std::string_view valueOf(std::string_view text, std::string_view key) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      size_t v = at + key.size();
      size_t eol = text.find('\n', v);
      return text.substr(v, eol == std::string_view::npos ? std::string_view::npos : eol - v);
    }
    at += key.size();
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\\')) s.remove_suffix(1);
  return s;
}

}  // namespace

KernelTree KernelTree::open(const TreeOptions& o, std::shared_ptr<const TreeKind> kind) {
  KernelTree t;
  std::string dir = o.objDir.empty() ? o.sourceDir : o.objDir;
  if (dir.empty()) throw elf::InputError("lp-build", "no kernel tree given");
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw elf::InputError(dir, "not a directory (expected a kernel tree)");
  // Never configured or built here: the source of a kernel built elsewhere (a distro's).
  if (!kind && o.objDir.empty() && !isFile(dir + "/.config") && !isFile(dir + "/source/Makefile"))
    return openDistroTree(o);
  t.kind_ = kind ? std::move(kind) : std::make_shared<BuiltTree>();
  t.obj_ = absolute(dir);
  // An O= build dir has `source` pointing at the sources; an in-tree build is both.
  if (isFile(t.obj_ + "/source/Makefile"))
    t.src_ = absolute(fs::read_symlink(t.obj_ + "/source").is_absolute() ? fs::read_symlink(t.obj_ + "/source").string()
                                                                          : t.obj_ + "/source");
  else if (!o.objDir.empty() && !o.sourceDir.empty())
    t.src_ = absolute(o.sourceDir);
  else
    t.src_ = t.obj_;
  if (!isFile(t.src_ + "/Makefile") || !fs::is_directory(t.src_ + "/kernel"))
    throw elf::InputError(t.src_, "not a Linux source tree (no Makefile and kernel/)");

  t.config_ = o.config.empty() ? t.obj_ + "/.config" : absolute(o.config);
  t.vmlinux_ = o.vmlinux.empty() ? t.obj_ + "/vmlinux" : absolute(o.vmlinux);
  t.symvers_ = o.symvers.empty() ? t.obj_ + "/Module.symvers" : absolute(o.symvers);
  t.boot_ = o.bootImage.empty() ? t.obj_ : absolute(o.bootImage);
  if (!isFile(t.config_)) throw elf::InputError(t.config_, "no kernel configuration (run make *config, or give -c)");
  std::ifstream cfg(t.config_);
  for (std::string line; std::getline(cfg, line);) {
    if (!line.starts_with("CONFIG_")) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    t.configValues_[line.substr(0, eq)] = v;
  }
  if (t.configValues_.empty()) throw elf::InputError(t.config_, "not a kernel configuration (no CONFIG_ lines)");
  return t;
}

std::string KernelTree::configValue(const std::string& name) const {
  auto it = configValues_.find(name);
  return it == configValues_.end() ? std::string() : it->second;
}

void BuiltTree::indexModules(const KernelTree& tree) const {
  if (modulesIndexed_) return;
  const std::string& objDir = tree.objDir();
  modulesIndexed_ = true;
  // modules.order names every module's object; beside it, NAME.mod lists the objects
  // kbuild linked into it (object-dir relative).
  std::ifstream order(objDir + "/modules.order");
  for (std::string line; std::getline(order, line);) {
    if (!line.ends_with(".o")) continue;
    std::string stem = line.substr(0, line.size() - 2);
    std::string module = stem.substr(stem.rfind('/') + 1);
    std::replace(module.begin(), module.end(), '-', '_');
    moduleKo_[module] = stem + ".ko";
    std::ifstream mod(objDir + "/" + stem + ".mod");
    for (std::string o; std::getline(mod, o);)
      if (!o.empty()) moduleOfObject_[o] = module;
  }
}

std::optional<KernelTree::Record> KernelTree::readRecord(const std::string& object) const {
  size_t slash = object.rfind('/');
  std::string dir = slash == std::string::npos ? "" : object.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? object : object.substr(slash + 1);
  std::string path = obj_ + "/" + dir + "." + base + ".cmd";
  if (!isFile(path)) return std::nullopt;
  return parseRecord(object, readFile(path));
}

KernelTree::Record KernelTree::parseRecord(const std::string& object, const std::string& text) const {
  return parseCmdRecord(object, text, src_);
}

KernelTree::Record parseCmdRecord(const std::string& object, const std::string& text, const std::string& sourceDir) {
  const std::string srcPrefix = sourceDir + "/";
  KernelTree::Record r;
  r.object = object;
  r.source = std::string(trim(valueOf(text, "source_" + object + " := ")));
  if (r.source.starts_with(srcPrefix)) r.source = r.source.substr(srcPrefix.size());
  std::string depsKey = "deps_" + object + " := ";
  size_t at = text.find(depsKey);
  if (at != std::string::npos) {
    std::istringstream deps(text.substr(at + depsKey.size()));
    for (std::string line; std::getline(deps, line);) {
      std::string_view w = trim(line);
      if (w.empty()) {
        if (!line.empty() && line.find('\\') == std::string::npos) break;
        continue;
      }
      if (w.starts_with("$(wildcard")) continue;
      if (w.find(':') != std::string_view::npos) break;  // the next record
      std::string d(w);
      if (d.starts_with(srcPrefix)) d = d.substr(srcPrefix.size());
      r.deps.push_back(std::move(d));
    }
  }
  return r;
}

void BuiltTree::indexRecords(const KernelTree& tree) const {
  if (indexed_) return;
  indexed_ = true;
  indexModules(tree);
  const std::string& objDir = tree.objDir();
  std::error_code ec;
  for (fs::recursive_directory_iterator it(objDir, fs::directory_options::skip_permission_denied, ec), end;
       it != end; it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (it->is_directory()) {
      // The source link of an O= build, and directories kbuild never compiles kernel code in.
      if (name == "source" || name == ".git" || name == "tools" || name == "Documentation" || name == "usr")
        it.disable_recursion_pending();
      continue;
    }
    std::string rel = p.parent_path().string().substr(std::min(objDir.size() + 1, p.parent_path().string().size()));
    std::string prefix = rel.empty() ? "" : rel + "/";
    if (!(name.starts_with(".") && name.ends_with(".o.cmd"))) continue;
    std::string object = prefix + name.substr(1, name.size() - 1 - 4);
    std::string text = readFile(p.string());
    if (!trim(valueOf(text, "source_" + object + " := ")).ends_with(".c")) continue;  // assembler units, links
    records_.push_back(tree.parseRecord(object, text));
  }
  std::sort(records_.begin(), records_.end(), [](const KernelTree::Record& a, const KernelTree::Record& b) { return a.object < b.object; });
}

Unit BuiltTree::unitOf(const KernelTree::Record& r) const {
  auto it = moduleOfObject_.find(r.object);
  return Unit{r.object, r.source, it == moduleOfObject_.end() ? "vmlinux" : it->second};
}

std::vector<Unit> BuiltTree::unitsAffectedBy(const KernelTree& tree, const std::vector<std::string>& files) const {
  // Only .c files: each is its own unit, found beside where kbuild put its object,
  // without reading every record of the tree.
  if (std::all_of(files.begin(), files.end(), [](const std::string& f) { return f.ends_with(".c"); })) {
    std::vector<Unit> out;
    for (const auto& f : files)
      if (auto u = unitForSource(tree, f)) out.push_back(*u);
    return out;
  }
  indexRecords(tree);
  std::set<std::string> wanted(files.begin(), files.end());
  std::vector<Unit> out;
  for (const KernelTree::Record& r : records_) {
    bool hit = wanted.count(r.source) > 0;
    for (size_t i = 0; !hit && i < r.deps.size(); ++i) hit = wanted.count(r.deps[i]) > 0;
    if (hit && isInKernel(r.object)) out.push_back(unitOf(r));
  }
  return out;
}

std::optional<Unit> BuiltTree::unitForSource(const KernelTree& tree, const std::string& file) const {
  indexModules(tree);
  if (file.ends_with(".c")) {
    std::string object = file.substr(0, file.size() - 2) + ".o";
    if (auto r = tree.readRecord(object); r && r->source == file && isInKernel(object)) return unitOf(*r);
  }
  indexRecords(tree);
  for (const KernelTree::Record& r : records_)
    if (r.source == file && isInKernel(r.object)) return unitOf(r);
  return std::nullopt;
}

bool BuiltTree::isInKernel(const std::string& object) const {
  // Host programs, the boot stub and the vDSO are compiled by kbuild too, but are not
  // part of vmlinux or a module; their objects sit in known places (the architecture's
  // own under arch/, which the targets name).
  if (moduleOfObject_.count(object)) return true;
  static const char* const notKernel[] = {"scripts/", "tools/", "usr/", "samples/"};
  for (const char* p : notKernel)
    if (object.starts_with(p)) return false;
  if (arch::isInArchNotKernelDirectory(object)) return false;
  return !object.ends_with(".mod.o") && object.find("/.tmp_") == std::string::npos;
}

CompileCommand KernelTree::compileCommand(const Unit& unit) const {
  std::string dir = obj_ + "/" + unit.object;
  size_t slash = dir.rfind('/');
  std::string cmdFile = dir.substr(0, slash + 1) + "." + dir.substr(slash + 1) + ".cmd";
  if (!isFile(cmdFile))
    throw elf::InputError(cmdFile, fmt::format("missing: {} was not built in this tree", unit.object));
  return parseCompileCommand(unit.object, readFile(cmdFile), cmdFile, obj_);
}

CompileCommand parseCompileCommand(const std::string& object, const std::string& text, const std::string& cmdFile,
                                   const std::string& objDir) {
  std::string_view line = valueOf(text, "savedcmd_" + object + " := ");
  if (line.empty()) line = valueOf(text, "cmd_" + object + " := ");
  if (line.empty()) throw elf::InputError(cmdFile, "no saved command line");

  CompileCommand c;
  c.cwd = objDir;
  std::vector<std::string> steps = splitShellSteps(line);
  if (steps.empty()) throw elf::InputError(cmdFile, "an empty saved command line");
  c.compiler = splitShellWords(steps[0]);
  for (size_t i = 1; i < steps.size(); ++i) c.postSteps.push_back(steps[i]);
  for (size_t i = 0; i + 1 < c.compiler.size(); ++i)
    if (c.compiler[i] == "-o") c.objectArg = c.compiler[i + 1];
  for (const std::string& w : c.compiler)
    if (!w.starts_with("-") && w.ends_with(".c")) c.sourceArg = w;
  if (c.compiler.empty() || c.objectArg.empty() || c.sourceArg.empty() ||
      std::find(c.compiler.begin(), c.compiler.end(), "-c") == c.compiler.end())
    throw elf::InputError(cmdFile, "the saved command is not a C compile (-c ... -o OBJ SRC.c)");
  return c;
}

std::vector<std::string> KernelTree::dependencies(const Unit& unit) const {
  std::vector<std::string> out;
  if (auto r = readRecord(unit.object)) {
    out.push_back(src_ + "/" + r->source);
    for (const std::string& d : r->deps) {
      if (d.starts_with("/")) out.push_back(d);
      else if (isFile(src_ + "/" + d)) out.push_back(src_ + "/" + d);
      else out.push_back(obj_ + "/" + d);
    }
  }
  return out;
}

std::optional<std::string> BuiltTree::moduleFile(const KernelTree& tree, const std::string& module) const {
  indexModules(tree);
  auto it = moduleKo_.find(module);
  if (it == moduleKo_.end() || !isFile(tree.objDir() + "/" + it->second)) return std::nullopt;
  return tree.objDir() + "/" + it->second;
}

}  // namespace lpb::kbuild
