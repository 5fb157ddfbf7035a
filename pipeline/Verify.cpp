#include "pipeline/Verify.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <set>

#include "elfgen/ElfObject.h"
#include "kbuild/Shell.h"

namespace fs = std::filesystem;

namespace lpb::pipeline {

namespace {

// The module's `depends=` list from its .modinfo.
std::vector<std::string> modinfoDepends(const std::string& ko) {
  elf::ElfObject m = elf::ElfObject::openAny(ko);
  const elf::Section* info = m.findSection(".modinfo");
  if (!info) return {};
  std::string_view all(reinterpret_cast<const char*>(info->data.data()), info->data.size());
  std::vector<std::string> out;
  for (size_t at = 0; at < all.size();) {
    size_t end = std::min(all.find('\0', at), all.size());
    std::string_view kv = all.substr(at, end - at);
    if (kv.starts_with("depends="))
      for (size_t i = 8; i < kv.size();) {
        size_t comma = std::min(kv.find(',', i), kv.size());
        if (comma > i) out.emplace_back(kv.substr(i, comma - i));
        i = comma + 1;
      }
    at = end + 1;
  }
  return out;
}

// The loadable files of `modules` and of everything they depend on, dependencies first.
std::vector<std::string> modulesToLoad(const kbuild::KernelTree& tree, const std::vector<std::string>& modules) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    std::string m = name;
    std::replace(m.begin(), m.end(), '-', '_');
    if (!seen.insert(m).second) return;
    std::optional<std::string> ko = tree.kind().loadableModule(tree, m);
    if (!ko) throw elf::InputError(tree.objDir(), fmt::format("module {} is not in this kernel's modules", m));
    for (const auto& d : modinfoDepends(*ko)) visit(d);
    order.push_back(*ko);
  };
  for (const auto& m : modules) visit(m);
  return order;
}

// A static busybox that runs in `machine`: one of Debian's for the guest's architecture
// (scripts/kernel/fetch-busybox.sh, cached).
std::string busyboxFor(const arch::QemuMachine& machine, const std::string& dataDir) {
  std::string script = dataDir + "/scripts/kernel/fetch-busybox.sh";
  kbuild::ProcessResult r = kbuild::runProcess({script, std::string(machine.debianArch)});
  std::string path = r.output;  // the script's last line (apt's progress comes before it)
  while (!path.empty() && path.back() == '\n') path.pop_back();
  path.erase(0, path.find_last_of('\n') + 1);
  if (r.status != 0 || path.empty() || path[0] != '/')
    throw elf::InputError(script,
                          fmt::format("no busybox for {}: {}", machine.debianArch, kbuild::firstErrorLine(r.output)));
  return path;
}

// The guest's script: load, wait for the transition, check, disable, unload, look at dmesg.
// It prints LPB-VERIFY lines, which lp-build shows.
std::string guestScript(const VerifyRequest& req, const std::vector<std::string>& moduleFiles) {
  std::string sysfs = req.moduleName;
  std::replace(sysfs.begin(), sysfs.end(), '-', '_');
  std::string g = "# lp-build --verify guest script\nset -u\n";
  for (const auto& m : moduleFiles) g += "insmod /lpb/" + fs::path(m).filename().string() + " || exit 10\n";
  g += "insmod /lpb/" + fs::path(req.modulePath).filename().string() +
       " || { echo 'LPB-VERIFY: insmod failed'; exit 11; }\n";
  g += "d=/sys/kernel/livepatch/" + sysfs + "\n";
  g += "[ -d $d ] || { echo 'LPB-VERIFY: no '$d; exit 12; }\n";
  g += "i=0; while [ \"$(cat $d/transition)\" != 0 ]; do i=$((i+1)); [ $i -gt 600 ] && { echo 'LPB-VERIFY: transition "
       "stuck'; exit 13; }; sleep 0.1; done\n";
  g += "[ \"$(cat $d/enabled)\" = 1 ] || { echo 'LPB-VERIFY: not enabled'; exit 14; }\n";
  g += "echo 'LPB-VERIFY: patched'\n";
  if (!req.check.empty()) {
    // The check's output comes back tagged, so that lp-build can show it.
    g += "out=$( ( " + req.check + " ) 2>&1 ); rc=$?\n";
    g += "printf '%s\\n' \"$out\" | sed 's/^/LPB-VERIFY-OUT: /'\n";
    g += "[ $rc = 0 ] || { echo 'LPB-VERIFY: check command failed'; exit 15; }\n";
  }
  g += "echo 0 > $d/enabled || exit 16\n";
  g += "i=0; while [ -d $d ]; do i=$((i+1)); [ $i -gt 600 ] && { echo 'LPB-VERIFY: disable stuck'; exit 17; }; sleep "
       "0.1; done\n";
  g += "rmmod " + sysfs + " || exit 18\n";
  g += "if dmesg | grep -E 'livepatch: .*(failed|error|Error)'; then exit 19; fi\n";
  g += "echo 'LPB-VERIFY: disabled'\n";
  return g;
}

