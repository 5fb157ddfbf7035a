#include "kbuild/Files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "elfgen/ElfObject.h"

namespace lpb::kbuild {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string selfExecutable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("lp-build") : self.string();
}

void writeFileAtomically(const std::string& path, std::string_view contents) {
  std::filesystem::path dest(path);
  std::filesystem::path dir = dest.has_parent_path() ? dest.parent_path() : std::filesystem::path(".");
  std::string tmpName = ".";  // (built by appends: GCC 12 -O3 -Wrestrict false positive, PR 105651)
  tmpName.append(dest.filename().string()).append(".lpb-tmp").append(std::to_string(::getpid()));
  std::string tmp = (dir / tmpName).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw elf::InputError(path, std::string("cannot write: ") + std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += size_t(n);
  }
  bool ok = done == contents.size() && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw elf::InputError(path, std::string("cannot write: ") + std::strerror(err));
  }
}

void removeEntriesOfDeadProcesses(const std::string& dir, std::string_view marker) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    size_t at = n.rfind(marker);
    if (at == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(n.c_str() + at + marker.size()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(e.path(), ec);
  }
}

FileLock::FileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw elf::InputError(path, "cannot lock");
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lpb::kbuild
