// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small JSON emitter into a growing memory buffer. It tracks nesting and
 * commas itself, escapes strings (control characters, quotes, backslash)
 * and replaces invalid UTF-8 with U+FFFD, so untrusted text (device names
 * from the USB device) always yields a valid JSON document. Non-finite
 * numbers are written as null.
 */
#ifndef CAP_JSON_H
#define CAP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_JSON_MAX_DEPTH 16

struct cap_json {
	char *buf;
	size_t len, cap;
	bool oom;    /* an allocation failed: the document is incomplete */
	bool misuse; /* unbalanced or misplaced calls */
	int indent;  /* spaces per level; 0: everything on one line */
	int depth;
	bool first[CAP_JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool is_obj[CAP_JSON_MAX_DEPTH];
	bool after_key;
};

void cap_json_init(struct cap_json *j, int indent);
void cap_json_free(struct cap_json *j);
/* Returns the finished document (NUL-terminated) or NULL on error. */
const char *cap_json_finish(struct cap_json *j);

void cap_json_begin_object(struct cap_json *j);
void cap_json_end_object(struct cap_json *j);
void cap_json_begin_array(struct cap_json *j);
void cap_json_end_array(struct cap_json *j);
void cap_json_key(struct cap_json *j, const char *key);
void cap_json_string(struct cap_json *j, const char *s);
void cap_json_string_n(struct cap_json *j, const char *s, size_t n);
void cap_json_u64(struct cap_json *j, uint64_t v);
void cap_json_i64(struct cap_json *j, int64_t v);
void cap_json_double(struct cap_json *j, double v);
void cap_json_bool(struct cap_json *j, bool v);
void cap_json_null(struct cap_json *j);

#endif
