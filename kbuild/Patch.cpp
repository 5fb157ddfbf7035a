#include "kbuild/Patch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>

#include "elfgen/ElfObject.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::kbuild {

namespace {

// "a/fs/proc/cmdline.c\t2024-..." -> "fs/proc/cmdline.c"; "/dev/null" stays.
std::string headerPath(std::string_view rest) {
  size_t tab = rest.find('\t');
  if (tab != std::string_view::npos) rest = rest.substr(0, tab);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
  std::string p(rest);
  if (p == "/dev/null") return p;
  size_t slash = p.find('/');
  return slash == std::string::npos ? std::string() : p.substr(slash + 1);  // -p1
}

bool safeRelative(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  for (const auto& part : fs::path(p))
    if (part == "..") return false;
  return true;
}

// A hunk header's "A" or "A,B" (B defaults to 1); false when it is not one.
bool readRange(std::string_view text, unsigned& start, unsigned& lines) {
  auto number = [](std::string_view t, unsigned& out) {
    auto r = std::from_chars(t.data(), t.data() + t.size(), out);
    return r.ec == std::errc() && r.ptr == t.data() + t.size();
  };
  size_t comma = text.find(',');
  lines = 1;
  if (comma == std::string_view::npos) return number(text, start);
  return number(text.substr(0, comma), start) && number(text.substr(comma + 1), lines);
}

// "@@ -a,b +c,d @@ ..." -> the range; throws for a malformed header.
HunkRange readHunkHeader(const std::string& path, const std::string& line) {
  std::string_view rest = std::string_view(line).substr(3);
  size_t end = rest.find(" @@");
  HunkRange h;
  if (end != std::string_view::npos && rest.starts_with("-")) {
    std::string_view ranges = rest.substr(1, end - 1);
    size_t plus = ranges.find(" +");
    if (plus != std::string_view::npos && readRange(ranges.substr(0, plus), h.oldStart, h.oldLines) &&
        readRange(ranges.substr(plus + 2), h.newStart, h.newLines))
      return h;
  }
  throw elf::InputError(path, fmt::format("bad hunk header '{}'", line.substr(0, 80)));
}

}  // namespace

Patch readPatch(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw elf::InputError(path, "cannot read the patch");
  Patch patch;
  patch.path = path;
  std::string line, minus;
  bool sawHunk = false;
  constexpr size_t npos = size_t(-1);
  size_t current = npos;  // the file the hunks belong to
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    if (line.starts_with("rename from ") || line.starts_with("copy from ") || line.starts_with("GIT binary patch"))
      throw elf::InputError(path, "renames, copies and binary changes are not supported in a live patch");
    if (line.starts_with("--- ")) {
      minus = headerPath(std::string_view(line).substr(4));
      continue;
    }
    if (line.starts_with("+++ ") && !minus.empty()) {
      std::string plus = headerPath(std::string_view(line).substr(4));
      PatchFile f;
      f.created = minus == "/dev/null";
      f.deleted = plus == "/dev/null";
      f.path = f.deleted ? minus : plus;
      if (!safeRelative(f.path))
        throw elf::InputError(path, fmt::format("bad file name '{}' in the diff header (expected a/PATH b/PATH)", line.substr(4)));
      if (seen.insert(f.path).second) patch.files.push_back(f);
      current = std::find_if(patch.files.begin(), patch.files.end(),
                             [&](const PatchFile& p) { return p.path == f.path; }) - patch.files.begin();
      minus.clear();
      continue;
    }
    if (line.starts_with("@@ ")) {
      HunkRange h = readHunkHeader(path, line);
      if (current == npos) throw elf::InputError(path, "a hunk before any ---/+++ file header");
      patch.files[current].hunks.push_back(h);
      sawHunk = true;
    }
  }
  if (patch.files.empty() || !sawHunk) throw elf::InputError(path, "not a unified diff (no ---/+++ file headers and hunks)");
  return patch;
}

