/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the daemon's modules. */
#ifndef IFB_UTIL_H
#define IFB_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* 32-bit systems: without the Makefile's -D_FILE_OFFSET_BITS=64, readdir()
 * and stat() fail with EOVERFLOW on an inode number or directory offset
 * past 32 bits, which a 64-bit kernel hands a 64-bit caller (qemu-user
 * running us is one; ext4's directory hashes are such offsets). */
_Static_assert(sizeof(ino_t) == 8 && sizeof(off_t) == 8, "build with -D_FILE_OFFSET_BITS=64");

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* -errno of the last failed libc call, never 0. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Clock id's time in ns (vDSO for the usual clocks: no syscall). */
uint64_t ifb_clock_ns(clockid_t id);
/* CLOCK_MONOTONIC in ns: the board time of protocol version 6. */
static inline uint64_t ifb_now_ns(void)
{
	return ifb_clock_ns(CLOCK_MONOTONIC);
}

/* Read a whole small sysfs/proc file into buf (NUL-terminated, trailing
 * newline removed). Returns length or -errno. */
int ifb_read_file(const char *path, char *buf, size_t size);
/* Write a string to a sysfs/configfs file. 0 or -errno. */
int ifb_write_file(const char *path, const char *value);
/* The names of the regular files in dir (no dotfiles), sorted (strcmp),
 * into *ret (free with ifb_strv_free) and *ret_n. 0, or -errno: dir
 * cannot be opened, or memory runs out. */
int ifb_list_regular_files(const char *dir, char ***ret, size_t *ret_n);
void ifb_strv_free(char **v, size_t n);

#endif
