#include "elfgen/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "elfgen/ElfObject.h"

namespace lpb::elf {

std::string atomicTempPath(const std::string& path) {
  std::filesystem::path dest(path);
  std::filesystem::path dir = dest.has_parent_path() ? dest.parent_path() : std::filesystem::path(".");
  std::string name = ".";  // (built by appends: GCC 12 -O3 -Wrestrict false positive, PR 105651)
  name.append(dest.filename().string()).append(".lpb-tmp").append(std::to_string(::getpid()));
  return (dir / name).string();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(atomicTempPath(path_)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw InputError(path_, std::string("cannot write: ") + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InputError(path_, std::string("cannot write: ") + std::strerror(n < 0 ? errno : ENOSPC));
    done += size_t(n);
  }
}

void AtomicFile::commit(bool durable) {
  int fd = fd_;
  fd_ = -1;
  bool ok = (!durable || ::fsync(fd) == 0) & (::close(fd) == 0);
  if (!ok || ::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw InputError(path_, std::string("cannot write: ") + std::strerror(errno));
  committed_ = true;
}

void writeFileAtomically(const std::string& path, std::string_view contents) {
  AtomicFile f(path);
  f.write(contents);
  f.commit();
}

void copyFileAtomically(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw InputError(from, "cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  writeFileAtomically(to, s.str());
}

}  // namespace lpb::elf
