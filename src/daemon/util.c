// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <string.h>

#include "daemon/util.h"

int ifb_read_file(const char *path, char *buf, size_t size)
{
	_cleanup_(closep) int fd = -1;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, size - 1);
	if (n < 0)
		return neg_errno();
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (int)n;
}

int ifb_write_file(const char *path, const char *value)
{
	_cleanup_(closep) int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = write(fd, value, len);
	if (n < 0)
		return neg_errno();
	if ((size_t)n != len)
		return -EIO;
	return 0;
}
