#include "kbuild/DefaultTree.h"

#include <filesystem>

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

}  // namespace lpb::kbuild
