// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The IIO context for libiio clients, from sysfs. What goes in the XML and
 * in which order follows libiio 0.24 (context.c xml_header and
 * reorder_channels, local.c for which files are attributes, xml.c for
 * what the client reads); docs/protocol.md lists the facts.
 *
 * Channel files: "in_<id>_<attr>" / "out_<id>_<attr>" in the device
 * directory, where <id> is a channel with a scan element
 * (scan_elements/in_<id>_en) or has the form <type><n>[-<type><n>]
 * ("voltage0", "voltage0-voltage1"); "in_<type>_<attr>" without a number
 * is shared by every channel of that type ("in_voltage_scale"). Channels
 * with modifiers but no scan element (in_accel_x_raw) are not recognised
 * as such: their files become shared attributes of type accel, still
 * reachable, only under another name than libiio's local backend gives.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/iiod-xml.h"
#include "daemon/scan.h"
#include "daemon/util.h"

struct attr {
	char *name, *file; /* file: relative to the device directory */
};

struct attr_list {
	struct attr *v;
	size_t n;
};

struct chan {
	char *id;
	bool output, scan;
	long index;
	struct ifb_scan_type type; /* scan_elements/..._type, when scan */
	struct attr_list attrs;
};

struct dev {
	char *id, *name, *label, *dir, *debug_dir;
	bool trigger;
	struct chan *chans;
	size_t nchans;
	struct attr_list attrs, buffer_attrs, debug_attrs;
};

struct ifb_iiod_ctx {
	struct dev *devs;
	size_t ndevs;
	char *xml;
	size_t xml_len;
};

static void attrs_free(struct attr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].file);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool attrs_has(const struct attr_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return true;
	return false;
}

static int attrs_add(struct attr_list *l, const char *name, const char *file)
{
	struct attr *v;

	if (attrs_has(l, name))
		return 0;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n].name = strdup(name);
	v[l->n].file = strdup(file);
	if (!v[l->n].name || !v[l->n].file) {
		free(v[l->n].name);
		free(v[l->n].file);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int cmp_attr(const void *a, const void *b)
{
	return strcmp(((const struct attr *)a)->name, ((const struct attr *)b)->name);
}

static void attrs_sort(struct attr_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_attr);
}

static void dev_free(struct dev *d)
{
	for (size_t i = 0; i < d->nchans; i++) {
		free(d->chans[i].id);
		attrs_free(&d->chans[i].attrs);
	}
	free(d->chans);
	attrs_free(&d->attrs);
	attrs_free(&d->buffer_attrs);
	attrs_free(&d->debug_attrs);
	free(d->id);
	free(d->name);
	free(d->label);
	free(d->dir);
	free(d->debug_dir);
}

void ifb_iiod_ctx_free(struct ifb_iiod_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->ndevs; i++)
		dev_free(&ctx->devs[i]);
	free(ctx->devs);
	free(ctx->xml);
	free(ctx);
}

/* Sorted names of the regular files in dir (none when dir is missing or
 * unreadable: a device without such a directory has no such attributes). */
static int list_files(const char *dir, char ***ret, size_t *ret_n)
{
	int r = ifb_list_regular_files(dir, ret, ret_n);

	return r == -ENOENT || r == -ENOTDIR || r == -EACCES ? 0 : r;
}

/* Read a one-line sysfs file; NULL when it is not there. */
static char *read_line_file(const char *dir, const char *name)
{
	char path[4096], buf[256];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return NULL;
	if (ifb_read_file(path, buf, sizeof(buf)) < 0)
		return NULL;
	return strdup(buf);
}

static struct chan *find_chan(struct dev *d, const char *id, bool output)
{
	for (size_t i = 0; i < d->nchans; i++)
		if (d->chans[i].output == output && !strcmp(d->chans[i].id, id))
			return &d->chans[i];
	return NULL;
}

