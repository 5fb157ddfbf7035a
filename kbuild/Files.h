// Small file-system helpers shared by the stages.
#pragma once

#include <string>
#include <string_view>

#include "elfgen/AtomicFile.h"

namespace lpb::kbuild {

// The file's contents ("" if unreadable).
std::string readFile(const std::string& path);

// The running program's own file (/proc/self/exe): where lp-build finds its helper and,
// installed, its data; what `lp-build ci` runs its steps with.
std::string selfExecutable();

// Writing outputs and cache entries: elfgen/AtomicFile.h (pid-unique temporary, fsync, rename).
using elf::copyFileAtomically;
using elf::writeFileAtomically;

// Removes the entries of `dir` named `<anything><marker><pid>` whose process is gone: the
// scratch that killed lp-build runs leave behind.
void removeEntriesOfDeadProcesses(const std::string& dir, std::string_view marker);

// A run's scratch directory, <root>/<name>-<pid>, created empty and removed with the object
// unless kept. `root` is lp-build's own work root (cli::workRoot), never a shared directory
// such as /tmp: the scratch that killed runs left there is removed first.
class WorkDir {
 public:
  WorkDir(const std::string& root, const std::string& name);  // throws elf::InputError naming root
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// An exclusive flock on `path` (created if missing), held for the object's lifetime:
// serialises lp-build processes over one cache entry. Throws elf::InputError when the
// lock file cannot be opened or locked.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace lpb::kbuild
