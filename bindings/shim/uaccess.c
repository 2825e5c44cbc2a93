// SPDX-License-Identifier: GPL-2.0-only
/* uaccess.c - shims for user-space access macros; see shim.h for the naming scheme. */
#include "shim.h"

#ifdef copy_to_user
unsigned long rust_shim_copy_to_user(void __user *to, const void *from,
				     unsigned long n)
{
	return copy_to_user(to, from, n);
}
#endif

#ifdef copy_from_user
unsigned long rust_shim_copy_from_user(void *to, const void __user *from,
				       unsigned long n)
{
	return copy_from_user(to, from, n);
}
#endif
