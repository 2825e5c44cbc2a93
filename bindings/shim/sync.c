// SPDX-License-Identifier: GPL-2.0-only
/* sync.c - shims for mutex and spinlock macros; see shim.h for the naming scheme. */
#include <linux/version.h>
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

void rust_shim_mutex_init_with_key(struct mutex *lock, const char *name,
				   struct lock_class_key *key)
{
	__mutex_init(lock, name, key);
}

void rust_shim_spin_lock_init_with_key(spinlock_t *lock, const char *name,
				       struct lock_class_key *key)
{
	/* What spin_lock_init() expands to, with the caller's key. */
#if defined(CONFIG_PREEMPT_RT) && LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0)
	rt_mutex_base_init(&lock->lock);
	__rt_spin_lock_init(lock, name, key, false);
#elif defined(CONFIG_PREEMPT_RT)
	/* 5.10's RT patch set: an rt_mutex inside, no "percpu" argument. */
	rt_mutex_init(&lock->lock);
	__rt_spin_lock_init(lock, name, key);
#elif defined(CONFIG_DEBUG_SPINLOCK)
	__raw_spin_lock_init(spinlock_check(lock), name, key, LD_WAIT_CONFIG);
#else
	spin_lock_init(lock);
#endif
}
