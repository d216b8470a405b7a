// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IIOD command lines. The grammar is libiio 0.24's (iiod/parser.y), the
 * words its lexer's (iiod/lexer.l): after the device, the words DEBUG,
 * BUFFER, INPUT, OUTPUT and BUFFERS_COUNT are keywords, so an attribute of
 * that name cannot be named there, exactly as with iiod. Unlike iiod, a
 * number must be all digits and in range, and a word has a length limit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/iiod-parse.h"

#define MAX_WORDS 8

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == ',' || c == '-';
}

static bool is_word(const char *w)
{
	size_t n = strlen(w);

	if (n == 0 || n > IFB_IIOD_MAX_WORD)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_word_char(w[i]))
			return false;
	return true;
}

/* The lexer knows each keyword in upper and in lower case only. */
static bool is_kw(const char *w, const char *upper)
{
	size_t n = strlen(upper);

	if (strlen(w) != n)
		return false;
	if (!strcmp(w, upper))
		return true;
	for (size_t i = 0; i < n; i++) {
		char c = upper[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (w[i] != c)
			return false;
	}
	return true;
}

static int parse_number(const char *w, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*w || strlen(w) > 10)
		return -EINVAL;
	for (const char *p = w; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > IFB_IIOD_MAX_NUMBER)
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_mask(const char *w)
{
	size_t n = strlen(w);

	if (n == 0 || n % 8 || n > IFB_IIOD_MAX_WORD)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(w[i]))
			return false;
	return true;
}

/* Words after "dev" that the lexer turns into keywords. */
static bool is_reserved(const char *w)
{
	return is_kw(w, "DEBUG") || is_kw(w, "BUFFER") || is_kw(w, "INPUT") ||
	       is_kw(w, "OUTPUT") || is_kw(w, "BUFFERS_COUNT");
}

/*
 * READ/WRITE after the device: [INPUT|OUTPUT chn | DEBUG | BUFFER] [attr],
 * and for WRITE a byte count last. w[0..n) are the words after the device.
 */
static int parse_attr_ref(char **w, int n, bool write, struct ifb_iiod_cmd *c)
{
	int i = 0;

	if (write) {
		if (n < 1 || parse_number(w[n - 1], &c->number) < 0)
			return -EINVAL;
		n--;
	}
	c->kind = IFB_IIOD_ATTR_DEVICE;
	if (i < n && (is_kw(w[i], "INPUT") || is_kw(w[i], "OUTPUT"))) {
		c->kind = is_kw(w[i], "INPUT") ? IFB_IIOD_ATTR_INPUT : IFB_IIOD_ATTR_OUTPUT;
		i++;
		if (i >= n || !is_word(w[i]))
			return -EINVAL;
		c->chn = w[i++];
	} else if (i < n && is_kw(w[i], "DEBUG")) {
		c->kind = IFB_IIOD_ATTR_DEBUG;
		i++;
	} else if (i < n && is_kw(w[i], "BUFFER")) {
		c->kind = IFB_IIOD_ATTR_BUFFER;
		i++;
	}
	if (i < n) {
		if (!is_word(w[i]) || is_reserved(w[i]))
			return -EINVAL;
		c->attr = w[i++];
	}
	return i == n ? 0 : -EINVAL;
}

