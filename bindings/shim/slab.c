// SPDX-License-Identifier: GPL-2.0-only
/* slab.c - shims for slab allocator macros; see shim.h for the naming scheme. */
#include "shim.h"

#ifdef kmalloc
void *rust_shim_kmalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags);
}
#endif

#ifdef kzalloc
void *rust_shim_kzalloc(size_t size, gfp_t flags)
{
	return kzalloc(size, flags);
}
#endif

#ifdef kcalloc
void *rust_shim_kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kcalloc(n, size, flags);
}
#endif

#ifdef krealloc
void *rust_shim_krealloc(const void *p, size_t new_size, gfp_t flags)
{
	return krealloc(p, new_size, flags);
}
#endif

#ifdef kmalloc_array
void *rust_shim_kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags);
}
#endif

#ifdef kvmalloc
void *rust_shim_kvmalloc(size_t size, gfp_t flags)
{
	return kvmalloc(size, flags);
}
#endif

#ifdef kvzalloc
void *rust_shim_kvzalloc(size_t size, gfp_t flags)
{
	return kvzalloc(size, flags);
}
#endif

#ifdef kstrdup
char *rust_shim_kstrdup(const char *s, gfp_t flags)
{
	return kstrdup(s, flags);
}
#endif
