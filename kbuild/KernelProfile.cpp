#include "kbuild/KernelProfile.h"

#include <sys/stat.h>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "elfgen/DwarfTypes.h"
#include "kbuild/Files.h"
#include "kbuild/Shell.h"

namespace lpb::kbuild {

namespace {

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// The NUL-separated strings of vmlinux's .comment.
std::vector<std::string> commentStrings(const elf::ElfObject& vmlinux) {
  std::vector<std::string> out;
  if (const elf::Section* c = vmlinux.findSection(".comment")) {
    std::string_view all(reinterpret_cast<const char*>(c->data.data()), c->data.size());
    for (size_t i = 0; i < all.size();) {
      size_t end = all.find('\0', i);
      if (end == std::string_view::npos) end = all.size();
      if (end > i) out.emplace_back(all.substr(i, end - i));
      i = end + 1;
    }
  }
  return out;
}

// "6.12.57" of "Linux version 6.12.57 (lp-build@lp-build) ...".
std::string bannerRelease(const elf::ElfObject& vmlinux) {
  std::string text = linuxBanner(vmlinux);
  constexpr std::string_view prefix = "Linux version ";
  if (!text.starts_with(prefix)) return {};
  return text.substr(prefix.size(), text.find(' ', prefix.size()) - prefix.size());
}

}  // namespace

std::string vmlinuxIdentity(const elf::ElfObject& vmlinux) {
  std::string id = vmlinux.buildId();
  if (!id.empty()) return "build-id " + id;
  struct stat st{};
  ::stat(vmlinux.path.c_str(), &st);
  return fmt::format("{}|{}|{}", vmlinux.path, st.st_size, st.st_mtim.tv_sec);
}

std::string linuxBanner(const elf::ElfObject& vmlinux) {
  for (const auto& s : vmlinux.symbols) {
    if (s.name != "linux_banner" || !s.isDefined()) continue;
    const elf::Section& sec = vmlinux.sections[s.shndx];
    if (sec.data.empty() || s.value < sec.addr || s.value - sec.addr >= sec.data.size()) return {};
    std::string_view text(reinterpret_cast<const char*>(sec.data.data()) + (s.value - sec.addr),
                          std::min<uint64_t>(s.size ? s.size : 256, sec.data.size() - (s.value - sec.addr)));
    return std::string(text.substr(0, text.find('\0')));
  }
  return {};
}

KernelProfile readKernelProfile(const KernelTree& tree, const elf::ElfObject& vmlinux, const std::string& cacheDir) {
  if (tree.configValue("CONFIG_LIVEPATCH") != "y")
    throw elf::InputError(tree.configPath(), "CONFIG_LIVEPATCH is not set: this kernel cannot load live patches");
  KernelProfile p;
  p.target = arch::targetFor(vmlinux);
  if (!p.target)
    throw elf::InputError(vmlinux.path, fmt::format("unsupported architecture (e_machine {})", vmlinux.machine));

  std::ifstream rel(tree.objDir() + "/include/config/kernel.release");
  std::string treeRelease;
  std::getline(rel, treeRelease);
  p.release = bannerRelease(vmlinux);
  if (p.release.empty()) throw elf::InputError(vmlinux.path, "not a Linux kernel image (no linux_banner)");
  if (!treeRelease.empty() && treeRelease != p.release)
    throw elf::InputError(vmlinux.path, fmt::format("is release {} but the tree {} is {}: not the kernel this tree built",
                                                    p.release, tree.objDir(), treeRelease));
  for (const auto& c : commentStrings(vmlinux))
    if (c.starts_with("GCC: ") || c.find("clang version") != std::string::npos) {
      p.compiler = c;
      break;
    }

  // Struct sizes: cached per vmlinux (its build id), the DWARF walk takes a while.
  std::string key = vmlinuxIdentity(vmlinux);
  std::string cacheFile = cacheDir.empty() ? "" : cacheDir + "/profile-" + fmt::format("{:x}", std::hash<std::string>{}(key)) + ".json";
  if (!cacheFile.empty()) {
    std::ifstream in(cacheFile);
    nlohmann::json j;
    if (in && (j = nlohmann::json::parse(in, nullptr, false)).is_object() && j.value("key", "") == key) {
      for (auto& [k, v] : j["struct_sizes"].items())
        if (auto kind = arch::entryKindFromName(k)) p.structSizes[*kind] = v.get<unsigned>();
      return p;
    }
  }
  std::set<std::string> names;
  std::map<std::string, arch::EntryKind> kindOf;
  for (int k = 0; k < int(arch::EntryKind::None); ++k) {
    auto kind = static_cast<arch::EntryKind>(k);
    std::string n(arch::entryStructName(kind));
    names.insert(n);
    kindOf[n] = kind;
  }
  for (const auto& [name, size] : elf::structSizes(vmlinux.path, names)) p.structSizes[kindOf[name]] = unsigned(size);
  if (!cacheFile.empty()) {
    nlohmann::json j;
    j["key"] = key;
    j["struct_sizes"] = nlohmann::json::object();
    for (const auto& [kind, size] : p.structSizes) j["struct_sizes"][std::string(arch::entryKindName(kind))] = size;
    std::error_code ec;
    std::filesystem::create_directories(cacheDir, ec);
    try {
      // (concurrent builds each write a whole file; the last rename wins)
      writeFileAtomically(cacheFile, j.dump(2) + "\n");
    } catch (const elf::InputError&) {
      // A profile cache that cannot be written only makes the next build read vmlinux again.
    }
  }
  return p;
}

void checkCompiler(const KernelProfile& profile, const CompileCommand& command, const std::string& vmlinuxPath,
                   const std::vector<std::string>& launcher) {
  if (profile.compiler.empty() || command.compiler.empty()) return;
  ProcessResult r = runProcess({command.compiler[0], "--version"});
  if (r.status != 0)
    throw elf::InputError(command.compiler[0], "the compiler that built the tree is not available here");
  std::string line = firstLine(r.output);
  if (!launcher.empty()) {
    // The compiles go through the launcher: the compiler it runs must be this one too.
    std::vector<std::string> via = launcher;
    via.insert(via.end(), {command.compiler[0], "--version"});
    ProcessResult l = runProcess(via);
    if (l.status != 0 || firstLine(l.output) != line)
      throw elf::InputError("--cc-launcher " + launcher[0],
                            fmt::format("runs '{}' for {}, not '{}'", l.status == 0 ? firstLine(l.output) : "nothing",
                                        command.compiler[0], line));
  }
  // gcc says "gcc (Debian 12.2.0-14) 12.2.0" where .comment says "GCC: (Debian 12.2.0-14) 12.2.0".
  std::string asComment = line;
  size_t paren = line.find(" (");
  if (paren != std::string::npos && line.find("clang") == std::string::npos) asComment = "GCC:" + line.substr(paren);
  if (profile.compiler.find(asComment) == std::string::npos && asComment.find(profile.compiler) == std::string::npos)
    throw elf::InputError(vmlinuxPath, fmt::format("was built by '{}' but the compiler here is '{}': a patch must be "
                                                   "compiled by the compiler that built the kernel",
                                                   profile.compiler, line));
}

}  // namespace lpb::kbuild
