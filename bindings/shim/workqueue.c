// SPDX-License-Identifier: GPL-2.0-only
/* workqueue.c - shims for workqueue macros; see shim.h for the naming scheme. */
#include "shim.h"

void rust_shim_init_work(struct work_struct *work, work_func_t func)
{
	INIT_WORK(work, func);
}

void rust_shim_init_delayed_work(struct delayed_work *work, work_func_t func)
{
	INIT_DELAYED_WORK(work, func);
}
