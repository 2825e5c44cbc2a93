// SPDX-License-Identifier: GPL-2.0-only
/* wait.c - shims for wait queue macros; see shim.h for the naming scheme. */
#include "shim.h"

void rust_shim_init_waitqueue_head(struct wait_queue_head *wq_head)
{
	init_waitqueue_head(wq_head);
}

void rust_shim_init_waitqueue_head_with_key(struct wait_queue_head *wq_head,
					    const char *name,
					    struct lock_class_key *key)
{
	__init_waitqueue_head(wq_head, name, key);
}

void rust_shim_wake_up(struct wait_queue_head *wq_head)
{
	wake_up(wq_head);
}

void rust_shim_wake_up_interruptible(struct wait_queue_head *wq_head)
{
	wake_up_interruptible(wq_head);
}

void rust_shim_wake_up_all(struct wait_queue_head *wq_head)
{
	wake_up_all(wq_head);
}

void rust_shim_wake_up_interruptible_all(struct wait_queue_head *wq_head)
{
	wake_up_interruptible_all(wq_head);
}