static int add_chan(struct dev *d, const char *id, size_t idlen, bool output, struct chan **ret)
{
	struct chan *v;
	char *copy = strndup(id, idlen);

	if (!copy)
		return -ENOMEM;
	*ret = find_chan(d, copy, output);
	if (*ret) {
		free(copy);
		return 0;
	}
	v = realloc(d->chans, (d->nchans + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return -ENOMEM;
	}
	d->chans = v;
	v[d->nchans] = (struct chan){ .id = copy, .output = output, .index = -1 };
	*ret = &v[d->nchans++];
	return 0;
}

/* Scan elements: scan_elements/{in,out}_<id>_{en,index,type}, by scan.h's
 * reader. An element without an index or with a type the data path cannot
 * stream is no scan element to a libiio client either (a plain channel). */
static int load_scan_elements(struct dev *d)
{
	struct ifb_scan_element *el;
	char dir[4096];
	size_t n;
	int r;

	if (snprintf(dir, sizeof(dir), "%s/scan_elements", d->dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	r = ifb_scan_elements_read(dir, &el, &n);
	if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
		return 0; /* no buffer */
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct chan *c;

		r = add_chan(d, el[i].id, strlen(el[i].id), el[i].output, &c);
		if (r < 0)
			break;
		if (el[i].index >= 0 && el[i].type_error == 0) {
			c->index = el[i].index;
			c->type = el[i].type;
			c->scan = true;
		}
	}
	ifb_scan_elements_free(el, n);
	return r;
}

/* Length of a "<type><n>[-<type><n>]" channel id at the start of s
 * followed by '_', or 0. */
static size_t indexed_id_len(const char *s)
{
	size_t i = 0, j;

	for (int part = 0; part < 2; part++) {
		j = i;
		while (s[i] >= 'a' && s[i] <= 'z')
			i++;
		if (i == j || s[i] < '0' || s[i] > '9')
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (s[i] != '-' || part == 1)
			break;
		i++;
	}
	return s[i] == '_' && s[i + 1] ? i : 0;
}

/* The files of the device directory: channel attributes, shared channel
 * attributes, device attributes. */
static int load_dir_attrs(struct dev *d)
{
	char **files;
	size_t n;
	int r = list_files(d->dir, &files, &n);

	if (r < 0)
		return r;
	/* channels named by a number first, so "shared" files find them all */
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *f = files[i];
		bool output = !strncmp(f, "out_", 4);
		const char *rest = f + (output ? 4 : 3);
		struct chan *c;
		size_t l;

		if (!output && strncmp(f, "in_", 3))
			continue;
		l = indexed_id_len(rest);
		if (l)
			r = add_chan(d, rest, l, output, &c);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *f = files[i];
		bool output = !strncmp(f, "out_", 4), chan_file = output || !strncmp(f, "in_", 3);
		const char *rest = f + (output ? 4 : 3);
		struct chan *best = NULL;
		size_t best_len = 0;

		if (!strcmp(f, "dev") || !strcmp(f, "uevent") || !strcmp(f, "name") ||
		    !strcmp(f, "label"))
			continue;
		if (chan_file) {
			/* the longest channel id that prefixes the rest */
			for (size_t k = 0; k < d->nchans; k++) {
				struct chan *c = &d->chans[k];
				size_t l = strlen(c->id);

				if (c->output == output && l > best_len && !strncmp(rest, c->id, l) &&
				    rest[l] == '_' && rest[l + 1]) {
					best = c;
					best_len = l;
				}
			}
			if (best) {
				r = attrs_add(&best->attrs, rest + best_len + 1, f);
				continue;
			}
			/* in_<type>_<attr>: shared by the channels of that type */
			size_t t = 0;
			bool shared = false;

			while (rest[t] >= 'a' && rest[t] <= 'z')
				t++;
			if (t && rest[t] == '_' && rest[t + 1]) {
				for (size_t k = 0; k < d->nchans && r == 0; k++) {
					struct chan *c = &d->chans[k];

					if (c->output == output && !strncmp(c->id, rest, t) &&
					    c->id[t] >= '0' && c->id[t] <= '9') {
						r = attrs_add(&c->attrs, rest + t + 1, f);
						shared = true;
					}
				}
			}
			if (shared || r < 0)
				continue;
		}
		r = attrs_add(&d->attrs, f, f);
	}
	ifb_strv_free(files, n);
	return r;
}

/* Files of a subdirectory (buffer/, the debugfs directory) as attributes;
 * the ones the daemon drives itself are left out (libiio's local backend
 * keeps length, enable and watermark of buffer/ to itself too). */
static int load_sub_attrs(const char *dir, const char *prefix, struct attr_list *l,
			  const char *const *skip)
{
	char **files;
	size_t n;
	int r = list_files(dir, &files, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		bool skipped = false;
		char file[512];

		for (const char *const *s = skip; s && *s; s++)
			if (!strcmp(*s, files[i]))
				skipped = true;
		if (skipped)
			continue;
		snprintf(file, sizeof(file), "%s%s", prefix, files[i]);
		r = attrs_add(l, files[i], file);
	}
	ifb_strv_free(files, n);
	return r;
}

/* libiio's order (context.c reorder_channels): by scan index, equal
 * indexes by shift, channels without a scan element last; ours by id
 * among those, so the order is the same every time. */
static int cmp_chan(const void *a, const void *b)
{
	const struct chan *x = a, *y = b;

	if (x->scan != y->scan)
		return x->scan ? -1 : 1;
	if (x->scan && x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->scan && x->type.shift != y->type.shift)
		return x->type.shift < y->type.shift ? -1 : 1;
	if (x->output != y->output)
		return x->output ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int load_dev(const char *sysfs_dir, const char *debugfs_dir, const char *id, struct dev *d)
{
	static const char *const buffer_skip[] = { "length", "enable", "watermark", NULL };
	char path[4096];
	int r;

	d->id = strdup(id);
	if (asprintf(&d->dir, "%s/%s", sysfs_dir, id) < 0)
		d->dir = NULL;
	if (asprintf(&d->debug_dir, "%s/%s", debugfs_dir ? debugfs_dir : "/nonexistent", id) < 0)
		d->debug_dir = NULL;
	if (!d->id || !d->dir || !d->debug_dir)
		return -ENOMEM;
	d->trigger = !strncmp(id, "trigger", 7);
	d->name = read_line_file(d->dir, "name");
	d->label = read_line_file(d->dir, "label");
	r = load_scan_elements(d);
	if (r == 0)
		r = load_dir_attrs(d);
	if (r == 0 && snprintf(path, sizeof(path), "%s/buffer", d->dir) < (int)sizeof(path))
		r = load_sub_attrs(path, "buffer/", &d->buffer_attrs, buffer_skip);
	/* Debug attributes are a bonus: debugfs may be absent or hidden (a
	 * sandboxed service, ProtectKernelTunables=); the context goes on. */
	if (r == 0 && debugfs_dir) {
		r = load_sub_attrs(d->debug_dir, "", &d->debug_attrs, NULL);
		if (r < 0 && r != -ENOMEM) {
			attrs_free(&d->debug_attrs);
			r = 0;
		}
	}
	if (r < 0)
		return r;
	if (d->nchans)
		qsort(d->chans, d->nchans, sizeof(*d->chans), cmp_chan);
	for (size_t i = 0; i < d->nchans; i++)
		attrs_sort(&d->chans[i].attrs);
	attrs_sort(&d->attrs);
	attrs_sort(&d->buffer_attrs);
	attrs_sort(&d->debug_attrs);
	return 0;
}

/* "iio:device2" before "iio:device10", devices before triggers. */
static int cmp_id(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t px = strcspn(x, "0123456789"), py = strcspn(y, "0123456789");
	int c = strncmp(x, y, px < py ? px : py);

	if (c || px != py)
		return c ? c : (px < py ? -1 : 1);
	return atol(x + px) < atol(y + py) ? -1 : atol(x + px) > atol(y + py);
}

static bool is_device_id(const char *s)
{
	const char *p;

	if (!strncmp(s, "iio:device", 10))
		p = s + 10;
	else if (!strncmp(s, "trigger", 7))
		p = s + 7;
	else
		return false;
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* --- XML ------------------------------------------------------------------ */

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
		}
	}
}

