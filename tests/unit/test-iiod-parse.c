// SPDX-License-Identifier: GPL-2.0-or-later
/* IIOD command lines: every command with good, missing, extra, overlong
 * and non-numeric arguments (grammar: libiio 0.24 iiod/parser.y). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/iiod-parse.h"
#include "unit.h"

static char linebuf[IFB_IIOD_MAX_LINE + 64];

static int parse(const char *s, struct ifb_iiod_cmd *c)
{
	size_t n = strlen(s);

	ck_assert_uint_lt(n, sizeof(linebuf));
	ifb_unit_save_seed("iiod-parse", s, n);
	memcpy(linebuf, s, n + 1);
	memset(c, 0x5a, sizeof(*c));
	return ifb_iiod_parse(linebuf, n, c);
}

#define OK(s)                                                          \
	do {                                                           \
		ck_assert_msg(parse((s), &c) == 0, "'%s' refused", (s)); \
	} while (0)
#define BAD(s)                                                             \
	do {                                                               \
		ck_assert_msg(parse((s), &c) == -EINVAL, "'%s' accepted", (s)); \
	} while (0)

START_TEST(simple_commands)
{
	struct ifb_iiod_cmd c;

	OK("VERSION\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_VERSION);
	OK("version\n");
	ck_assert_int_eq(c.op, IFB_IIOD_VERSION);
	OK("PRINT\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_PRINT);
	OK("ZPRINT\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_ZPRINT);
	OK("HELP");
	ck_assert_int_eq(c.op, IFB_IIOD_HELP);
	OK("EXIT\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_EXIT);
	OK("quit\n");
	ck_assert_int_eq(c.op, IFB_IIOD_EXIT);
	OK("\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_EMPTY);
	OK("");
	ck_assert_int_eq(c.op, IFB_IIOD_EMPTY);
	/* extra arguments, mixed case, unknown commands, libiio 1.x's BINARY */
	BAD("VERSION 1\r\n");
	BAD("PRINT x\r\n");
	BAD("EXIT now\r\n");
	BAD("Version\r\n");
	BAD("BINARY\r\n");
	BAD("FOO\r\n");
	BAD(" PRINT\r\n");
	BAD("PRI\rNT\n");
}
END_TEST

