/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * consts.h - constants from kernel macros that bindgen cannot evaluate by
 * itself (they contain casts such as `(__force gfp_t)` or function-like
 * macros such as `_AC()`). READ BY GEN ONLY: it is part of bindgen's input and
 * is never compiled (the definitions are not static).
 *
 * Naming: `const <type> rust_shim_<MACRO> = <MACRO>;` becomes
 * `pub const <MACRO>: <type> = <value>;` in bindings.rs. gen tells bindgen to
 * ignore the macro of the same name so the constant is emitted once, with
 * this type. Macros that bindgen evaluates correctly by itself (errnos,
 * KERN_* strings, TASK_*, O_*, ...) need no entry here.
 *
 * It includes nothing: gen reads it after the headers of headers.txt and
 * shim.h, so every macro used here must come from those (otherwise bindgen
 * would also see, and wrap, static inline functions that wrappers.c cannot
 * compile).
 */

/* gfp_t allocation flags */
const gfp_t rust_shim_GFP_KERNEL = GFP_KERNEL;
const gfp_t rust_shim_GFP_ATOMIC = GFP_ATOMIC;
const gfp_t rust_shim_GFP_NOWAIT = GFP_NOWAIT;
const gfp_t rust_shim_GFP_NOIO = GFP_NOIO;
const gfp_t rust_shim_GFP_NOFS = GFP_NOFS;
const gfp_t rust_shim_GFP_USER = GFP_USER;
const gfp_t rust_shim_GFP_DMA = GFP_DMA;
const gfp_t rust_shim_GFP_DMA32 = GFP_DMA32;
const gfp_t rust_shim_GFP_HIGHUSER = GFP_HIGHUSER;
const gfp_t rust_shim_GFP_KERNEL_ACCOUNT = GFP_KERNEL_ACCOUNT;
const gfp_t rust_shim___GFP_ZERO = __GFP_ZERO;
const gfp_t rust_shim___GFP_NOWARN = __GFP_NOWARN;
const gfp_t rust_shim___GFP_HIGHMEM = __GFP_HIGHMEM;

/* pages */
const unsigned long rust_shim_PAGE_SIZE = PAGE_SIZE;
const unsigned long rust_shim_PAGE_MASK = PAGE_MASK;
const unsigned int rust_shim_PAGE_SHIFT = PAGE_SHIFT;

/* poll events (__poll_t) */
const __poll_t rust_shim_EPOLLIN = EPOLLIN;
const __poll_t rust_shim_EPOLLPRI = EPOLLPRI;
const __poll_t rust_shim_EPOLLOUT = EPOLLOUT;
const __poll_t rust_shim_EPOLLERR = EPOLLERR;
const __poll_t rust_shim_EPOLLHUP = EPOLLHUP;
const __poll_t rust_shim_EPOLLNVAL = EPOLLNVAL;
const __poll_t rust_shim_EPOLLRDNORM = EPOLLRDNORM;
const __poll_t rust_shim_EPOLLRDBAND = EPOLLRDBAND;
const __poll_t rust_shim_EPOLLWRNORM = EPOLLWRNORM;
const __poll_t rust_shim_EPOLLWRBAND = EPOLLWRBAND;
const __poll_t rust_shim_EPOLLRDHUP = EPOLLRDHUP;

/* fmode_t */
const fmode_t rust_shim_FMODE_READ = FMODE_READ;
const fmode_t rust_shim_FMODE_WRITE = FMODE_WRITE;

/* time */
const unsigned long rust_shim_HZ = HZ;
const long rust_shim_MAX_SCHEDULE_TIMEOUT = MAX_SCHEDULE_TIMEOUT;
const unsigned long rust_shim_MAX_JIFFY_OFFSET = MAX_JIFFY_OFFSET;

/* limits */
const unsigned long rust_shim_MAX_ERRNO = MAX_ERRNO;
const int rust_shim_INT_MAX = INT_MAX;
const unsigned int rust_shim_UINT_MAX = UINT_MAX;
const long rust_shim_LONG_MAX = LONG_MAX;
const unsigned long rust_shim_ULONG_MAX = ULONG_MAX;
const size_t rust_shim_SIZE_MAX = SIZE_MAX;

/* NUMA: linux/numa.h defines it up to 6.x, linux/nodemask_types.h (which no
 * older kernel has, so it cannot be listed) from 7.2 on */
const int rust_shim_NUMA_NO_NODE = NUMA_NO_NODE;
