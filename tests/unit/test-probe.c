// SPDX-License-Identifier: GPL-2.0-or-later
/* The zero-copy start-up probe: kernel answers to an attach of fd -1 and
 * the reasons the daemon gives (src/daemon/probe.h lists the answers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/probe.h"
#include "unit.h"

START_TEST(iio_answers)
{
	ck_assert_int_eq(ifb_probe_iio_answer(-EBADF), IFB_PROBE_PRESENT);
	ck_assert_int_eq(ifb_probe_iio_answer(-EPERM), IFB_PROBE_NO_OPS);
	ck_assert_int_eq(ifb_probe_iio_answer(-ENOTTY), IFB_PROBE_NO_INTERFACE);
	ck_assert_int_eq(ifb_probe_iio_answer(-EINVAL), IFB_PROBE_NO_INTERFACE);
	/* Nothing else is taken for a missing interface. */
	ck_assert_int_eq(ifb_probe_iio_answer(-EAGAIN), IFB_PROBE_UNKNOWN);
	ck_assert_int_eq(ifb_probe_iio_answer(-EBUSY), IFB_PROBE_UNKNOWN);
	ck_assert_int_eq(ifb_probe_iio_answer(0), IFB_PROBE_UNKNOWN);
}
END_TEST

START_TEST(usb_answers)
{
	ck_assert_int_eq(ifb_probe_usb_answer(-EBADF, true), IFB_PROBE_PRESENT);
	ck_assert_int_eq(ifb_probe_usb_answer(-EPERM, true), IFB_PROBE_NO_OPS);
	ck_assert_int_eq(ifb_probe_usb_answer(-EPERM, false), IFB_PROBE_UNBOUND);
	ck_assert_int_eq(ifb_probe_usb_answer(-ENOTTY, false), IFB_PROBE_NO_INTERFACE);
	ck_assert_int_eq(ifb_probe_usb_answer(-EAGAIN, false), IFB_PROBE_NO_INTERFACE);
	ck_assert_int_eq(ifb_probe_usb_answer(-EINVAL, true), IFB_PROBE_UNKNOWN);
	ck_assert_int_eq(ifb_probe_usb_answer(-ESHUTDOWN, true), IFB_PROBE_UNKNOWN);
}
END_TEST

/* A pipe knows no ioctl: the real kernel's ENOTTY reads as "no interface". */
START_TEST(real_enotty)
{
	struct ifb_probe p = { 0 };
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ifb_probe_iio(&p, fds[0], false);
	ifb_probe_usb(&p, fds[1], true);
	ck_assert_int_eq(p.iio_answer, -ENOTTY);
	ck_assert_int_eq(p.iio, IFB_PROBE_NO_INTERFACE);
	ck_assert_int_eq(p.usb, IFB_PROBE_NO_INTERFACE);
	close(fds[0]);
	close(fds[1]);
	ifb_probe_iio(&p, -1, true);
	ck_assert_int_eq(p.iio, IFB_PROBE_LEGACY);
}
END_TEST

