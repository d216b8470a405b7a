// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [iio] iq against a device's channels (ifb_stream_check_iq) and the I/Q
 * hint it puts in the stream's description (GET_INFO, protocol version 3);
 * what SET_SAMPLE_RATE refuses before its data stage (no attribute, a
 * read-only one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/bridge-int.h"
#include "unit.h"

/* An IIO device with these channels, each le:u16/16 unless changed,
 * laid out in the order given, all selected. */
static void device(struct ifb_iio *io, unsigned n)
{
	memset(io, 0, sizeof(*io));
	snprintf(io->name, sizeof(io->name), "adc");
	io->num_channels = n;
	for (unsigned i = 0; i < n; i++) {
		struct ifb_iio_channel *c = &io->ch[i];

		snprintf(c->name, sizeof(c->name), "voltage%u", i);
		c->index = i;
		c->type = (struct ifb_scan_type){ .bits = 16, .storage_bits = 16, .repeat = 1 };
		c->selected = true;
		c->offset = (uint16_t)(2 * i);
	}
	io->scan_size = 2 * n;
}

static void config(struct ifb_config *cfg, const char *iq)
{
	char text[256], err[256];

	snprintf(text, sizeof(text), "[iio]\ndevice = adc\niq = %s\n", iq);
	ck_assert_int_eq(ifb_config_load_buffer(cfg, text, strlen(text), "t.conf", err, sizeof(err)),
			 0);
}

START_TEST(pairs_that_fit)
{
	static struct ifb_iio io;
	static struct ifb_config cfg;

	device(&io, 4);
	config(&cfg, "voltage0:voltage1, voltage2:voltage3");
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), 0);
	config(&cfg, "voltage1:voltage2");
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), 0);
}
END_TEST

START_TEST(pairs_that_do_not)
{
	static struct ifb_iio io;
	static struct ifb_config cfg;

	device(&io, 4);
	config(&cfg, "voltage1:voltage0"); /* Q before I */
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
	config(&cfg, "voltage0:voltage2"); /* not neighbours */
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
	config(&cfg, "voltage0:voltage9"); /* no such channel */
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
	io.ch[1].selected = false;         /* not enabled */
	config(&cfg, "voltage0:voltage1");
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
	device(&io, 2);
	io.ch[1].type.is_signed = true;    /* different types */
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
	device(&io, 2);
	io.ch[0].type.repeat = 2;          /* repeats */
	io.ch[1].offset = 4;
	ck_assert_int_eq(ifb_stream_check_iq(&io, &cfg.stream[0]), -EINVAL);
}
END_TEST

START_TEST(hint_in_the_description)
{
	static struct ifb_bridge b;
	static struct ifb_stream s;
	struct ifb_stream_desc *d = &s.desc;

	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	s.b = &b;
	device(&s.iio, 4);
	s.iio.ch[0].selected = false; /* the list GET_INFO sends starts at voltage1 */
	config(&b.cfg, "voltage2:voltage3");
	s.cfg = b.cfg.stream[0];
	ifb_stream_describe(&s);
	ck_assert_uint_eq(d->num_channels, 3);
	ck_assert_uint_eq(d->channels[0].iq, IFB_IQ_NONE);
	ck_assert_uint_eq(d->channels[1].iq, IFB_IQ_I);
	ck_assert_uint_eq(d->channels[1].iq_partner, 2);
	ck_assert_uint_eq(d->channels[2].iq, IFB_IQ_Q);
	ck_assert_uint_eq(d->channels[2].iq_partner, 1);
}
END_TEST