static void put_attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	put_escaped(f, value);
	fputc('"', f);
}

/* The inline DTD libiio validates against (XML_PARSE_DTDVALID); its
 * content is a fact of libiio 0.24's context.c xml_header. */
static const char xml_dtd[] =
	"<!DOCTYPE context ["
	"<!ELEMENT context (device | context-attribute)*>"
	"<!ELEMENT context-attribute EMPTY>"
	"<!ELEMENT device (channel | attribute | debug-attribute | buffer-attribute)*>"
	"<!ELEMENT channel (scan-element?, attribute*)>"
	"<!ELEMENT attribute EMPTY>"
	"<!ELEMENT scan-element EMPTY>"
	"<!ELEMENT debug-attribute EMPTY>"
	"<!ELEMENT buffer-attribute EMPTY>"
	"<!ATTLIST context name CDATA #REQUIRED version-major CDATA #REQUIRED "
	"version-minor CDATA #REQUIRED version-git CDATA #REQUIRED description CDATA #IMPLIED>"
	"<!ATTLIST context-attribute name CDATA #REQUIRED value CDATA #REQUIRED>"
	"<!ATTLIST device id CDATA #REQUIRED name CDATA #IMPLIED label CDATA #IMPLIED>"
	"<!ATTLIST channel id CDATA #REQUIRED type (input|output) #REQUIRED name CDATA #IMPLIED>"
	"<!ATTLIST scan-element index CDATA #REQUIRED format CDATA #REQUIRED scale CDATA #IMPLIED>"
	"<!ATTLIST attribute name CDATA #REQUIRED filename CDATA #IMPLIED>"
	"<!ATTLIST debug-attribute name CDATA #REQUIRED>"
	"<!ATTLIST buffer-attribute name CDATA #REQUIRED>"
	"]>";

