/* LoongArch ORC (6.9+): objtool writes .orc_unwind_ip (a 4-byte PC-relative address per
 * entry) and .orc_unwind (a parallel struct orc_entry, 8 bytes here). The entries of the
 * changed function come along, in lockstep; the unchanged one's do not. The tables are
 * written by hand below, as objtool would for these two functions. */
#include "lpb-kernel.h"

int lpb_orc_changed(int x)
{
	return x + 1;
}

int lpb_orc_same(int x)
{
	return x * 3;
}

asm(".pushsection .orc_unwind_ip,\"a\"\n"
    "\t.long lpb_orc_changed - .\n"
    "\t.long lpb_orc_same - .\n"
    ".popsection\n"
    ".pushsection .orc_unwind,\"a\"\n"
    "\t.short 1, 2, 3, 0x45\n"
    "\t.short 5, 6, 7, 0x89\n"
    ".popsection\n");
