// Writing a file so that readers see the old one or the whole new one, never half of it:
// a pid-unique temporary beside the destination (rename needs one file system, and
// concurrent lp-build runs must not share a temporary), flushed to disk, then renamed over
// it. The one way lp-build writes its outputs and cache entries. (Here, below every stage,
// because the object writer needs it too.)
#pragma once

#include <string>
#include <string_view>

namespace lpb::elf {

// The temporary is `.<name>.lpb-tmp<pid>` beside `path` (kbuild::removeEntriesOfDeadProcesses
// clears those of killed runs); it is removed unless commit() renamed it into place.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws InputError naming `path`
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::string& tempPath() const { return tmp_; }
  void write(std::string_view bytes);  // all of them, or InputError
  // fsync (when `durable`), close, rename over the destination; InputError on failure.
  void commit(bool durable = true);

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// The temporary name AtomicFile uses for `path` in this process.
std::string atomicTempPath(const std::string& path);

void writeFileAtomically(const std::string& path, std::string_view contents);
// Copies `from` to `to` the same way.
void copyFileAtomically(const std::string& from, const std::string& to);

}  // namespace lpb::elf
