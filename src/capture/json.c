// SPDX-License-Identifier: GPL-2.0-or-later
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/json.h"

void cap_json_init(struct cap_json *j, int indent)
{
	memset(j, 0, sizeof(*j));
	j->indent = indent;
	j->first[0] = true;
}

void cap_json_free(struct cap_json *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

static void put(struct cap_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t ncap = j->cap ? j->cap : 256;
		char *nb;

		while (j->len + n + 1 > ncap)
			ncap *= 2;
		nb = realloc(j->buf, ncap);
		if (!nb) {
			j->oom = true;
			return;
		}
		j->buf = nb;
		j->cap = ncap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct cap_json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void newline(struct cap_json *j)
{
	if (!j->indent)
		return;
	put(j, "\n", 1);
	for (int i = 0; i < j->depth * j->indent; i++)
		put(j, " ", 1);
}

/* Called before every value or key: comma and layout. */
static void before_item(struct cap_json *j, bool is_key)
{
	if (j->after_key) {
		if (is_key)
			j->misuse = true;
		j->after_key = false;
		return;
	}
	if (j->depth == 0) {
		/* exactly one top-level value */
		if (!j->first[0] || is_key)
			j->misuse = true;
		j->first[0] = false;
		return;
	}
	/* in an object, values come after keys; in an array, no keys */
	if (j->is_obj[j->depth] != is_key)
		j->misuse = true;
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	newline(j);
}

static void open_(struct cap_json *j, char c)
{
	before_item(j, false);
	put(j, &c, 1);
	if (j->depth + 1 >= CAP_JSON_MAX_DEPTH) {
		j->misuse = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
	j->is_obj[j->depth] = c == '{';
}

static void close_(struct cap_json *j, char c)
{
	bool empty;

	if (j->depth == 0 || j->after_key) {
		j->misuse = true;
		return;
	}
	empty = j->first[j->depth];
	j->depth--;
	if (!empty)
		newline(j);
	put(j, &c, 1);
}

void cap_json_begin_object(struct cap_json *j)
{
	open_(j, '{');
}

void cap_json_end_object(struct cap_json *j)
{
	close_(j, '}');
}

void cap_json_begin_array(struct cap_json *j)
{
	open_(j, '[');
}

void cap_json_end_array(struct cap_json *j)
{
	close_(j, ']');
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_escaped(struct cap_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	put(j, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		char tmp[8];
		size_t l;

		switch (c) {
		case '"':
			puts_(j, "\\\"");
			i++;
			continue;
		case '\\':
			puts_(j, "\\\\");
			i++;
			continue;
		case '\n':
			puts_(j, "\\n");
			i++;
			continue;
		case '\r':
			puts_(j, "\\r");
			i++;
			continue;
		case '\t':
			puts_(j, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			puts_(j, tmp);
			i++;
			continue;
		}
		l = utf8_len(s + i, n - i);
		if (l == 0) {
			puts_(j, "\\ufffd");
			i++;
			continue;
		}
		put(j, str + i, l);
		i += l;
	}
	put(j, "\"", 1);
}

void cap_json_key(struct cap_json *j, const char *key)
{
	if (j->depth == 0)
		j->misuse = true;
	before_item(j, true);
	put_escaped(j, key, strlen(key));
	put(j, j->indent ? ": " : ":", j->indent ? 2 : 1);
	j->after_key = true;
}

void cap_json_string_n(struct cap_json *j, const char *s, size_t n)
{
	before_item(j, false);
	put_escaped(j, s, n);
}

void cap_json_string(struct cap_json *j, const char *s)
{
	cap_json_string_n(j, s, strlen(s));
}

void cap_json_u64(struct cap_json *j, uint64_t v)
{
	char tmp[24];

	before_item(j, false);
	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	puts_(j, tmp);
}

void cap_json_i64(struct cap_json *j, int64_t v)
{
	char tmp[24];

	before_item(j, false);
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	puts_(j, tmp);
}

void cap_json_double(struct cap_json *j, double v)
{
	char tmp[40];

	before_item(j, false);
	if (!isfinite(v)) {
		puts_(j, "null");
		return;
	}
	/* the shortest of %.15g/%.17g that reads back as the same double */
	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	puts_(j, tmp);
}

void cap_json_bool(struct cap_json *j, bool v)
{
	before_item(j, false);
	puts_(j, v ? "true" : "false");
}

void cap_json_null(struct cap_json *j)
{
	before_item(j, false);
	puts_(j, "null");
}

const char *cap_json_finish(struct cap_json *j)
{
	if (j->depth != 0 || j->after_key || j->first[0])
		j->misuse = true;
	if (j->oom || j->misuse)
		return NULL;
	return j->buf;
}
