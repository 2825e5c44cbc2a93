// SPDX-License-Identifier: GPL-2.0-only
/* sync.c - shims for mutex and spinlock macros; see shim.h for the naming scheme. */
#include "shim.h"

void rust_shim_mutex_init(struct mutex *lock)
{
	mutex_init(lock);
}

#ifdef mutex_lock
void rust_shim_mutex_lock(struct mutex *lock)
{
	mutex_lock(lock);
}
#endif

#ifdef mutex_lock_interruptible
int rust_shim_mutex_lock_interruptible(struct mutex *lock)
{
	return mutex_lock_interruptible(lock);
}
#endif

void rust_shim_spin_lock_init(spinlock_t *lock)
{
	spin_lock_init(lock);
}

unsigned long rust_shim_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}
