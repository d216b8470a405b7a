// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the IIOD command-line parser (src/daemon/iiod-parse.c)
 * on any bytes a libiio host could send on a pipe's OUT endpoint.
 *
 * Beyond "no crash, no sanitizer report" it checks the parser's contract
 * (iiod-parse.h): only 0, -EINVAL or -E2BIG (that one exactly when the
 * line is too long); nothing written past len + 1 bytes; on success every
 * word lies inside the line buffer, is NUL-terminated there and is 1 to
 * IFB_IIOD_MAX_WORD characters of [A-Za-z0-9_.:,-] (so never a '/', the
 * gate to sysfs relies on it), a number is at most IFB_IIOD_MAX_NUMBER,
 * and an OPEN mask decodes and encodes back to the same digits. The mask
 * decoder also gets the raw input.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/iiod-parse.h"

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz-iiod-parse: %s:%d: %s does not hold\n", __FILE__, \
				__LINE__, #cond);                                             \
			abort();                                                              \
		}                                                                             \
	} while (0)

#define GUARD 64
#define GUARD_BYTE 0xa5

static char buf[IFB_IIOD_MAX_LINE * 16 + 1 + GUARD];

static void check_word(const char *w, size_t len)
{
	size_t n;

	if (!w)
		return;
	CHECK(w >= buf && w < buf + len + 1);
	n = strnlen(w, (size_t)(buf + len + 1 - w));
	CHECK(w + n < buf + len + 1); /* terminated inside the line buffer */
	CHECK(n >= 1 && n <= IFB_IIOD_MAX_WORD);
	for (size_t i = 0; i < n; i++)
		CHECK(isalnum((unsigned char)w[i]) || strchr("_.:,-", w[i]));
}

static void check_mask(const char *mask, size_t len)
{
	uint32_t words[IFB_IIOD_MAX_LINE / 8];
	char again[IFB_IIOD_MAX_LINE + 2];
	size_t n, nwords;
	int r;

	CHECK(mask >= buf && mask < buf + len + 1);
	n = strnlen(mask, (size_t)(buf + len + 1 - mask));
	CHECK(mask + n < buf + len + 1);
	CHECK(n >= 8 && n % 8 == 0 && n / 8 <= sizeof(words) / sizeof(words[0]));
	nwords = n / 8;
	CHECK(ifb_iiod_mask_decode(mask, words, nwords) == 0);
	r = ifb_iiod_mask_encode(words, nwords, again, sizeof(again));
	CHECK(r == (int)n + 1 && again[n] == '\n');
	CHECK(strncasecmp(again, mask, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ifb_iiod_cmd c;
	uint32_t words[4];
	char raw[64];
	int r;

	/* The mask decoder on its own, at every word count it is asked for. */
	if (size < sizeof(raw)) {
		memcpy(raw, data, size);
		raw[size] = '\0';
		for (size_t n = 1; n <= 4; n++) {
			r = ifb_iiod_mask_decode(raw, words, n);
			CHECK(r == 0 || r == -EINVAL);
			CHECK(r != 0 || strlen(raw) == n * 8);
		}
	}

	if (size > sizeof(buf) - 1 - GUARD)
		return 0;
	memcpy(buf, data, size);
	memset(buf + size, GUARD_BYTE, sizeof(buf) - size);
	memset(&c, 0x5a, sizeof(c));
	r = ifb_iiod_parse(buf, size, &c);
	for (size_t i = size + 1; i < sizeof(buf); i++)
		CHECK((uint8_t)buf[i] == GUARD_BYTE);
	if (size > IFB_IIOD_MAX_LINE) {
		CHECK(r == -E2BIG);
		return 0;
	}
	CHECK(r == 0 || r == -EINVAL);
	if (r < 0)
		return 0;
	CHECK(c.op >= IFB_IIOD_EMPTY && c.op <= IFB_IIOD_SET_BUFFERS_COUNT);
	check_word(c.dev, size);
	check_word(c.chn, size);
	check_word(c.attr, size);
	check_word(c.trigger, size);
	if (c.op == IFB_IIOD_OPEN)
		check_mask(c.mask, size);
	if (c.op == IFB_IIOD_TIMEOUT || c.op == IFB_IIOD_OPEN || c.op == IFB_IIOD_READBUF ||
	    c.op == IFB_IIOD_WRITEBUF || c.op == IFB_IIOD_WRITE || c.op == IFB_IIOD_SET_BUFFERS_COUNT)
		CHECK(c.number <= IFB_IIOD_MAX_NUMBER);
	return 0;
}
