// SPDX-License-Identifier: GPL-2.0-only
/* kthread.c - shims for kthread macros; see shim.h for the naming scheme. */
#include "shim.h"

struct task_struct *rust_shim_kthread_run(int (*threadfn)(void *data),
					  void *data, const char *name)
{
	return kthread_run(threadfn, data, "%s", name);
}
