// SPDX-License-Identifier: GPL-2.0-only
/* device.c - shims for dev_t macros; see shim.h for the naming scheme. */
#include "shim.h"

dev_t rust_shim_mkdev(unsigned int major, unsigned int minor)
{
	return MKDEV(major, minor);
}

unsigned int rust_shim_major(dev_t dev)
{
	return MAJOR(dev);
}

unsigned int rust_shim_minor(dev_t dev)
{
	return MINOR(dev);
}
