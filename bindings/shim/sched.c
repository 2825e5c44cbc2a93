// SPDX-License-Identifier: GPL-2.0-only
/* sched.c - shims for scheduler macros; see shim.h for the naming scheme. */
#include "shim.h"

struct task_struct *rust_shim_current(void)
{
	return current;
}
