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

WorkDir::WorkDir(const std::string& root, const std::string& name) {
  if (root.empty()) throw elf::InputError("work directory", "no work root given");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  removeEntriesOfDeadProcesses(root, "-");  // <name>-<pid> of killed runs
  path_ = root + "/" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(path_, ec);
  if (!std::filesystem::create_directory(path_, ec) || ec)
    throw elf::InputError(root, "cannot create a work directory: " + (ec ? ec.message() : std::string("exists")));
}

WorkDir::~WorkDir() {
  std::error_code ec;
  if (!keep_) std::filesystem::remove_all(path_, ec);
}

FileLock::FileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw elf::InputError(path, "cannot lock");
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lpb::kbuild