static void put_dev(FILE *f, const struct dev *d)
{
	fputs("<device", f);
	put_attr(f, "id", d->id);
	if (d->name)
		put_attr(f, "name", d->name);
	if (d->label)
		put_attr(f, "label", d->label);
	fputs(">", f);
	for (size_t i = 0; i < d->nchans; i++) {
		const struct chan *c = &d->chans[i];

		fputs("<channel", f);
		put_attr(f, "id", c->id);
		put_attr(f, "type", c->output ? "output" : "input");
		fputs(">", f);
		if (c->scan) {
			char idx[32], format[32];

			snprintf(idx, sizeof(idx), "%ld", c->index);
			(void)ifb_scan_type_format(&c->type, format, sizeof(format));
			fputs("<scan-element", f);
			put_attr(f, "index", idx);
			put_attr(f, "format", format);
			fputs(" />", f);
		}
		for (size_t k = 0; k < c->attrs.n; k++) {
			fputs("<attribute", f);
			put_attr(f, "name", c->attrs.v[k].name);
			put_attr(f, "filename", c->attrs.v[k].file);
			fputs(" />", f);
		}
		fputs("</channel>", f);
	}
	for (size_t k = 0; k < d->attrs.n; k++) {
		fputs("<attribute", f);
		put_attr(f, "name", d->attrs.v[k].name);
		fputs(" />", f);
	}
	for (size_t k = 0; k < d->debug_attrs.n; k++) {
		fputs("<debug-attribute", f);
		put_attr(f, "name", d->debug_attrs.v[k].name);
		fputs(" />", f);
	}
	for (size_t k = 0; k < d->buffer_attrs.n; k++) {
		fputs("<buffer-attribute", f);
		put_attr(f, "name", d->buffer_attrs.v[k].name);
		fputs(" />", f);
	}
	fputs("</device>", f);
}

static int build_xml(struct ifb_iiod_ctx *ctx, const struct ifb_iiod_ctx_attr *attrs,
		     size_t nattrs, const char *description)
{
	size_t len = 0;
	FILE *f = open_memstream(&ctx->xml, &len);

	if (!f)
		return -ENOMEM;
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>", f);
	fputs(xml_dtd, f);
	/* version 0.24: what the clients we serve were written against */
	fputs("<context name=\"local\" version-major=\"0\" version-minor=\"24\" "
	      "version-git=\"ifb0000\"", f);
	if (description)
		put_attr(f, "description", description);
	fputs(" >", f);
	for (size_t i = 0; i < nattrs; i++) {
		fputs("<context-attribute", f);
		put_attr(f, "name", attrs[i].name);
		put_attr(f, "value", attrs[i].value ? attrs[i].value : "");
		fputs(" />", f);
	}
	for (size_t i = 0; i < ctx->ndevs; i++)
		put_dev(f, &ctx->devs[i]);
	fputs("</context>", f);
	if (fclose(f) != 0 || !ctx->xml)
		return -ENOMEM;
	ctx->xml_len = len;
	return 0;
}

