// Small file-system helpers shared by the stages.
#pragma once

#include <string>
#include <string_view>

namespace lpb::kbuild {

// The file's contents ("" if unreadable).
std::string readFile(const std::string& path);

// The running program's own file (/proc/self/exe): where lp-build finds its helper and,
// installed, its data; what `lp-build ci` runs its steps with.
std::string selfExecutable();

// Writes `contents` to `path` so that readers see the old file or the whole new one, never
// half of it: a pid-unique temporary beside `path` (rename needs one file system), flushed
// to disk, then renamed over it. Throws elf::InputError naming `path` on failure.
void writeFileAtomically(const std::string& path, std::string_view contents);

// Removes the entries of `dir` named `<anything><marker><pid>` whose process is gone: the
// scratch that killed lp-build runs leave behind.
void removeEntriesOfDeadProcesses(const std::string& dir, std::string_view marker);

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
