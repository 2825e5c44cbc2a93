// SPDX-License-Identifier: GPL-2.0-only
/* timer.c - shims for timer and delay macros; see shim.h for the naming scheme. */
#include "shim.h"

void rust_shim_timer_setup(struct timer_list *timer,
			   void (*callback)(struct timer_list *),
			   unsigned int flags)
{
	timer_setup(timer, callback, flags);
}

void rust_shim_udelay(unsigned long usecs)
{
	udelay(usecs);
}

void rust_shim_ndelay(unsigned long nsecs)
{
	ndelay(nsecs);
}

void rust_shim_mdelay(unsigned long msecs)
{
	mdelay(msecs);
}
