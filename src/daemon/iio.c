// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "daemon/iio.h"
#include "daemon/util.h"
#include "iio-ffs-bridge/kernel-compat.h"

static int read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	return ifb_read_file(path, buf, size);
}

static int write_attr(const char *dir, const char *attr, const char *value)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	return ifb_write_file(path, value);
}

/* The sysfs path a device directory resolves to, and its parent's: the
 * bus path a board keeps from boot to boot, whatever N the device gets. */
static bool path_matches(const char *dir, const char *spec)
{
	char real[PATH_MAX], want[PATH_MAX], *slash;

	/* the spec resolved too: /sys/bus/iio/devices/iio:device0, a
	 * trailing slash; a path that does not resolve is compared as is */
	if (realpath(spec, want))
		spec = want;
	if (!realpath(dir, real))
		return false;
	if (strcmp(real, spec) == 0)
		return true;
	slash = strrchr(real, '/');
	if (slash && slash != real) {
		*slash = '\0';
		if (strcmp(real, spec) == 0)
			return true;
	}
	return false;
}

static bool device_matches(const char *dir, const char *entry, const char *spec)
{
	char buf[128];

	if (spec[0] == '/')
		return path_matches(dir, spec);
	if (strcmp(entry, spec) == 0)
		return true;
	if (read_attr(dir, "name", buf, sizeof(buf)) >= 0 && strcmp(buf, spec) == 0)
		return true;
	return read_attr(dir, "label", buf, sizeof(buf)) >= 0 && strcmp(buf, spec) == 0;
}

/* "iio:device7" after "iio:device10"? By N, so that lists read in order. */
static int cmp_device_entry(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned long nx = strtoul(x + 10, NULL, 10), ny = strtoul(y + 10, NULL, 10);

	return nx < ny ? -1 : nx > ny;
}

/*
 * The iio:deviceN entries of sysroot that spec names, in order of N, into
 * names (room for max, each IFB_IIO_ENTRY_LEN). Returns how many matched
 * (possibly more than max) or -errno.
 */
#define IFB_IIO_ENTRY_LEN 32
static int find_matches(const char *spec, const char *sysroot, char (*names)[IFB_IIO_ENTRY_LEN],
			unsigned max)
{
	char **all = NULL, dir[PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir(sysroot);
	if (!d)
		return neg_errno() == -ENOENT ? -ENODEV : neg_errno();
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "iio:device", 10) || strlen(de->d_name) >= IFB_IIO_ENTRY_LEN)
			continue;
		if (n == cap) {
			char **v = realloc(all, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!v) {
				found = -ENOMEM;
				break;
			}
			all = v;
		}
		if (!(all[n] = strdup(de->d_name))) {
			found = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (found == 0 && n)
		qsort(all, n, sizeof(*all), cmp_device_entry);
	for (size_t i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", sysroot, all[i]);
		if (found >= 0 && device_matches(dir, all[i], spec)) {
			if ((unsigned)found < max)
				snprintf(names[found], IFB_IIO_ENTRY_LEN, "%s", all[i]);
			found++;
		}
		free(all[i]);
	}
	free(all);
	return found;
}

int ifb_iio_list_matches(const char *spec, const char *sysroot, char *buf, size_t size)
{
	char names[16][IFB_IIO_ENTRY_LEN];
	size_t len = 0;
	int n;

	if (!sysroot)
		sysroot = "/sys/bus/iio/devices";
	n = find_matches(spec, sysroot, names, 16);
	if (n < 0)
		return n;
	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	for (int i = 0; i < n && i < 16; i++) {
		char dir[PATH_MAX], name[64] = "", label[64] = "", real[PATH_MAX] = "?", tmp[PATH_MAX];
		int w;

		snprintf(dir, sizeof(dir), "%s/%s", sysroot, names[i]);
		(void)read_attr(dir, "name", name, sizeof(name));
		(void)read_attr(dir, "label", label, sizeof(label));
		if (realpath(dir, tmp)) {
			char *slash = strrchr(tmp, '/');

			if (slash && slash != tmp)
				*slash = '\0'; /* the parent: stable across boots */
			snprintf(real, sizeof(real), "%s", tmp);
		}
		w = snprintf(buf + len, size - len, "%s%s (name '%s'%s%s%s, parent %s)",
			     i ? ", " : "", names[i], name, label[0] ? ", label '" : "", label,
			     label[0] ? "'" : "", real);
		if (w < 0 || (size_t)w >= size - len)
			goto cut;
		len += (size_t)w;
	}
	if (n > 16) {
		int w = snprintf(buf + len, size - len, " and %d more", n - 16);

		if (w < 0 || (size_t)w >= size - len)
			goto cut;
	}
	return n;
cut:
	/* what fits, marked as cut: a long list is still worth reading */
	if (size < 4)
		return -ENOSPC;
	memcpy(buf + size - 4, "...", 4);
	return n;
}