// The initramfs with busybox, the guest script and the modules (scripts/kernel/mkinitramfs.sh).
std::string buildInitramfs(const arch::QemuMachine& machine, const VerifyRequest& req,
                           const std::vector<std::string>& moduleFiles) {
  std::string guest = req.workDir + "/verify-guest.sh";
  std::ofstream(guest) << guestScript(req, moduleFiles);
  std::string initrd = req.workDir + "/verify-initramfs.cpio.gz";
  std::vector<std::string> mk = {req.dataDir + "/scripts/kernel/mkinitramfs.sh", initrd, guest, req.modulePath};
  mk.insert(mk.end(), moduleFiles.begin(), moduleFiles.end());
  kbuild::ProcessOptions opts;
  opts.env = {"LPB_BUSYBOX=" + busyboxFor(machine, req.dataDir)};
  kbuild::ProcessResult r = kbuild::runProcess(mk, opts);
  if (r.status != 0) throw elf::InputError(mk[0], "cannot build the initramfs: " + kbuild::firstErrorLine(r.output));
  return initrd;
}

}  // namespace

int verifyInQemu(const arch::QemuMachine& machine, const kbuild::KernelTree& tree, const VerifyRequest& req,
                 const BuildReport& report) {
  std::vector<std::string> moduleFiles = modulesToLoad(tree, req.patchedModules);
  report.step("verify", "building the initramfs");
  std::string initrd = buildInitramfs(machine, req, moduleFiles);
  report.step("verify", fmt::format("booting the kernel in {} (TCG)", machine.system));
  std::string log = req.workDir + "/verify-serial.log";
  kbuild::ProcessOptions o;
  o.env = {"LPB_QEMU_QUIET=1", "LPB_QEMU_LOG=" + log, fmt::format("LPB_QEMU_SYSTEM={}", machine.system),
           fmt::format("LPB_QEMU_MACHINE={}", machine.options), fmt::format("LPB_QEMU_CONSOLE={}", machine.console),
           fmt::format("LPB_QEMU_IMAGE={}", machine.image)};
  kbuild::ProcessResult r =
      kbuild::runProcess({req.dataDir + "/scripts/kernel/qemu-run.sh", tree.bootImage(), initrd, "300"}, o);
  report.clearStep();
  std::error_code ec;
  if (!req.keepLog.empty()) fs::copy_file(log, req.keepLog, fs::copy_options::overwrite_existing, ec);
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find("LPB-VERIFY");
    if (at != std::string::npos) report.say("guest: " + line.substr(at));
  }
  return r.status;
}

std::string verifyFailure(int status) {
  return status == 1   ? "loading, transition or the check command failed"
         : status == 3 ? "the kernel reported an Oops, BUG, WARNING or Call Trace"
                       : "the guest did not finish";
}

}  // namespace lpb::pipeline