/* SET_SAMPLE_RATE's refusals before the data stage: no attribute, read-only. */
START_TEST(sampling_frequency_writable)
{
	static struct ifb_iio io;
	char dir[] = "/tmp/ifb-unit-sf-XXXXXX", path[64];
	FILE *f;

	memset(&io, 0, sizeof(io));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(io.sysdir, sizeof(io.sysdir), "%s", dir);
	ck_assert_int_eq(ifb_iio_sampling_frequency_writable(&io), -ENOENT);
	snprintf(path, sizeof(path), "%s/sampling_frequency", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("10000000\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(ifb_iio_sampling_frequency_writable(&io), 0);
	ck_assert_int_eq(chmod(path, 0444), 0); /* what kernfs refuses to open for writing */
	ck_assert_int_eq(ifb_iio_sampling_frequency_writable(&io), -EACCES);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* What fn logs to stderr, into buf. */
#define CAPTURE_STDERR(buf, call)                                                  \
	do {                                                                       \
		FILE *tmp_ = tmpfile();                                            \
		int saved_ = dup(2);                                               \
		size_t n_;                                                         \
		ck_assert_ptr_nonnull(tmp_);                                       \
		fflush(stderr);                                                    \
		dup2(fileno(tmp_), 2);                                             \
		call;                                                              \
		fflush(stderr);                                                    \
		dup2(saved_, 2);                                                   \
		close(saved_);                                                     \
		rewind(tmp_);                                                      \
		n_ = fread(buf, 1, sizeof(buf) - 1, tmp_);                         \
		buf[n_] = '\0';                                                    \
		fclose(tmp_);                                                      \
	} while (0)

/* [iio] channels = timestamp (a device's timestamp channel alone) was
 * accepted at start and every START then refused with an EINVAL that
 * named no line: now refused at start (and reload) with file:line. */
START_TEST(timestamp_alone_refused_with_its_line)
{
	static struct ifb_iio io;
	static struct ifb_config cfg;
	static const char text[] = "[iio]\ndevice = adc\nchannels = timestamp\n";
	static const char two[] = "[iio]\ndevice = adc\nchannels = voltage0, timestamp\n";
	char err[256], out[1024];
	int r;

	device(&io, 3);
	snprintf(io.ch[2].name, sizeof(io.ch[2].name), "timestamp");
	io.ch[2].type = (struct ifb_scan_type){ .is_signed = true, .bits = 64, .storage_bits = 64,
						 .repeat = 1 };
	ck_assert_int_eq(ifb_config_load_buffer(&cfg, text, strlen(text), "t.conf", err, sizeof(err)),
			 0);
	CAPTURE_STDERR(out, r = ifb_stream_select_channels(&io, &cfg.stream[0], ""));
	ck_assert_int_eq(r, -ENODATA);
	ck_assert_msg(strstr(out, "t.conf:3: [iio] channels: the timestamp alone is no stream"),
		      "%s", out);
	ck_assert_msg(strstr(out, "voltage0, voltage1, timestamp"), "%s", out);
	/* a reload says so on the same line */
	CAPTURE_STDERR(out, r = ifb_stream_select_channels(&io, &cfg.stream[0], "; configuration not reloaded"));
	ck_assert_int_eq(r, -ENODATA);
	ck_assert_msg(strstr(out, "voltage0, voltage1, timestamp); configuration not reloaded\n"),
		      "%s", out);
	ck_assert_int_eq(ifb_config_load_buffer(&cfg, two, strlen(two), "t.conf", err, sizeof(err)),
			 0);
	ck_assert_int_eq(ifb_stream_select_channels(&io, &cfg.stream[0], ""), 0);
	ck_assert_uint_eq(io.scan_size, 16);
}
END_TEST

static Suite *iq_suite(void)
{
	Suite *s = suite_create("iq");
	TCase *t = tcase_create("iq");

	tcase_add_test(t, pairs_that_fit);
	tcase_add_test(t, pairs_that_do_not);
	tcase_add_test(t, hint_in_the_description);
	tcase_add_test(t, sampling_frequency_writable);
	tcase_add_test(t, timestamp_alone_refused_with_its_line);
	suite_add_tcase(s, t);
	return s;
}
IFB_UNIT_SUITE(iq_suite)