static int cmp_channel(const void *a, const void *b)
{
	const struct ifb_iio_channel *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The buffer's scan elements of its direction (scan.h's reader: in_ for
 * an input buffer, out_ for an output one), sorted by scan
 * index. Unlike the IIOD context, which leaves out what it cannot stream,
 * the data path refuses a device it cannot describe: an element with a
 * name over IFB_CHANNEL_NAME_LEN, an index over 16 bits, or a missing or
 * bad index or type fails the device.
 */
static int list_channels(struct ifb_iio *io)
{
	struct ifb_scan_element *el;
	size_t n;
	int r;

	r = ifb_scan_elements_read(io->chandir, &el, &n);
	if (r < 0)
		return r;
	io->num_channels = 0;
	for (size_t i = 0; i < n; i++) {
		struct ifb_iio_channel *c;

		if (el[i].output != io->output)
			continue;
		if (strlen(el[i].id) >= IFB_CHANNEL_NAME_LEN) {
			r = -ENAMETOOLONG;
			break;
		}
		if (io->num_channels == IFB_MAX_CHANNELS) {
			r = -E2BIG;
			break;
		}
		if (el[i].index < 0 || el[i].index > UINT16_MAX) {
			r = el[i].index_error < 0 ? el[i].index_error : -EINVAL;
			break;
		}
		if (el[i].type_error < 0) {
			r = el[i].type_error;
			break;
		}
		c = &io->ch[io->num_channels++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", el[i].id);
		c->index = (unsigned)el[i].index;
		c->type = el[i].type;
	}
	ifb_scan_elements_free(el, n);
	if (r < 0)
		return r;
	qsort(io->ch, io->num_channels, sizeof(io->ch[0]), cmp_channel);
	return io->num_channels ? 0 : -ENOENT;
}

static bool has_attr(const char *dir, const char *attr)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	return access(path, F_OK) == 0;
}

/* Point bufdir/chandir at the legacy interface's directories. */
static int use_legacy(struct ifb_iio *io)
{
	io->legacy = true;
	if ((size_t)snprintf(io->bufdir, sizeof(io->bufdir), "%s/buffer", io->sysdir) >=
		    sizeof(io->bufdir) ||
	    (size_t)snprintf(io->chandir, sizeof(io->chandir), "%s/scan_elements", io->sysdir) >=
		    sizeof(io->chandir))
		return -ENAMETOOLONG;
	return 0;
}

/* The test hook documented in iio.h. */
static bool force_legacy(void)
{
	const char *v = getenv("IFB_IIO_LEGACY");

	return v && strcmp(v, "1") == 0;
}

