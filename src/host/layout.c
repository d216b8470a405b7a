// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libifbhost: the scan layout of GET_INFO as typed fields (what a numpy
 * structured dtype or a SoapySDR stream format is made from), with real
 * channels or I/Q pairs. Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ifbhost.h"

static void typestr(char out[4], unsigned int bytes, bool is_signed, bool is_be)
{
	/* numpy's array interface: byte order, kind, item size ("|u1" for bytes) */
	out[0] = bytes == 1 ? '|' : is_be ? '>' : '<';
	out[1] = is_signed ? 'i' : 'u';
	out[2] = (char)('0' + bytes);
	out[3] = '\0';
}

static bool same_type(const struct ifbh_channel *a, const struct ifbh_channel *b)
{
	return a->storage_bits == b->storage_bits && a->is_signed == b->is_signed &&
	       a->is_be == b->is_be;
}

/* "voltage0_i" -> true and the stem length; "voltage0" -> false. */
static bool has_suffix(const char *name, char which, size_t *stem)
{
	size_t n = strnlen(name, IFBH_CHANNEL_NAME_LEN);

	if (n < 3 || name[n - 2] != '_' || name[n - 1] != which)
		return false;
	*stem = n - 2;
	return true;
}

/* Can channels a (I) and b (Q) form one complex field? */
static bool can_pair(const struct ifbh_channel *a, const struct ifbh_channel *b)
{
	return same_type(a, b) && a->repeat == 1 && b->repeat == 1 &&
	       b->offset == a->offset + a->storage_bits / 8;
}

int ifbh_layout_fields(const struct ifbh_info *info, enum ifbh_iq iq, struct ifbh_field *out,
		       size_t max, size_t *ret_n)
{
	size_t n = 0;

	if (info->num_channels > IFBH_MAX_CHANNELS)
		return -EINVAL;
	if (iq == IFBH_IQ_ADJACENT && info->num_channels % 2)
		return -EINVAL;
	for (unsigned int i = 0; i < info->num_channels; i++) {
		const struct ifbh_channel *c = &info->ch[i];
		struct ifbh_field *f;
		size_t stem = 0, qstem;
		bool pair = false;

		if (iq == IFBH_IQ_ADJACENT) {
			if (!can_pair(c, &info->ch[i + 1]))
				return -EINVAL;
			pair = true;
		} else if (iq == IFBH_IQ_DEVICE && c->iq) {
			/* the device's pairs: I first, Q right after it */
			if (c->iq != IFBH_IQ_ROLE_I || c->iq_partner != i + 1 ||
			    i + 1 >= info->num_channels || !can_pair(c, &info->ch[i + 1]))
				return -EINVAL;
			pair = true;
		} else if (iq == IFBH_IQ_BY_NAME && has_suffix(c->name, 'i', &stem)) {
			const struct ifbh_channel *q = i + 1 < info->num_channels ? &info->ch[i + 1] : NULL;

			if (!q || !has_suffix(q->name, 'q', &qstem) || qstem != stem ||
			    memcmp(c->name, q->name, stem) || !can_pair(c, q))
				return -EINVAL;
			pair = true;
		}
		if (n == max)
			return -ENOSPC;
		f = &out[n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", c->name);
		if (pair && stem)
			f->name[stem] = '\0';
		f->offset = c->offset;
		f->count = c->repeat;
		f->bytes = c->storage_bits / 8;
		f->is_signed = c->is_signed;
		f->is_be = c->is_be;
		f->iq = pair;
		f->ch = i;
		f->ch_q = pair ? i + 1 : i;
		typestr(f->typestr, f->bytes, f->is_signed, f->is_be);
		if (pair)
			i++;
	}
	*ret_n = n;
	return 0;
}
