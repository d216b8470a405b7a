// SPDX-License-Identifier: GPL-2.0-or-later
/* libifbhost: the scan layout as typed fields (real channels, I/Q pairs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifbhost.h"
#include "unit.h"

static struct ifbh_channel *add(struct ifbh_info *info, const char *name, unsigned int storage,
				bool is_signed, bool be, unsigned int repeat)
{
	struct ifbh_channel *c = &info->ch[info->num_channels];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->scan_index = info->num_channels++;
	c->offset = info->scan_size;
	c->is_signed = is_signed;
	c->is_be = be;
	c->storage_bits = storage;
	c->bits = storage;
	c->repeat = repeat;
	info->scan_size += repeat * storage / 8;
	return c;
}

START_TEST(real_channels)
{
	struct ifbh_info info = { 0 };
	struct ifbh_field f[4];
	size_t n = 0;

	add(&info, "voltage0", 16, false, false, 1);
	add(&info, "temp", 32, true, true, 2);
	add(&info, "flags", 8, false, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_BY_NAME, f, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[0].name, "voltage0");
	ck_assert_str_eq(f[0].typestr, "<u2");
	ck_assert(!f[0].iq);
	ck_assert_str_eq(f[1].typestr, ">i4");
	ck_assert_uint_eq(f[1].offset, 2);
	ck_assert_uint_eq(f[1].count, 2);
	ck_assert_str_eq(f[2].typestr, "|u1");
	ck_assert_uint_eq(f[2].offset, 10);
}
END_TEST

START_TEST(iq_by_name)
{
	struct ifbh_info info = { 0 };
	struct ifbh_field f[4];
	size_t n = 0;

	add(&info, "voltage0_i", 16, true, false, 1);
	add(&info, "voltage0_q", 16, true, false, 1);
	add(&info, "voltage1_i", 16, true, false, 1);
	add(&info, "voltage1_q", 16, true, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_BY_NAME, f, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].name, "voltage0");
	ck_assert(f[0].iq);
	ck_assert_uint_eq(f[0].ch, 0);
	ck_assert_uint_eq(f[0].ch_q, 1);
	ck_assert_str_eq(f[1].name, "voltage1");
	ck_assert_uint_eq(f[1].offset, 4);
	ck_assert_str_eq(f[1].typestr, "<i2");
	/* without pairing: four real fields */
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_NONE, f, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(!f[1].iq);
	/* too small an array */
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_NONE, f, 3, &n), -ENOSPC);
}
END_TEST

START_TEST(iq_refused)
{
	struct ifbh_info info = { 0 };
	struct ifbh_field f[4];
	size_t n = 0;

	/* "_i" without its "_q" */
	add(&info, "voltage0_i", 16, true, false, 1);
	add(&info, "voltage1", 16, true, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_BY_NAME, f, 4, &n), -EINVAL);
	/* adjacent pairing of different types */
	memset(&info, 0, sizeof(info));
	add(&info, "a", 16, true, false, 1);
	add(&info, "b", 32, true, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_ADJACENT, f, 4, &n), -EINVAL);
	/* odd count */
	memset(&info, 0, sizeof(info));
	add(&info, "a", 16, true, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_ADJACENT, f, 4, &n), -EINVAL);
	/* the simulated ADC's two u16 channels pair when asked */
	memset(&info, 0, sizeof(info));
	add(&info, "voltage0", 16, false, false, 1);
	add(&info, "voltage1", 16, false, false, 1);
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_ADJACENT, f, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(f[0].iq);
	ck_assert_str_eq(f[0].name, "voltage0");
}
END_TEST

START_TEST(iq_from_device)
{
	struct ifbh_info info = { 0 };
	struct ifbh_field f[4];
	struct ifbh_channel *i, *q;
	size_t n = 0;

	add(&info, "temp", 16, true, false, 1);
	i = add(&info, "voltage0", 16, false, false, 1);
	q = add(&info, "voltage1", 16, false, false, 1);
	/* no hint: every channel real */
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_DEVICE, f, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	i->iq = IFBH_IQ_ROLE_I;
	i->iq_partner = 2;
	q->iq = IFBH_IQ_ROLE_Q;
	q->iq_partner = 1;
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_DEVICE, f, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(!f[0].iq);
	ck_assert(f[1].iq);
	ck_assert_str_eq(f[1].name, "voltage0");
	ck_assert_uint_eq(f[1].ch, 1);
	ck_assert_uint_eq(f[1].ch_q, 2);
	ck_assert_str_eq(f[1].typestr, "<u2");
	/* the names do not matter, nor does IFBH_IQ_BY_NAME see these pairs */
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_BY_NAME, f, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* Q first, in the scan, is no pair the library can deliver */
	i->iq = IFBH_IQ_ROLE_Q;
	q->iq = IFBH_IQ_ROLE_I;
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_DEVICE, f, 4, &n), -EINVAL);
	/* nor different types */
	i->iq = IFBH_IQ_ROLE_I;
	q->iq = IFBH_IQ_ROLE_Q;
	q->is_signed = true;
	ck_assert_int_eq(ifbh_layout_fields(&info, IFBH_IQ_DEVICE, f, 4, &n), -EINVAL);
}
END_TEST

/* A hand-built info (the function is public) whose last of 64 channels is
 * an I naming a partner past the list: refused, and nothing read beyond
 * ch[63] (check-asan sees such a read on the heap copy). */
START_TEST(iq_partner_past_the_list)
{
	struct ifbh_info *info = calloc(1, sizeof(*info));
	struct ifbh_field f[IFBH_MAX_CHANNELS];
	struct ifbh_channel *last = NULL;
	char name[16];
	size_t n = 0;

	ck_assert_ptr_nonnull(info);
	for (unsigned int k = 0; k < IFBH_MAX_CHANNELS; k++) {
		snprintf(name, sizeof(name), "voltage%u", k);
		last = add(info, name, 16, false, false, 1);
	}
	last->iq = IFBH_IQ_ROLE_I;
	last->iq_partner = IFBH_MAX_CHANNELS;
	ck_assert_int_eq(ifbh_layout_fields(info, IFBH_IQ_DEVICE, f, IFBH_MAX_CHANNELS, &n),
			 -EINVAL);
	free(info);
}
END_TEST

static Suite *host_layout_suite(void)
{
	Suite *s = suite_create("host-layout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, real_channels);
	tcase_add_test(tc, iq_by_name);
	tcase_add_test(tc, iq_refused);
	tcase_add_test(tc, iq_from_device);
	tcase_add_test(tc, iq_partner_past_the_list);
	suite_add_tcase(s, tc);
	return s;
}

IFB_UNIT_SUITE(host_layout_suite)