int ifb_iio_find(struct ifb_iio *io, const char *spec, unsigned buffer, const char *sysroot)
{
	char names[1][IFB_IIO_ENTRY_LEN];
	int n;

	memset(io, 0, sizeof(*io));
	io->dev_fd = io->buf_fd = -1;
	io->buffer = buffer;
	if (!sysroot)
		sysroot = "/sys/bus/iio/devices";
	n = find_matches(spec, sysroot, names, 1);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENODEV;
	if (n > 1)
		return -ENOTUNIQ;
	if ((size_t)snprintf(io->sysdir, sizeof(io->sysdir), "%s/%s", sysroot, names[0]) >=
	    sizeof(io->sysdir))
		return -ENAMETOOLONG;
	snprintf(io->devnode, sizeof(io->devnode), "/dev/%s", names[0]);
	if (read_attr(io->sysdir, "name", io->name, sizeof(io->name)) < 0)
		snprintf(io->name, sizeof(io->name), "%s", spec);
	if ((size_t)snprintf(io->bufdir, sizeof(io->bufdir), "%s/buffer%u", io->sysdir, buffer) >=
	    sizeof(io->bufdir))
		return -ENAMETOOLONG;
	snprintf(io->chandir, sizeof(io->chandir), "%s", io->bufdir);
	if (force_legacy() || !has_attr(io->bufdir, "enable")) {
		/* No per-buffer directory (before 5.13): the legacy one. */
		if (buffer != 0 || use_legacy(io) < 0 || !has_attr(io->bufdir, "enable"))
			return -ENOENT;
	}
	/* bufferY/direction (drivers/iio/industrialio-buffer.c, since 5.11):
	 * "in" or "out"; without it (legacy) every buffer is an input one. */
	{
		char dir[8];

		io->output = !io->legacy && read_attr(io->bufdir, "direction", dir, sizeof(dir)) >= 0 &&
			     !strcmp(dir, "out");
	}
	return list_channels(io);
}

int ifb_iio_select(struct ifb_iio *io, bool all, const char (*names)[IFB_CHANNEL_NAME_LEN],
		   unsigned n, unsigned *bad)
{
	struct ifb_scan_type types[IFB_MAX_CHANNELS];
	uint16_t offsets[IFB_MAX_CHANNELS];
	unsigned k = 0;
	int size;

	for (unsigned i = 0; i < io->num_channels; i++)
		io->ch[i].selected = all;
	for (unsigned j = 0; !all && j < n; j++) {
		bool hit = false;

		for (unsigned i = 0; i < io->num_channels; i++) {
			if (strcmp(io->ch[i].name, names[j]) == 0) {
				io->ch[i].selected = true;
				hit = true;
			}
		}
		if (!hit) {
			if (bad)
				*bad = j;
			return -ENOENT;
		}
	}
	for (unsigned i = 0; i < io->num_channels; i++)
		if (io->ch[i].selected)
			types[k++] = io->ch[i].type;
	/* The timestamp is no scan element of its own to the kernel (its _en
	 * sets scan_timestamp, not the scan mask): with no other channel the
	 * buffer cannot be enabled (EINVAL). */
	if (k == 1 && !all && ifb_iio_has_timestamp(io))
		return -ENODATA;
	size = ifb_scan_layout(types, k, offsets);
	if (size < 0)
		return size;
	k = 0;
	for (unsigned i = 0; i < io->num_channels; i++)
		if (io->ch[i].selected)
			io->ch[i].offset = offsets[k++];
	io->scan_size = (unsigned)size;
	return 0;
}

bool ifb_iio_has_timestamp(const struct ifb_iio *io)
{
	for (unsigned i = 0; i < io->num_channels; i++)
		if (io->ch[i].selected && strcmp(io->ch[i].name, IFB_TIMESTAMP_CHANNEL) == 0)
			return true;
	return false;
}

uint8_t ifb_iio_timestamp_clock(const struct ifb_iio *io)
{
	char buf[32];

	if (!ifb_iio_has_timestamp(io))
		return IFB_TS_CLOCK_NONE;
	if (read_attr(io->sysdir, "current_timestamp_clock", buf, sizeof(buf)) < 0)
		return IFB_TS_CLOCK_UNKNOWN;
	for (unsigned c = 1; c < IFB_TS_CLOCK_UNKNOWN; c++)
		if (ifb_ts_clock_name(c) && strcmp(buf, ifb_ts_clock_name(c)) == 0)
			return (uint8_t)c;
	return IFB_TS_CLOCK_UNKNOWN;
}

int ifb_iio_buffer_enabled(struct ifb_iio *io)
{
	char buf[8];
	int r = read_attr(io->bufdir, "enable", buf, sizeof(buf));

	if (r < 0)
		return r;
	return strcmp(buf, "1") == 0;
}

int ifb_iio_buffer_enable(struct ifb_iio *io, bool on)
{
	return write_attr(io->bufdir, "enable", on ? "1" : "0");
}