START_TEST(timeout)
{
	struct ifb_iiod_cmd c;

	OK("TIMEOUT 2500\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_TIMEOUT);
	ck_assert_uint_eq(c.number, 2500);
	OK("timeout 0\n");
	ck_assert_uint_eq(c.number, 0);
	OK("TIMEOUT 4294967295\r\n");
	ck_assert_uint_eq(c.number, 4294967295u);
	BAD("TIMEOUT\r\n");
	BAD("TIMEOUT 4294967296\r\n");
	BAD("TIMEOUT 99999999999999999999\r\n");
	BAD("TIMEOUT -1\r\n");
	BAD("TIMEOUT +1\r\n");
	BAD("TIMEOUT 12ms\r\n");
	BAD("TIMEOUT 0x10\r\n");
	BAD("TIMEOUT 1 2\r\n");
}
END_TEST

START_TEST(open_close)
{
	struct ifb_iiod_cmd c;

	OK("OPEN iio:device0 4096 00000003\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_OPEN);
	ck_assert_str_eq(c.dev, "iio:device0");
	ck_assert_uint_eq(c.number, 4096);
	ck_assert_str_eq(c.mask, "00000003");
	ck_assert(!c.cyclic);
	OK("OPEN iio:device0 4096 0000000100000003 CYCLIC\r\n");
	ck_assert(c.cyclic);
	ck_assert_str_eq(c.mask, "0000000100000003");
	OK("open iio:device3 1 ffffffff cyclic\n");
	BAD("OPEN\r\n");
	BAD("OPEN iio:device0\r\n");
	BAD("OPEN iio:device0 4096\r\n");
	BAD("OPEN iio:device0 4096 00000003 CYCLIC extra\r\n");
	BAD("OPEN iio:device0 4096 00000003 ONCE\r\n");
	BAD("OPEN iio:device0 many 00000003\r\n");
	BAD("OPEN iio:device0 -1 00000003\r\n");
	BAD("OPEN iio:device0 4096 0003\r\n");
	BAD("OPEN iio:device0 4096 0000000g\r\n");
	BAD("OPEN ../../etc 4096 00000003\r\n");
	BAD("OPEN iio:device0/x 4096 00000003\r\n");

	OK("CLOSE iio:device0\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_CLOSE);
	ck_assert_str_eq(c.dev, "iio:device0");
	BAD("CLOSE\r\n");
	BAD("CLOSE iio:device0 now\r\n");
}
END_TEST

START_TEST(readbuf_writebuf)
{
	struct ifb_iiod_cmd c;

	OK("READBUF iio:device0 1048576\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_READBUF);
	ck_assert_str_eq(c.dev, "iio:device0");
	ck_assert_uint_eq(c.number, 1048576);
	OK("WRITEBUF iio:device0 16\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_WRITEBUF);
	BAD("READBUF\r\n");
	BAD("READBUF iio:device0\r\n");
	BAD("READBUF iio:device0 1M\r\n");
	BAD("READBUF iio:device0 18446744073709551616\r\n");
	BAD("READBUF iio:device0 4 4\r\n");
	BAD("WRITEBUF iio:device0 x\r\n");
}
END_TEST

START_TEST(read_write_attrs)
{
	struct ifb_iiod_cmd c;

	OK("READ iio:device0 sampling_frequency\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_READ);
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_DEVICE);
	ck_assert_str_eq(c.attr, "sampling_frequency");
	ck_assert_ptr_null(c.chn);
	OK("READ iio:device0 \r\n"); /* what the client sends for "all" */
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_DEVICE);
	ck_assert_ptr_null(c.attr);
	OK("READ iio:device0 INPUT voltage0 raw\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_INPUT);
	ck_assert_str_eq(c.chn, "voltage0");
	ck_assert_str_eq(c.attr, "raw");
	OK("read iio:device0 output altvoltage0 frequency\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_OUTPUT);
	OK("READ iio:device0 DEBUG direct_reg_access\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_DEBUG);
	ck_assert_str_eq(c.attr, "direct_reg_access");
	OK("READ iio:device0 BUFFER data_available\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_BUFFER);
	OK("READ iio:device0 DEBUG\r\n");
	ck_assert_ptr_null(c.attr);
	OK("READ iio:device0 INPUT voltage0\r\n");
	ck_assert_ptr_null(c.attr);
	BAD("READ\r\n");
	BAD("READ iio:device0 INPUT\r\n");
	BAD("READ iio:device0 INPUT voltage0 raw extra\r\n");
	BAD("READ iio:device0 sampling_frequency extra\r\n");
	BAD("READ iio:device0 ../../../etc/shadow\r\n");
	BAD("READ iio:device0 INPUT ../voltage0 raw\r\n");
	BAD("READ iio:device0 BUFFER DEBUG\r\n");
	BAD("READ iio:device0 a\\b\r\n");

	OK("WRITE iio:device0 sampling_frequency 7\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_WRITE);
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_DEVICE);
	ck_assert_str_eq(c.attr, "sampling_frequency");
	ck_assert_uint_eq(c.number, 7);
	OK("WRITE iio:device0 INPUT voltage0 scale 5\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_INPUT);
	ck_assert_str_eq(c.chn, "voltage0");
	ck_assert_str_eq(c.attr, "scale");
	ck_assert_uint_eq(c.number, 5);
	OK("WRITE iio:device0 DEBUG direct_reg_access 3\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_DEBUG);
	OK("WRITE iio:device0 BUFFER watermark 4\r\n");
	ck_assert_int_eq(c.kind, IFB_IIOD_ATTR_BUFFER);
	OK("WRITE iio:device0 12\r\n");
	ck_assert_ptr_null(c.attr);
	ck_assert_uint_eq(c.number, 12);
	BAD("WRITE iio:device0\r\n");
	BAD("WRITE iio:device0 sampling_frequency\r\n");
	BAD("WRITE iio:device0 sampling_frequency seven\r\n");
	BAD("WRITE iio:device0 sampling_frequency -7\r\n");
	BAD("WRITE iio:device0 sampling_frequency 99999999999\r\n");
	BAD("WRITE iio:device0 INPUT voltage0 scale 5 6\r\n");
	BAD("WRITE iio:device0 INPUT 5\r\n");
}
END_TEST

START_TEST(triggers_and_buffers_count)
{
	struct ifb_iiod_cmd c;

	OK("GETTRIG iio:device0\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_GETTRIG);
	BAD("GETTRIG\r\n");
	BAD("GETTRIG iio:device0 trigger0\r\n");
	OK("SETTRIG iio:device0 trigger0\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_SETTRIG);
	ck_assert_str_eq(c.trigger, "trigger0");
	OK("SETTRIG iio:device0\r\n");
	ck_assert_ptr_null(c.trigger);
	BAD("SETTRIG\r\n");
	BAD("SETTRIG iio:device0 trigger0 trigger1\r\n");
	BAD("SETTRIG iio:device0 ../trigger0\r\n");

	OK("SET iio:device0 BUFFERS_COUNT 4\r\n");
	ck_assert_int_eq(c.op, IFB_IIOD_SET_BUFFERS_COUNT);
	ck_assert_uint_eq(c.number, 4);
	OK("set iio:device0 buffers_count 4\n");
	BAD("SET\r\n");
	BAD("SET iio:device0\r\n");
	BAD("SET iio:device0 BUFFERS_COUNT\r\n");
	BAD("SET iio:device0 BUFFERS_COUNT four\r\n");
	BAD("SET iio:device0 BUFFERS_COUNT 4 5\r\n");
	BAD("SET iio:device0 LENGTH 4\r\n");
}
END_TEST

START_TEST(overlong)
{
	struct ifb_iiod_cmd c;
	char word[IFB_IIOD_MAX_WORD + 2];
	char line[IFB_IIOD_MAX_LINE + 32];

	/* the longest word passes, one more character does not */
	memset(word, 'a', IFB_IIOD_MAX_WORD);
	word[IFB_IIOD_MAX_WORD] = '\0';
	snprintf(line, sizeof(line), "READ iio:device0 %s\r\n", word);
	OK(line);
	ck_assert_uint_eq(strlen(c.attr), IFB_IIOD_MAX_WORD);
	word[IFB_IIOD_MAX_WORD] = 'a';
	word[IFB_IIOD_MAX_WORD + 1] = '\0';
	snprintf(line, sizeof(line), "READ iio:device0 %s\r\n", word);
	BAD(line);
	snprintf(line, sizeof(line), "CLOSE %s\r\n", word);
	BAD(line);

	/* a line longer than the limit is refused before anything is looked at */
	memset(line, ' ', sizeof(line));
	memcpy(line, "PRINT", 5);
	line[IFB_IIOD_MAX_LINE + 1] = '\0';
	memcpy(linebuf, line, IFB_IIOD_MAX_LINE + 2);
	ck_assert_int_eq(ifb_iiod_parse(linebuf, IFB_IIOD_MAX_LINE + 1, &c), -E2BIG);
	/* the longest line passes (trailing blanks are allowed) */
	memcpy(linebuf, line, IFB_IIOD_MAX_LINE + 1);
	ck_assert_int_eq(ifb_iiod_parse(linebuf, IFB_IIOD_MAX_LINE, &c), 0);
	ck_assert_int_eq(c.op, IFB_IIOD_PRINT);

	/* too many words */
	BAD("READ a b c d e f g h i\r\n");
	/* a NUL inside the line */
	memcpy(linebuf, "PRI\0NT\r\n", 8);
	ck_assert_int_eq(ifb_iiod_parse(linebuf, 8, &c), -EINVAL);
}
END_TEST

START_TEST(masks)
{
	uint32_t w[2];
	char buf[32];

	ck_assert_int_eq(ifb_iiod_mask_decode("0000000100000003", w, 2), 0);
	ck_assert_uint_eq(w[0], 3);
	ck_assert_uint_eq(w[1], 1);
	ck_assert_int_eq(ifb_iiod_mask_decode("00000003", w, 1), 0);
	ck_assert_uint_eq(w[0], 3);
	ck_assert_int_eq(ifb_iiod_mask_decode("FFFFFFFF", w, 1), 0);
	ck_assert_uint_eq(w[0], 0xffffffffu);
	ck_assert_int_eq(ifb_iiod_mask_decode("00000003", w, 2), -EINVAL);
	ck_assert_int_eq(ifb_iiod_mask_decode("0000000100000003", w, 1), -EINVAL);
	ck_assert_int_eq(ifb_iiod_mask_decode("0000000x", w, 1), -EINVAL);

	w[0] = 3;
	w[1] = 0xabcdef01;
	ck_assert_int_eq(ifb_iiod_mask_encode(w, 2, buf, sizeof(buf)), 17);
	ck_assert_str_eq(buf, "abcdef0100000003\n");
	ck_assert_int_eq(ifb_iiod_mask_encode(w, 1, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "00000003\n");
	ck_assert_int_eq(ifb_iiod_mask_encode(w, 2, buf, 17), -ENOSPC);
}
END_TEST

static Suite *iiod_parse_suite(void)
{
	Suite *s = suite_create("iiod-parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, simple_commands);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, open_close);
	tcase_add_test(tc, readbuf_writebuf);
	tcase_add_test(tc, read_write_attrs);
	tcase_add_test(tc, triggers_and_buffers_count);
	tcase_add_test(tc, overlong);
	tcase_add_test(tc, masks);
	suite_add_tcase(s, tc);
	return s;
}
IFB_UNIT_SUITE(iiod_parse_suite)
