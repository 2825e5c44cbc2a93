/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shim.h - hand-written C wrappers for kernel *function-like macros*, which
 * bindgen cannot see. (Static inline functions need no shim: gen wraps every
 * one of them automatically into the set's wrappers.c.)
 *
 * Naming scheme
 * -------------
 *   C symbol:    rust_shim_<name>
 *   Rust name:   <name>, where <name> is the C macro's name in lower case
 *                (mutex_init, spin_lock_init, init_work, this_module, ...).
 *
 * gen renames every `rust_shim_<name>` declaration of this header to `<name>`
 * in bindings.rs and keeps `#[link_name = "rust_shim_<name>"]`, so Rust code
 * calls `kmalloc(size, GFP_KERNEL)`, `mutex_init(m)`, `this_module()`,
 * `current()` whatever the kernel version.
 *
 * A macro that is a real (or static inline) function on some kernels is
 * guarded with `#ifdef <macro>`: the shim exists only where the name is a
 * macro, so it never collides with the function bindgen binds (or wraps) on
 * the other kernels. Example: kmalloc is a static inline in 6.1 (bound via
 * wrappers.c as kmalloc__extern) and a macro in 6.12 (bound via
 * rust_shim_kmalloc); Rust sees `kmalloc` in both.
 *
 * Every shim is a separate, non-static function defined in one file per
 * subsystem (slab.c, sync.c, sched.c, ...). A module build compiles, with
 * the kernel's own flags and as one unit (so file-local names must differ
 * between files), only the files that define a shim its Rust code calls
 * (mk/select-shims.sh), and links each of those WHOLE: C objects carry tables
 * (__ex_table, .altinstructions, __jump_table, __bug_table) that nothing
 * references but the kernel needs, so they are never garbage-collected. A
 * shim may therefore only reference symbols the kernel exports
 * (EXPORT_SYMBOL*), directly or through the static inlines and macros it
 * expands; otherwise modpost fails for every module that calls any shim of
 * its file. gen compiles all shims for each kernel it makes a set for and
 * fails on any warning. (The symbol names of a module build are summed up
 * in docs/architecture.md.)
 *
 * Notes
 * - mutex_init/spin_lock_init/init_waitqueue_head/init_work/timer_setup
 *   contain a `static struct lock_class_key`: with lockdep enabled all
 *   objects initialised through one shim share one lock class. Debian's
 *   kernels are built without CONFIG_LOCKDEP, where this costs nothing.
 * - Constants from macros that bindgen cannot evaluate (casts, function-like
 *   macros) live in consts.h, which is read by gen only.
 */
#ifndef RUST_SHIM_H
#define RUST_SHIM_H

#include <linux/types.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/kdev_t.h>
#include <linux/printk.h>
#include <linux/debugfs.h>

/* module.c */
struct module *rust_shim_this_module(void);

/* slab.c: kmalloc & co. are static inlines on 6.1, macros since 6.10 */
#ifdef kmalloc
void *rust_shim_kmalloc(size_t size, gfp_t flags);
#endif
#ifdef kzalloc
void *rust_shim_kzalloc(size_t size, gfp_t flags);
#endif
#ifdef kcalloc
void *rust_shim_kcalloc(size_t n, size_t size, gfp_t flags);
#endif
#ifdef krealloc
void *rust_shim_krealloc(const void *p, size_t new_size, gfp_t flags);
#endif
#ifdef kmalloc_array
void *rust_shim_kmalloc_array(size_t n, size_t size, gfp_t flags);
#endif
#ifdef kvmalloc
void *rust_shim_kvmalloc(size_t size, gfp_t flags);
#endif
#ifdef kvzalloc
void *rust_shim_kvzalloc(size_t size, gfp_t flags);
#endif
#ifdef kstrdup
char *rust_shim_kstrdup(const char *s, gfp_t flags);
#endif

/* uaccess.c: static inlines on 6.1 and 6.12, guarded in case they become macros */
#ifdef copy_to_user
unsigned long rust_shim_copy_to_user(void __user *to, const void *from,
				     unsigned long n);
#endif
#ifdef copy_from_user
unsigned long rust_shim_copy_from_user(void *to, const void __user *from,
				       unsigned long n);
#endif

/* sync.c: locks */
void rust_shim_mutex_init(struct mutex *lock);
#ifdef mutex_lock
void rust_shim_mutex_lock(struct mutex *lock);
#endif
#ifdef mutex_lock_interruptible
int rust_shim_mutex_lock_interruptible(struct mutex *lock);
#endif
void rust_shim_spin_lock_init(spinlock_t *lock);
/*
 * Lock initialisers taking the lock class from the caller (one key per
 * lock declaration site, as the C macros do with their hidden static key).
 * Not macros themselves: the Rust names carry the `_with_key` suffix.
 */
void rust_shim_mutex_init_with_key(struct mutex *lock, const char *name,
				   struct lock_class_key *key);
void rust_shim_spin_lock_init_with_key(spinlock_t *lock, const char *name,
				       struct lock_class_key *key);
void rust_shim_init_waitqueue_head_with_key(struct wait_queue_head *wq_head,
					    const char *name,
					    struct lock_class_key *key);
unsigned long rust_shim_spin_lock_irqsave(spinlock_t *lock);

/* wait.c: wait queues */
void rust_shim_init_waitqueue_head(struct wait_queue_head *wq_head);
void rust_shim_wake_up(struct wait_queue_head *wq_head);
void rust_shim_wake_up_interruptible(struct wait_queue_head *wq_head);
void rust_shim_wake_up_all(struct wait_queue_head *wq_head);
void rust_shim_wake_up_interruptible_all(struct wait_queue_head *wq_head);

/* sched.c */
struct task_struct *rust_shim_current(void);

/* workqueue.c */
void rust_shim_init_work(struct work_struct *work, work_func_t func);
void rust_shim_init_delayed_work(struct delayed_work *work, work_func_t func);

/* timer.c */
void rust_shim_timer_setup(struct timer_list *timer,
			   void (*callback)(struct timer_list *),
			   unsigned int flags);
void rust_shim_udelay(unsigned long usecs);
void rust_shim_ndelay(unsigned long nsecs);
void rust_shim_mdelay(unsigned long msecs);

/* kthread.c: kthread_run with a fixed "%s" format (Rust formats the name) */
struct task_struct *rust_shim_kthread_run(int (*threadfn)(void *data),
					  void *data, const char *name);

/* device.c: dev_t helpers */
dev_t rust_shim_mkdev(unsigned int major, unsigned int minor);
unsigned int rust_shim_major(dev_t dev);
unsigned int rust_shim_minor(dev_t dev);

/* debugfs.c: a _Generic macro over debugfs_create_file_{full,short} since 6.13 */
#ifdef debugfs_create_file
struct dentry *rust_shim_debugfs_create_file(const char *name, umode_t mode,
					     struct dentry *parent, void *data,
					     const struct file_operations *fops);
#endif

#endif /* RUST_SHIM_H */