static bool dev_matches(const struct dev *d, const char *name)
{
	return !strcmp(d->id, name) || (d->name && !strcmp(d->name, name)) ||
	       (d->label && !strcmp(d->label, name));
}

int ifb_iiod_ctx_load(const char *sysfs_dir, const char *debugfs_dir, const char *const *only,
		      const struct ifb_iiod_ctx_attr *attrs, size_t nattrs, const char *description,
		      struct ifb_iiod_ctx **ret)
{
	struct ifb_iiod_ctx *ctx = calloc(1, sizeof(*ctx));
	DIR *dir = NULL;
	char **ids = NULL;
	size_t nids = 0;
	struct dirent *e;
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/* no IIO device at all (no industrialio module): an empty context */
	dir = opendir(sysfs_dir);
	if (!dir && errno != ENOENT) {
		r = neg_errno();
		goto out;
	}
	while (dir && (e = readdir(dir))) {
		char **v;

		if (!is_device_id(e->d_name))
			continue;
		v = realloc(ids, (nids + 1) * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		ids = v;
		ids[nids] = strdup(e->d_name);
		if (!ids[nids]) {
			r = -ENOMEM;
			goto out;
		}
		nids++;
	}
	if (nids)
		qsort(ids, nids, sizeof(*ids), cmp_id);
	ctx->devs = calloc(nids ? nids : 1, sizeof(*ctx->devs));
	if (!ctx->devs) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nids; i++) {
		struct dev *d = &ctx->devs[ctx->ndevs];
		bool keep = !only;

		r = load_dev(sysfs_dir, debugfs_dir, ids[i], d);
		ctx->ndevs++;
		if (r < 0)
			goto out;
		for (const char *const *o = only; o && *o; o++)
			keep |= dev_matches(d, *o);
		if (!keep) {
			dev_free(d);
			memset(d, 0, sizeof(*d));
			ctx->ndevs--;
		}
	}
	for (const char *const *o = only; o && *o; o++) {
		if (ifb_iiod_ctx_find_device(ctx, *o) < 0) {
			r = -ENOENT;
			goto out;
		}
	}
	r = build_xml(ctx, attrs, nattrs, description);
out:
	if (dir)
		closedir(dir);
	ifb_strv_free(ids, nids);
	if (r < 0) {
		ifb_iiod_ctx_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

const char *ifb_iiod_ctx_xml(const struct ifb_iiod_ctx *ctx, size_t *ret_len)
{
	if (ret_len)
		*ret_len = ctx->xml_len;
	return ctx->xml;
}

size_t ifb_iiod_ctx_ndevices(const struct ifb_iiod_ctx *ctx)
{
	return ctx->ndevs;
}

int ifb_iiod_ctx_find_device(const struct ifb_iiod_ctx *ctx, const char *name)
{
	/* ids first: a name that equals another device's id must not win */
	for (size_t i = 0; i < ctx->ndevs; i++)
		if (!strcmp(ctx->devs[i].id, name))
			return (int)i;
	for (size_t i = 0; i < ctx->ndevs; i++)
		if (dev_matches(&ctx->devs[i], name))
			return (int)i;
	return -ENODEV;
}

const char *ifb_iiod_dev_id(const struct ifb_iiod_ctx *ctx, int dev)
{
	return ctx->devs[dev].id;
}

const char *ifb_iiod_dev_dir(const struct ifb_iiod_ctx *ctx, int dev)
{
	return ctx->devs[dev].dir;
}

const char *ifb_iiod_dev_name(const struct ifb_iiod_ctx *ctx, int dev)
{
	return ctx->devs[dev].name ? ctx->devs[dev].name : "";
}

bool ifb_iiod_dev_is_trigger(const struct ifb_iiod_ctx *ctx, int dev)
{
	return ctx->devs[dev].trigger;
}

size_t ifb_iiod_dev_nchannels(const struct ifb_iiod_ctx *ctx, int dev)
{
	return ctx->devs[dev].nchans;
}

int ifb_iiod_scan_layout(const struct ifb_iiod_ctx *ctx, int dev, const uint32_t *mask,
			 size_t nwords, unsigned int *scan_index, size_t max, size_t *ret_n)
{
	const struct dev *d = &ctx->devs[dev];
	struct ifb_scan_type *types;
	uint16_t *offsets;
	size_t n = 0;
	long prev = -1;
	int r = -EINVAL, dir = -1;

	if (nwords != (d->nchans + 31) / 32)
		return -EINVAL;
	types = calloc(d->nchans + 1, sizeof(*types));
	offsets = calloc(d->nchans + 1, sizeof(*offsets));
	if (!types || !offsets) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t bit = 0; bit < nwords * 32; bit++) {
		const struct chan *c;

		if (!(mask[bit / 32] & (1u << (bit % 32))))
			continue;
		if (bit >= d->nchans)
			goto out;
		c = &d->chans[bit];
		if (!c->scan)
			goto out;
		/* one buffer, one direction */
		if (dir >= 0 && dir != (int)c->output)
			goto out;
		dir = c->output;
		if (c->index == prev)
			continue; /* same scan element, another shift */
		prev = c->index;
		if (scan_index) {
			if (n == max)
				goto out;
			scan_index[n] = (unsigned int)c->index;
		}
		types[n++] = c->type;
	}
	/* the data path's layout rule (scan.h), so that both agree */
	r = n ? ifb_scan_layout(types, n, offsets) : -EINVAL;
	if (r > 0 && ret_n)
		*ret_n = n;
out:
	free(types);
	free(offsets);
	return r;
}

int ifb_iiod_mask_output(const struct ifb_iiod_ctx *ctx, int dev, const uint32_t *mask,
			 size_t nwords)
{
	const struct dev *d = &ctx->devs[dev];
	int dir = -EINVAL;

	if (nwords != (d->nchans + 31) / 32)
		return -EINVAL;
	for (size_t bit = 0; bit < d->nchans; bit++) {
		if (!(mask[bit / 32] & (1u << (bit % 32))))
			continue;
		if (dir >= 0 && dir != (int)d->chans[bit].output)
			return -EINVAL;
		dir = d->chans[bit].output;
	}
	return dir;
}

static const struct attr *attrs_find(const struct attr_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

int ifb_iiod_attr_path(const struct ifb_iiod_ctx *ctx, const char *dev,
		       enum ifb_iiod_attr_kind kind, const char *chn, const char *attr,
		       char *buf, size_t size)
{
	int i = ifb_iiod_ctx_find_device(ctx, dev);
	const struct dev *d;
	const struct attr *a = NULL;
	const char *base;
	int n;

	if (i < 0)
		return i;
	d = &ctx->devs[i];
	base = d->dir;
	switch (kind) {
	case IFB_IIOD_ATTR_INPUT:
	case IFB_IIOD_ATTR_OUTPUT: {
		const struct chan *c = NULL;

		for (size_t k = 0; chn && k < d->nchans; k++)
			if (d->chans[k].output == (kind == IFB_IIOD_ATTR_OUTPUT) &&
			    !strcmp(d->chans[k].id, chn))
				c = &d->chans[k];
		if (!c)
			return -ENXIO;
		if (!attr)
			return -EINVAL;
		a = attrs_find(&c->attrs, attr);
		break;
	}
	case IFB_IIOD_ATTR_DEVICE:
		if (!attr)
			return -EINVAL;
		a = attrs_find(&d->attrs, attr);
		break;
	case IFB_IIOD_ATTR_BUFFER:
		if (!attr)
			return -EINVAL;
		a = attrs_find(&d->buffer_attrs, attr);
		break;
	case IFB_IIOD_ATTR_DEBUG:
		if (!attr)
			return -EINVAL;
		a = attrs_find(&d->debug_attrs, attr);
		base = d->debug_dir;
		break;
	}
	if (!a)
		return -ENOENT;
	n = snprintf(buf, size, "%s/%s", base, a->file);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}
