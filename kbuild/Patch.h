// A fix in unified diff form, and the shadow tree it is applied in.
//
// The user's tree is never written to. The shadow tree is a directory inside lp-build's
// work directory that looks like the source tree: every directory on the path to a file
// the patch touches is a real directory, everything else is a symbolic link into the
// source tree, and the touched files are private copies that GNU patch then edits. A
// compiler pointed at the shadow sees the patched source; the user's files are read, never
// written, so killing lp-build at any moment leaves them as they were.
#pragma once

#include <string>
#include <vector>

#include "kbuild/KernelTree.h"

namespace lpb::kbuild {

// One `@@ -oldStart,oldLines +newStart,newLines @@` hunk header.
struct HunkRange {
  unsigned oldStart = 0, oldLines = 0, newStart = 0, newLines = 0;
};

struct PatchFile {
  std::string path;  // relative to the tree top (the -p1 name)
  bool created = false, deleted = false;
  std::vector<HunkRange> hunks;  // in patch order
};

struct Patch {
  std::string path;  // the .diff/.patch file
  std::vector<PatchFile> files;
};

// Reads the files a patch touches and its hunk headers: the one unified-diff reader (GNU
// patch applies it). Throws elf::InputError("PATCH: problem").
Patch readPatch(const std::string& path);

class ShadowTree {
 public:
  // Builds the shadow for `patches` in `dir` (created, must not exist) and applies them in
  // order with GNU patch. Throws elf::InputError("PATCH: does not apply: ...").
  static ShadowTree create(const KernelTree& tree, const std::vector<Patch>& patches, const std::string& dir);

  const std::string& root() const { return root_; }
  // Source-relative files the patches touch (union, in first-touched order).
  const std::vector<std::string>& touchedFiles() const { return touched_; }
  // The compile command of `unit` rewritten to read the patched source: every path into
  // the source tree points into the shadow instead.
  CompileCommand patchedCommand(const KernelTree& tree, const CompileCommand& original) const;

 private:
  std::string root_;
  std::vector<std::string> touched_;
};

}  // namespace lpb::kbuild
