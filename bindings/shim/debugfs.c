// SPDX-License-Identifier: GPL-2.0-only
/* debugfs.c - shims for debugfs macros; see shim.h for the naming scheme. */
#include "shim.h"

#ifdef debugfs_create_file
struct dentry *rust_shim_debugfs_create_file(const char *name, umode_t mode,
					     struct dentry *parent, void *data,
					     const struct file_operations *fops)
{
	return debugfs_create_file(name, mode, parent, data, fops);
}
#endif
