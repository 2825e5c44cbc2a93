// SPDX-License-Identifier: GPL-2.0-only
/* module.c - shims for module macros; see shim.h for the naming scheme. */
#include "shim.h"

struct module *rust_shim_this_module(void)
{
	return THIS_MODULE;
}
