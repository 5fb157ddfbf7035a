// `lp-build targets`: the architectures lp-build builds for, and the QEMU machine
// `--verify` boots for each. The kernel tests read the machine from here (--json), so
// arch/ stays the one place that knows it.
#include <cstdio>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/Commands.h"

namespace lpb::cli {

void addTargetsCommand(CLI::App& app, TargetsArgs& a) {
  CLI::App* c = app.add_subcommand("targets", "List the architectures lp-build builds for and how --verify boots each");
  c->add_flag("--json", a.json, "print them as JSON (name, kbuild_arch, module_code_model_flags, qemu: system, options, console, image, debian_arch)");
}

int runTargets(const TargetsArgs& a) {
  nlohmann::json all = nlohmann::json::array();
  std::string text = fmt::format("{:<12} {:<10} {}\n", "target", "ARCH=", "--verify boots");
  for (const arch::Target* t : arch::allTargets()) {
    nlohmann::json one{{"name", t->name()}, {"kbuild_arch", t->kbuildArch()}, {"qemu", nullptr}};
    // What lp-build adds to the compile of a unit linked into vmlinux, so that its code can
    // run from a module (tests that compile units themselves add the same).
    one["module_code_model_flags"] = nlohmann::json::array();
    for (std::string_view f : t->moduleCodeModelFlags()) one["module_code_model_flags"].push_back(f);
    std::string boots = "(no QEMU machine known to boot: --verify refuses)";
    if (const arch::QemuMachine* m = t->qemuMachine()) {
      one["qemu"] = {{"system", m->system}, {"options", m->options}, {"console", m->console},
                     {"image", m->image}, {"debian_arch", m->debianArch}};
      boots = fmt::format("{} {} (console {}, image {}, busybox-static:{})", m->system, m->options, m->console,
                          m->image, m->debianArch);
    }
    all.push_back(std::move(one));
    text += fmt::format("{:<12} {:<10} {}\n", t->name(), t->kbuildArch(), boots);
  }
  if (a.json) text = all.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace lpb::cli