namespace {

// Makes `rel` (a directory, relative to the tree top) a real directory in the shadow whose
// entries are links into the source tree, and so for every directory above it.
void materializeDir(const std::string& srcRoot, const std::string& shadowRoot, const std::string& rel,
                    std::set<std::string>& real) {
  if (real.count(rel)) return;
  std::string parent = rel.empty() ? std::string() : fs::path(rel).parent_path().string();
  if (!rel.empty()) materializeDir(srcRoot, shadowRoot, parent, real);
  std::string dir = rel.empty() ? shadowRoot : shadowRoot + "/" + rel;
  std::error_code ec;
  if (fs::is_symlink(dir)) fs::remove(dir);
  fs::create_directories(dir);
  real.insert(rel);
  std::string srcDir = rel.empty() ? srcRoot : srcRoot + "/" + rel;
  if (!fs::is_directory(srcDir)) return;  // a directory the patch creates
  for (const auto& e : fs::directory_iterator(srcDir, ec)) {
    std::string name = e.path().filename().string();
    std::string link = dir + "/" + name;
    if (!fs::exists(fs::symlink_status(link))) fs::create_symlink(e.path(), link, ec);
  }
}

}  // namespace

ShadowTree ShadowTree::create(const KernelTree& tree, const std::vector<Patch>& patches, const std::string& dir) {
  ShadowTree s;
  s.root_ = dir;
  fs::create_directories(dir);
  std::set<std::string> real, touched;
  const std::string& src = tree.sourceDir();
  for (const Patch& p : patches) {
    for (const PatchFile& f : p.files) {
      std::string parent = fs::path(f.path).parent_path().string();
      materializeDir(src, dir, parent, real);
      std::string shadowFile = dir + "/" + f.path;
      if (touched.insert(f.path).second) s.touched_.push_back(f.path);
      if (fs::is_symlink(shadowFile)) {
        // A private copy for GNU patch to edit; the user's file is only read.
        fs::remove(shadowFile);
        std::string original = src + "/" + f.path;
        if (!fs::is_regular_file(original))
          throw elf::InputError(p.path, fmt::format("{}: not a regular file in {}", f.path, src));
        fs::copy_file(original, shadowFile);
      } else if (!f.created && !fs::exists(shadowFile)) {
        throw elf::InputError(p.path, fmt::format("{}: no such file in the kernel tree {}", f.path, src));
      }
    }
    ProcessOptions o;
    o.cwd = dir;
    o.stdinFile = fs::absolute(p.path).string();
    ProcessResult r = runProcess({"patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "--reject-file=-",
                                  "--quiet"},
                                 o);
    if (r.status == 127 && r.output.find("No such file") != std::string::npos)
      throw elf::InputError("patch", "GNU patch is not installed (apt-get install patch)");
    if (r.status != 0)
      throw elf::InputError(p.path, fmt::format("does not apply to {}: {}", src, firstErrorLine(r.output)));
  }
  return s;
}

CompileCommand ShadowTree::patchedCommand(const KernelTree& tree, const CompileCommand& original) const {
  // Every mention of the source tree (include paths, -include files, the source itself,
  // -fmacro-prefix-map) is pointed at the shadow, which has the same layout.
  const std::string from = tree.sourceDir() + "/", to = root_ + "/";
  auto rewrite = [&](std::string w) {
    for (size_t at = w.find(from); at != std::string::npos; at = w.find(from, at + to.size()))
      w.replace(at, from.size(), to);
    return w;
  };
  CompileCommand c = original;
  for (auto& w : c.compiler) w = rewrite(w);
  c.sourceArg = rewrite(c.sourceArg);
  // An in-tree build names its files relative to the tree top: run from the shadow's top.
  if (tree.sourceDir() == tree.objDir()) c.cwd = root_;
  return c;
}

}  // namespace lpb::kbuild
