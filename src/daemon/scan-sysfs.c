// SPDX-License-Identifier: GPL-2.0-or-later
/* The one reader of a buffer's scan elements in sysfs (scan.h). */
#include <dirent.h>
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
	struct ifb_scan_element *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	d = opendir(dir);
	if (!d)
		return neg_errno();
	while ((de = readdir(d))) {
		const char *f = de->d_name, *id;
		size_t len = strlen(f);
		bool output = strncmp(f, "out_", 4) == 0;

		if (!output && strncmp(f, "in_", 3))
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue; /* sysfs attributes are regular files */
		id = f + (output ? 4 : 3);
		if (len < 3 || strcmp(f + len - 3, "_en") || f + len - 3 <= id)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct ifb_scan_element *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].output = output;
		v[n].id = strndup(id, (size_t)(f + len - 3 - id));
		if (!v[n].id) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
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