int ifb_iio_apply_channels(struct ifb_iio *io)
{
	for (unsigned i = 0; i < io->num_channels; i++) {
		char attr[64];
		int r;

		snprintf(attr, sizeof(attr), "%s_%s_en", io->output ? "out" : "in", io->ch[i].name);
		r = write_attr(io->chandir, attr, io->ch[i].selected ? "1" : "0");
		if (r < 0)
			return r;
	}
	return 0;
}

int ifb_iio_set_length(struct ifb_iio *io, unsigned scans, unsigned watermark)
{
	char v[32];
	int r;

	snprintf(v, sizeof(v), "%u", scans);
	r = write_attr(io->bufdir, "length", v);
	if (r < 0)
		return r;
	snprintf(v, sizeof(v), "%u", watermark);
	return write_attr(io->bufdir, "watermark", v);
}

int ifb_iio_set_sampling_frequency(struct ifb_iio *io, const char *hz)
{
	return write_attr(io->sysdir, "sampling_frequency", hz);
}

int ifb_iio_sampling_frequency_writable(struct ifb_iio *io)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/sampling_frequency", io->sysdir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0)
		return neg_errno();
	return st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH) ? 0 : -EACCES;
}

int ifb_iio_sampling_frequency_mhz(struct ifb_iio *io, uint64_t *ret)
{
	char buf[64], *end;
	double hz;
	int r = read_attr(io->sysdir, "sampling_frequency", buf, sizeof(buf));

	if (r < 0)
		return r;
	hz = strtod(buf, &end);
	if (end == buf || !(hz >= 0) || hz > 1e15)
		return -EINVAL;
	*ret = (uint64_t)llround(hz * 1000.0);
	return 0;
}

int ifb_iio_open(struct ifb_iio *io)
{
	int idx = (int)io->buffer;

	io->dev_fd = open(io->devnode, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (io->dev_fd < 0)
		return neg_errno();
	if (!io->legacy && ioctl(io->dev_fd, IIO_BUFFER_GET_FD_IOCTL, &idx) < 0) {
		int r = neg_errno();

		/* No such ioctl (before 5.13): buffer 0 through the legacy
		 * interface, if the kernel serves it. */
		if ((r == -ENOTTY || r == -EINVAL) && io->buffer == 0 &&
		    has_attr(io->sysdir, "buffer/enable") && has_attr(io->sysdir, "scan_elements") &&
		    use_legacy(io) == 0) {
			/* bufdir/chandir now name the legacy directories */
		} else {
			closep(&io->dev_fd);
			return r;
		}
	}
	if (io->legacy) {
		/* The device fd is the buffer's: it reads buffer 0. */
		io->buf_fd = io->dev_fd;
		io->dev_fd = -1;
		return 0;
	}
	io->buf_fd = idx;
	/* The fd comes back without O_NONBLOCK unless the device fd had it;
	 * set it so reads and enqueues never block the loop. */
	if (fcntl(io->buf_fd, F_SETFL, fcntl(io->buf_fd, F_GETFL) | O_NONBLOCK) < 0) {
		int r = neg_errno();

		ifb_iio_close(io);
		return r;
	}
	(void)fcntl(io->buf_fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

void ifb_iio_close(struct ifb_iio *io)
{
	closep(&io->buf_fd);
	closep(&io->dev_fd);
}

int ifb_iio_dmabuf_attach(struct ifb_iio *io, int dmabuf_fd)
{
	return ioctl(io->buf_fd, IIO_BUFFER_DMABUF_ATTACH_IOCTL, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_iio_dmabuf_detach(struct ifb_iio *io, int dmabuf_fd)
{
	return ioctl(io->buf_fd, IIO_BUFFER_DMABUF_DETACH_IOCTL, &dmabuf_fd) < 0 ? neg_errno() : 0;
}

int ifb_iio_dmabuf_enqueue(struct ifb_iio *io, int dmabuf_fd, uint64_t bytes, uint32_t flags)
{
	struct iio_dmabuf req = { .fd = (__u32)dmabuf_fd, .flags = flags, .bytes_used = bytes };

	return ioctl(io->buf_fd, IIO_BUFFER_DMABUF_ENQUEUE_IOCTL, &req) < 0 ? neg_errno() : 0;
}
