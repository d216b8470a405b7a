// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture/util.h"

int cap_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hex16(const char *s, size_t n, uint16_t *out)
{
	unsigned int v = 0;

	if (n == 0 || n > 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 16 + (unsigned int)(isdigit((unsigned char)s[i]) ? s[i] - '0'
							     : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*out = (uint16_t)v;
	return 0;
}

int cap_parse_vidpid(const char *s, uint16_t *vid, uint16_t *pid)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return -EINVAL;
	if (hex16(s, (size_t)(colon - s), vid) || hex16(colon + 1, strlen(colon + 1), pid))
		return -EINVAL;
	return 0;
}

char *cap_stream_path(const char *path, const char *stream, bool keep_ext)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t stem;
	char *out;

	base = base ? base + 1 : path;
	dot = keep_ext ? strrchr(base, '.') : NULL;
	stem = dot && dot > base ? (size_t)(dot - path) : strlen(path);
	if (asprintf(&out, "%.*s-%s%s", (int)stem, path, stream, path + stem) < 0)
		return NULL;
	return out;
}
