#include "kbuild/DefaultTree.h"

#include <filesystem>
#include <fmt/format.h>

#include "elfgen/ElfObject.h"
#include "kbuild/Shell.h"

namespace lpb::kbuild {

std::string defaultTreeDir(const std::string& dataDir, const std::function<void(const std::string&)>& progress) {
  std::string script = dataDir + "/scripts/kernel/build-kernel.sh";
  if (progress) progress("checking the cached build (the first build takes a few minutes)");
  ProcessResult r = runProcess({script});
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  size_t nl = out.rfind('\n');
  std::string last = out.substr(nl == std::string::npos ? 0 : nl + 1);
  if (r.status != 0 || last.empty() || !std::filesystem::is_directory(last))
    throw elf::InputError(script, "could not build the default kernel: " + firstErrorLine(r.output));
  return last;
}

std::string distroSourceDir(const std::string& dataDir, const std::string& release,
                            const std::function<void(const std::string&)>& progress) {
  // "6.12" of "6.12.117+deb12-cloud-amd64".
  size_t dot = release.find('.');
  size_t end = dot == std::string::npos ? dot : release.find_first_not_of("0123456789", dot + 1);
  std::string series = release.substr(0, end);
  std::string tarball = "/usr/src/linux-source-" + series + ".tar.xz";
  if (!std::filesystem::exists(tarball))
    throw elf::InputError(tarball, fmt::format("no source for {}: apt-get install linux-source-{}, or give -s SRC",
                                               release, series));
  std::string script = dataDir + "/scripts/kernel/build-kernel.sh";
  if (progress) progress("extracting " + tarball + " (once)");
  ProcessOptions o;
  o.env = {"LPB_KERNEL_TARBALL=" + tarball};
  ProcessResult r = runProcess({script, "--source-only"}, o);
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  if (r.status != 0 || !std::filesystem::is_directory(last))
    throw elf::InputError(tarball, "cannot extract: " + firstErrorLine(r.output));
  return last;
}

}  // namespace lpb::kbuild
