// SPDX-License-Identifier: GPL-2.0-or-later
/* The one reader of a buffer's scan elements in sysfs (scan.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/scan.h"
#include "daemon/util.h"

void ifb_scan_elements_free(struct ifb_scan_element *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].id);
	free(v);
}

static int cmp_element(const void *a, const void *b)
{
	const struct ifb_scan_element *x = a, *y = b;

	if (x->output != y->output)
		return x->output ? 1 : -1; /* in_ sorts before out_ */
	return strcmp(x->id, y->id);
}

/* <prefix><id>_<what> in dir, one line; -errno when missing. */
static int read_element_attr(const char *dir, const struct ifb_scan_element *e, const char *what,
			     char *buf, size_t size)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s_%s_%s", dir, e->output ? "out" : "in", e->id,
			     what) >= sizeof(path))
		return -ENAMETOOLONG;
	return ifb_read_file(path, buf, size);
}

static void read_element(const char *dir, struct ifb_scan_element *e)
{
	char val[64], *end;
	long idx;

	e->index = -1;
	e->index_error = read_element_attr(dir, e, "index", val, sizeof(val));
	if (e->index_error >= 0) {
		errno = 0;
		idx = strtol(val, &end, 10);
		e->index_error = end != val && !*end && idx >= 0 && errno == 0 ? 0 : -EINVAL;
		if (!e->index_error)
			e->index = idx;
	}
	e->type_error = read_element_attr(dir, e, "type", val, sizeof(val));
	if (e->type_error >= 0)
		e->type_error = ifb_scan_type_parse(val, &e->type);
}

int ifb_scan_elements_read(const char *dir, struct ifb_scan_element **ret, size_t *ret_n)
{
	struct ifb_scan_element *v;
	char **files;
	size_t nfiles, n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = ifb_list_regular_files(dir, &files, &nfiles);
	if (r < 0)
		return r;
	v = calloc(nfiles ? nfiles : 1, sizeof(*v)); /* at most one per file */
	if (!v) {
		ifb_strv_free(files, nfiles);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nfiles; i++) {
		const char *f = files[i], *id;
		size_t len = strlen(f);
		bool output = strncmp(f, "out_", 4) == 0;

		if (!output && strncmp(f, "in_", 3))
			continue;
		id = f + (output ? 4 : 3);
		if (len < 3 || strcmp(f + len - 3, "_en") || f + len - 3 <= id)
			continue;
		v[n].output = output;
		v[n].id = strndup(id, (size_t)(f + len - 3 - id));
		if (!v[n].id) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	ifb_strv_free(files, nfiles);
	if (r < 0) {
		ifb_scan_elements_free(v, n);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		read_element(dir, &v[i]);
	if (n)
		qsort(v, n, sizeof(*v), cmp_element);
	*ret = v;
	*ret_n = n;
	return 0;
}
