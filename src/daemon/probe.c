// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "daemon/probe.h"
#include "daemon/util.h"
#include "iio-ffs-bridge/kernel-compat.h"

enum ifb_probe_state ifb_probe_iio_answer(int r)
{
	switch (r) {
	case -EBADF: return IFB_PROBE_PRESENT;
	case -EPERM: return IFB_PROBE_NO_OPS;
	case -ENOTTY:
	case -EINVAL: return IFB_PROBE_NO_INTERFACE;
	default: return IFB_PROBE_UNKNOWN;
	}
}

enum ifb_probe_state ifb_probe_usb_answer(int r, bool bound)
{
	switch (r) {
	case -EBADF: return IFB_PROBE_PRESENT;
	case -EPERM: return bound ? IFB_PROBE_NO_OPS : IFB_PROBE_UNBOUND;
	case -ENOTTY:
	case -EAGAIN: return IFB_PROBE_NO_INTERFACE;
	default: return IFB_PROBE_UNKNOWN;
	}
}

/* An attach of fd -1; 0 would mean the kernel took it (it cannot). */
static int attach_invalid(int fd, unsigned long request)
{
	int bad = -1;

	return ioctl(fd, request, &bad) < 0 ? neg_errno() : 0;
}

void ifb_probe_iio(struct ifb_probe *p, int buf_fd, bool legacy)
{
	if (legacy) {
		p->iio_answer = 0;
		p->iio = IFB_PROBE_LEGACY;
		return;
	}
	p->iio_answer = attach_invalid(buf_fd, IIO_BUFFER_DMABUF_ATTACH_IOCTL);
	p->iio = ifb_probe_iio_answer(p->iio_answer);
}

void ifb_probe_usb(struct ifb_probe *p, int ep_fd, bool bound)
{
	p->usb_answer = attach_invalid(ep_fd, FUNCTIONFS_DMABUF_ATTACH);
	p->usb = ifb_probe_usb_answer(p->usb_answer, bound);
}

bool ifb_probe_zero_copy_possible(const struct ifb_probe *p)
{
	return p->iio == IFB_PROBE_PRESENT &&
	       (p->usb == IFB_PROBE_PRESENT || p->usb == IFB_PROBE_UNBOUND) && p->alloc_err == 0;
}

static const char *iio_reason(const struct ifb_probe *p, char *tmp, size_t size)
{
	switch (p->iio) {
	case IFB_PROBE_PRESENT: return NULL;
	case IFB_PROBE_NO_INTERFACE:
		return "IIO: this kernel's IIO buffers have no DMABUF interface (Linux 6.11+ has it)";
	case IFB_PROBE_NO_OPS:
		snprintf(tmp, size, "IIO: %s has no DMABUF support (only buffers on the IIO DMA buffer core have it; kfifo and triggered buffers do not)",
			 p->iio_what[0] ? p->iio_what : "the IIO buffer");
		return tmp;
	case IFB_PROBE_LEGACY:
		return "IIO: the legacy buffer interface (no bufferN/ in sysfs: Linux before 5.13) has no DMABUF (Linux 6.11+ has it)";
	default:
		snprintf(tmp, size, "IIO: the DMABUF attach probe got an unexpected answer (%s)",
			 p->iio_answer ? strerror(-p->iio_answer) : "not asked");
		return tmp;
	}
}

static const char *usb_reason(const struct ifb_probe *p, char *tmp, size_t size)
{
	switch (p->usb) {
	case IFB_PROBE_PRESENT:
	case IFB_PROBE_UNBOUND: return NULL;
	case IFB_PROBE_NO_INTERFACE:
		return "USB: this kernel's FunctionFS has no DMABUF interface (Linux 6.9+ has it)";
	case IFB_PROBE_NO_OPS:
		return "USB: the UDC cannot do scatter-gather, which FunctionFS DMABUF needs (e.g. dwc2)";
	default:
		snprintf(tmp, size, "USB: the FunctionFS DMABUF attach probe got an unexpected answer (%s)",
			 p->usb_answer ? strerror(-p->usb_answer) : "not asked");
		return tmp;
	}
}

bool ifb_probe_hybrid_possible(const struct ifb_probe *p)
{
	return (p->usb == IFB_PROBE_PRESENT || p->usb == IFB_PROBE_UNBOUND) && p->alloc_err == 0;
}

static int explain(const struct ifb_probe *p, bool with_iio, char *buf, size_t size)
{
	char t1[256], t2[320], t3[160];
	const char *why[3];
	int n = 0;
	size_t len = 0;

	why[n] = usb_reason(p, t1, sizeof(t1));
	n += why[n] != NULL;
	why[n] = with_iio ? iio_reason(p, t2, sizeof(t2)) : NULL;
	n += why[n] != NULL;
	if (p->alloc_err) {
		snprintf(t3, sizeof(t3), "no DMABUF allocator (%s: %s)",
			 p->alloc_name[0] ? p->alloc_name : "auto", strerror(-p->alloc_err));
		why[n++] = t3;
	}
	if (size)
		buf[0] = '\0';
	for (int i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? "; " : "", why[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	return n;
}

int ifb_probe_explain(const struct ifb_probe *p, char *buf, size_t size)
{
	return explain(p, true, buf, size);
}

int ifb_probe_explain_hybrid(const struct ifb_probe *p, char *buf, size_t size)
{
	return explain(p, false, buf, size);
}

bool ifb_probe_ffs_out_dmabuf_fixed(const char *release)
{
	unsigned major, minor, patch = 0;
	int n;

	if (!release)
		return false;
	n = sscanf(release, "%u.%u.%u", &major, &minor, &patch);
	if (n < 2)
		return false;
	if (major != 6)
		return major > 6;
	/* "6.12" alone (n == 2) is 6.12.0; Debian's ABI name of a stable
	 * release keeps its patch level (6.12.118+deb12-amd64). */
	return minor == 12 && patch >= 118;
}

uint32_t ifb_probe_out_fileio_block(uint32_t block_size, uint32_t scan, uint32_t max)
{
	uint32_t g = block_size;

	if (!scan || block_size % scan)
		return block_size;
	while (g > max && g % 2 == 0 && (g / 2) % scan == 0)
		g /= 2;
	return g;
}