int ifb_iiod_parse(char *line, size_t len, struct ifb_iiod_cmd *ret_cmd)
{
	struct ifb_iiod_cmd c = { 0 };
	char *w[MAX_WORDS];
	int n = 0;
	size_t i = 0;

	if (len > IFB_IIOD_MAX_LINE)
		return -E2BIG;
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	/* Trailing blanks are allowed (the client sends "READ dev \r\n" for
	 * "all attributes"), leading ones are not (iiod's grammar). */
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	line[len] = '\0';
	if (len == 0) {
		c.op = IFB_IIOD_EMPTY;
		*ret_cmd = c;
		return 0;
	}
	if (line[0] == ' ' || line[0] == '\t')
		return -EINVAL;
	while (i < len) {
		if (n == MAX_WORDS)
			return -EINVAL;
		w[n++] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
				return -EINVAL;
			i++;
		}
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			line[i++] = '\0';
	}

	char **a = w + 2; /* the words after "COMMAND dev" */
	int na = n - 2;

	if (n == 1 && is_kw(w[0], "VERSION"))
		c.op = IFB_IIOD_VERSION;
	else if (n == 1 && is_kw(w[0], "PRINT"))
		c.op = IFB_IIOD_PRINT;
	else if (n == 1 && is_kw(w[0], "ZPRINT"))
		c.op = IFB_IIOD_ZPRINT;
	else if (n == 1 && is_kw(w[0], "HELP"))
		c.op = IFB_IIOD_HELP;
	else if (n == 1 && (is_kw(w[0], "EXIT") || is_kw(w[0], "QUIT")))
		c.op = IFB_IIOD_EXIT;
	else if (n == 2 && is_kw(w[0], "TIMEOUT")) {
		c.op = IFB_IIOD_TIMEOUT;
		if (parse_number(w[1], &c.number) < 0)
			return -EINVAL;
	} else if (n >= 2 && is_word(w[1])) {
		c.dev = w[1];
		if (is_kw(w[0], "OPEN") && (na == 2 || na == 3)) {
			c.op = IFB_IIOD_OPEN;
			if (parse_number(a[0], &c.number) < 0 || !is_mask(a[1]))
				return -EINVAL;
			c.mask = a[1];
			if (na == 3) {
				if (!is_kw(a[2], "CYCLIC"))
					return -EINVAL;
				c.cyclic = true;
			}
		} else if (is_kw(w[0], "CLOSE") && na == 0) {
			c.op = IFB_IIOD_CLOSE;
		} else if ((is_kw(w[0], "READBUF") || is_kw(w[0], "WRITEBUF")) && na == 1) {
			c.op = is_kw(w[0], "READBUF") ? IFB_IIOD_READBUF : IFB_IIOD_WRITEBUF;
			if (parse_number(a[0], &c.number) < 0)
				return -EINVAL;
		} else if (is_kw(w[0], "READ") || is_kw(w[0], "WRITE")) {
			bool write = is_kw(w[0], "WRITE");

			c.op = write ? IFB_IIOD_WRITE : IFB_IIOD_READ;
			if (parse_attr_ref(a, na, write, &c) < 0)
				return -EINVAL;
		} else if (is_kw(w[0], "GETTRIG") && na == 0) {
			c.op = IFB_IIOD_GETTRIG;
		} else if (is_kw(w[0], "SETTRIG") && (na == 0 || na == 1)) {
			c.op = IFB_IIOD_SETTRIG;
			if (na == 1) {
				if (!is_word(a[0]))
					return -EINVAL;
				c.trigger = a[0];
			}
		} else if (is_kw(w[0], "SET") && na == 2 && is_kw(a[0], "BUFFERS_COUNT")) {
			c.op = IFB_IIOD_SET_BUFFERS_COUNT;
			if (parse_number(a[1], &c.number) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	} else {
		return -EINVAL;
	}
	*ret_cmd = c;
	return 0;
}

static unsigned int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned int)(c - 'a' + 10);
	return (unsigned int)(c - 'A' + 10);
}

int ifb_iiod_mask_decode(const char *mask, uint32_t *words, size_t nwords)
{
	if (strlen(mask) != nwords * 8)
		return -EINVAL;
	for (size_t i = 0; i < nwords; i++) {
		const char *p = mask + (nwords - 1 - i) * 8;
		uint32_t v = 0;

		for (int k = 0; k < 8; k++) {
			if (!is_hex(p[k]))
				return -EINVAL;
			v = (v << 4) | hex_value(p[k]);
		}
		words[i] = v;
	}
	return 0;
}

int ifb_iiod_mask_encode(const uint32_t *words, size_t nwords, char *buf, size_t size)
{
	size_t len = nwords * 8 + 1;

	if (size < len + 1)
		return -ENOSPC;
	for (size_t i = 0; i < nwords; i++)
		snprintf(buf + i * 8, 9, "%08x", (unsigned int)words[nwords - 1 - i]);
	buf[len - 1] = '\n';
	buf[len] = '\0';
	return (int)len;
}