START_TEST(explain)
{
	struct ifb_probe p = { .iio = IFB_PROBE_PRESENT, .usb = IFB_PROBE_PRESENT };
	char buf[1024];

	ck_assert(ifb_probe_zero_copy_possible(&p));
	ck_assert_int_eq(ifb_probe_explain(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");

	p.usb = IFB_PROBE_UNBOUND; /* decided once bound */
	ck_assert(ifb_probe_zero_copy_possible(&p));

	/* Debian's 6.1: neither interface, no allocator; every reason named. */
	p.iio = IFB_PROBE_NO_INTERFACE;
	p.usb = IFB_PROBE_NO_INTERFACE;
	p.alloc_err = -ENOENT;
	strcpy(p.alloc_name, "udmabuf");
	ck_assert(!ifb_probe_zero_copy_possible(&p));
	ck_assert_int_eq(ifb_probe_explain(&p, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "USB: this kernel's FunctionFS has no DMABUF interface (Linux 6.9+ has it); "
			      "IIO: this kernel's IIO buffers have no DMABUF interface (Linux 6.11+ has it); "
			      "no DMABUF allocator (udmabuf: No such file or directory)");

	/* 6.12, a kfifo buffer: IIO is blamed, not the UDC. */
	p = (struct ifb_probe){ .iio = IFB_PROBE_NO_OPS, .usb = IFB_PROBE_PRESENT };
	strcpy(p.iio_what, "buffer 0 of iio-sim-adc");
	ck_assert_int_eq(ifb_probe_explain(&p, buf, sizeof(buf)), 1);
	ck_assert_ptr_nonnull(strstr(buf, "IIO: buffer 0 of iio-sim-adc has no DMABUF support"));
	ck_assert_ptr_null(strstr(buf, "scatter-gather"));

	/* dwc2-like UDC, bound. */
	p = (struct ifb_probe){ .iio = IFB_PROBE_PRESENT, .usb = IFB_PROBE_NO_OPS };
	ck_assert_int_eq(ifb_probe_explain(&p, buf, sizeof(buf)), 1);
	ck_assert_ptr_nonnull(strstr(buf, "USB: the UDC cannot do scatter-gather"));

	/* Truncation stays a terminated string. */
	p.iio = IFB_PROBE_LEGACY;
	ck_assert_int_eq(ifb_probe_explain(&p, buf, 16), 2);
	ck_assert_uint_eq(strlen(buf), 15);
}
END_TEST

START_TEST(hybrid)
{
	struct ifb_probe p = { .iio = IFB_PROBE_NO_OPS, .usb = IFB_PROBE_PRESENT };
	char buf[1024];

	/* A kfifo-like buffer on 6.12: no zero-copy, but hybrid. */
	ck_assert(!ifb_probe_zero_copy_possible(&p));
	ck_assert(ifb_probe_hybrid_possible(&p));
	ck_assert_int_eq(ifb_probe_explain_hybrid(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	p.usb = IFB_PROBE_UNBOUND; /* decided once bound */
	ck_assert(ifb_probe_hybrid_possible(&p));

	/* A UDC without scatter-gather: neither; hybrid's reason is USB's only. */
	p.usb = IFB_PROBE_NO_OPS;
	ck_assert(!ifb_probe_hybrid_possible(&p));
	ck_assert_int_eq(ifb_probe_explain_hybrid(&p, buf, sizeof(buf)), 1);
	ck_assert_ptr_nonnull(strstr(buf, "USB: the UDC cannot do scatter-gather"));
	ck_assert_ptr_null(strstr(buf, "IIO"));

	/* Debian's 6.1: no FunctionFS DMABUF, no allocator. */
	p = (struct ifb_probe){ .iio = IFB_PROBE_NO_INTERFACE, .usb = IFB_PROBE_NO_INTERFACE,
				.alloc_err = -ENOENT };
	strcpy(p.alloc_name, "udmabuf");
	ck_assert(!ifb_probe_hybrid_possible(&p));
	ck_assert_int_eq(ifb_probe_explain_hybrid(&p, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "USB: this kernel's FunctionFS has no DMABUF interface (Linux 6.9+ has it); "
			      "no DMABUF allocator (udmabuf: No such file or directory)");

	/* Both sides present but no allocator: no hybrid either. */
	p = (struct ifb_probe){ .iio = IFB_PROBE_PRESENT, .usb = IFB_PROBE_PRESENT, .alloc_err = -ENOENT };
	ck_assert(!ifb_probe_hybrid_possible(&p));
}
END_TEST

START_TEST(ffs_out_dmabuf_fixed)
{
	/* 7.0 carries 0145e7acd298; 6.12.y from the release measured */
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("7.0.0"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("7.0"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("7.3.1-arch1"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("10.1.0"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("6.12.118+deb12-amd64"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("6.12.118+deb12-arm64"));
	ck_assert(ifb_probe_ffs_out_dmabuf_fixed("6.12.200"));
	/* not known to */
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.12.117"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.12.12+bpo-amd64"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.12"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.9.0"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.13.5"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.19.2"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("6.1.0-57-amd64"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("5.15.0"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed(""));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed("linux"));
	ck_assert(!ifb_probe_ffs_out_dmabuf_fixed(NULL));
}
END_TEST

START_TEST(out_fileio_block)
{
	/* 1 MiB blocks of 4-byte scans: a quarter */
	ck_assert_uint_eq(ifb_probe_out_fileio_block(1u << 20, 4, 256u << 10), 256u << 10);
	/* already small enough */
	ck_assert_uint_eq(ifb_probe_out_fileio_block(65536, 4, 256u << 10), 65536);
	/* 6-byte scans: halves only while still whole scans */
	ck_assert_uint_eq(ifb_probe_out_fileio_block(6u << 20, 6, 256u << 10), 196608);
	/* an odd number of scans cannot be halved */
	ck_assert_uint_eq(ifb_probe_out_fileio_block(3 * 4 * 300001, 12, 1024), 3 * 4 * 300001);
	ck_assert_uint_eq(ifb_probe_out_fileio_block(4096, 0, 1024), 4096);
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *t = tcase_create("probe");

	tcase_add_test(t, iio_answers);
	tcase_add_test(t, usb_answers);
	/* qemu-user passes only the ioctls it knows to the kernel and answers
	 * the others (IIO's DMABUF ones among them) with ENOSYS itself, so
	 * under it this test would read qemu, not the kernel. tests/cross/run
	 * names the emulator it runs us under. */
	if (getenv("IFB_UNIT_QEMU_USER"))
		fprintf(stderr, "unit: probe/real_enotty skipped: under qemu-user (%s) an ioctl "
				"qemu does not know is answered ENOSYS by qemu, never by the kernel\n",
			getenv("IFB_UNIT_QEMU_USER"));
	else
		tcase_add_test(t, real_enotty);
	tcase_add_test(t, explain);
	tcase_add_test(t, hybrid);
	tcase_add_test(t, ffs_out_dmabuf_fixed);
	tcase_add_test(t, out_fileio_block);
	suite_add_tcase(s, t);
	return s;
}

IFB_UNIT_SUITE(probe_suite)
