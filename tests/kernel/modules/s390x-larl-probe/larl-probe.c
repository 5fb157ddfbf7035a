// SPDX-License-Identifier: GPL-2.0
/*
 * Does this machine compute s390 PC-relative displacements of 2 GiB and more right?
 *
 * `larl` takes a signed 32-bit count of halfwords: it reaches +/-4 GiB. s390 modules
 * live in the 2 GiB below the kernel image, so a PC-relative reference from a module to
 * kernel data is often more than 2 GiB long. kbuild's own modules reach kernel data
 * through the GOT (-fPIC), but a patched function keeps the PC-relative references its
 * unit had to its own statics, which a livepatch module resolves to vmlinux's copies.
 * The module loader writes such a displacement correctly; QEMU 7.2's TCG wraps it at
 * 32 bits (an address 4 GiB too low). This module prints both addresses so that
 * tests/kernel/s390x.sh can tell which machine it has.
 */
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/module.h>

static int __init larl_probe_init(void)
{
	unsigned long *pcrel;

	asm volatile("larl %0,jiffies" : "=a"(pcrel));
	pr_info("larl-probe: got %px larl %px distance %ld MiB\n", &jiffies, pcrel,
		((long)&jiffies - (long)larl_probe_init) >> 20);
	return 0;
}
module_init(larl_probe_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lp-build test: PC-relative reach from a module into vmlinux");
