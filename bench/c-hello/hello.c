// SPDX-License-Identifier: GPL-2.0-only
/*
 * The C equivalent of module/ (the Rust hello module), for `make bench`
 * only: the same three log lines and module info, built by plain Kbuild.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init hello_init(void)
{
	pr_info("hello: init\n");
	pr_info("hello from rust\n");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("hello: exit\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rust.ko contributors");
MODULE_DESCRIPTION("Prints hello from Rust at load and unload");
