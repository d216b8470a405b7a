// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line value parsing for iio-ffs-capture. */
#ifndef CAP_UTIL_H
#define CAP_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * "4096", "16K", "1M", "2G", "1T" (binary multiples, case-insensitive, an
 * optional trailing "iB" or "B"). Returns 0 or -EINVAL (garbage, zero is
 * allowed) / -ERANGE (overflow).
 */
/* Seconds, fractional allowed ("2.5"), > 0. Returns 0 or -EINVAL. */
int cap_parse_seconds(const char *s, double *out);
/* "1d6b:0104" (hex). Returns 0 or -EINVAL. */
int cap_parse_vidpid(const char *s, uint16_t *vid, uint16_t *pid);

/*
 * The output name of one of several streams captured at once, so that
 * they do not collide: "-STREAM" before the extension of path's last
 * component when keep_ext and it has one ("cap.raw" -> "cap-rx.raw",
 * "out/data" -> "out/data-rx", ".hidden" -> ".hidden-rx"), else at the
 * end (a SigMF base name: "rec" -> "rec-rx"). A malloc'd string, NULL
 * when out of memory.
 */
char *cap_stream_path(const char *path, const char *stream, bool keep_ext);

#endif
