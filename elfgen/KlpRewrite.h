// The last step of a patch module: turning the linked module's references to
// `.klp.sym.*` symbols into livepatch relocations.
//
// Before the link those references are ordinary relocations against weak undefined
// symbols whose names already say everything (`.klp.sym.vmlinux.saved_command_line,0`), so
// that `ld -r` and modpost pass them through. Afterwards each such symbol gets the section
// index SHN_LIVEPATCH (the module loader leaves it alone), and each relocation against one
// moves from `.rela<sec>` to `.klp.rela.<object>.<sec>` (SHF_RELA_LIVEPATCH), which
// livepatch applies once `<object>` is loaded. Symbol indices are kept as they are: the
// kernel keeps the module's symbol table verbatim and the relocations refer to it by index.
#pragma once

#include <map>
#include <string>

namespace lpb::elf {

struct KlpRewriteStats {
  std::map<std::string, unsigned> relocationsByObject;  // livepatch relocations per object
  unsigned symbols = 0;                                 // SHN_LIVEPATCH symbols
  unsigned sections = 0;                                // .klp.rela.* sections written
};

// Rewrites the module at `path` in place. Throws InputError on a malformed module.
KlpRewriteStats convertKlpRelocations(const std::string& path);

}  // namespace lpb::elf
