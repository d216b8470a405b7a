// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/gadget.h"
#include "daemon/util.h"

#define MAX_UNDO 24

enum undo_kind { UNDO_RMDIR, UNDO_UNLINK, UNDO_UMOUNT };

struct undo {
	enum undo_kind kind;
	char path[PATH_MAX];
};

struct ifb_gadget {
	struct ifb_gadget_spec spec;
	struct ifb_gadget_env env;
	char dir[PATH_MAX]; /* the gadget's configfs directory */
	bool bound;
	bool recovered;     /* a leftover of ours was removed first */
	unsigned nundo;
	struct undo undo[MAX_UNDO];
};

static int sys_mount(const char *name, const char *target, void *ctx)
{
	return mount(name, target, "functionfs", 0, NULL) < 0 ? neg_errno() : 0;
}

static int sys_umount(const char *target, void *ctx)
{
	return umount2(target, 0) < 0 ? neg_errno() : 0;
}

static void env_defaults(struct ifb_gadget_env *env);

static void trace(struct ifb_gadget *g, const char *op, const char *path, const char *value)
{
	if (g->env.trace)
		g->env.trace(op, path, value, g->env.ctx);
}

static int failf(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int failf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < errlen && r < 0)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-r));
	return r;
}

/* snprintf into a PATH_MAX buffer; -ENAMETOOLONG rather than truncate. */
static int pathf(char *buf, const char *fmt, ...) _printf_(2, 3);
static int pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int remember(struct ifb_gadget *g, enum undo_kind kind, const char *path)
{
	if (g->nundo == MAX_UNDO)
		return -ENOSPC;
	g->undo[g->nundo].kind = kind;
	snprintf(g->undo[g->nundo].path, sizeof(g->undo[0].path), "%s", path);
	g->nundo++;
	return 0;
}

/* mkdir; an existing directory (configfs' own default groups) is fine and
 * is not ours to remove. */
static int make_dir(struct ifb_gadget *g, const char *path, bool must_be_new)
{
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST && !must_be_new)
			return 0;
		return neg_errno();
	}
	trace(g, "mkdir", path, NULL);
	return remember(g, UNDO_RMDIR, path);
}

static int put(struct ifb_gadget *g, const char *dir, const char *attr, const char *value)
{
	char path[PATH_MAX];
	FILE *f;
	int r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return neg_errno();
	if (fputs(value, f) < 0)
		r = neg_errno();
	if (fclose(f) != 0 && r == 0)
		r = neg_errno();
	if (r == 0)
		trace(g, "write", path, value);
	return r;
}

static int make_link(struct ifb_gadget *g, const char *target, const char *link)
{
	if (symlink(target, link) < 0)
		return neg_errno();
	trace(g, "link", link, target);
	return remember(g, UNDO_UNLINK, link);
}

/* mkdir -p for the mount point, remembering each directory it made. */
static int make_mountpoint(struct ifb_gadget *g, const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int r;

	if (len == 0 || len >= sizeof(buf) || path[0] != '/')
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			r = make_dir(g, buf, false);
			if (r < 0)
				return r;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static void undo_all(struct ifb_gadget *g)
{
	while (g->nundo) {
		struct undo *u = &g->undo[--g->nundo];

		/* Best effort, every step attempted: the trace shows each. */
		switch (u->kind) {
		case UNDO_UMOUNT:
			(void)g->env.umount(u->path, g->env.ctx);
			trace(g, "umount", u->path, NULL);
			break;
		case UNDO_UNLINK:
			(void)unlink(u->path);
			trace(g, "unlink", u->path, NULL);
			break;
		case UNDO_RMDIR:
			(void)rmdir(u->path);
			trace(g, "rmdir", u->path, NULL);
			break;
		}
	}
}

static bool attr_is(const char *dir, const char *attr, const char *want)
{
	char path[PATH_MAX + 64], buf[64];
	size_t n;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return strcmp(buf, want) == 0;
}

/* Every entry of dir (not . and ..), unlinked or removed, traced. */
static void remove_entries(struct ifb_gadget *g, const char *dir, bool links)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pathf(path, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (links && de->d_type == DT_LNK) {
			(void)unlink(path);
			trace(g, "unlink", path, NULL);
		} else if (!links && de->d_type == DT_DIR) {
			(void)rmdir(path);
			trace(g, "rmdir", path, NULL);
		}
	}
	closedir(d);
}

/*
 * Is the ffs.<name> function at path unused, as an instance killed by a
 * signal leaves it? FunctionFS's configfs attribute "ready" (newer kernels,
 * e.g. 6.12) says so directly: 0, no descriptors written. Kernels without
 * it (6.1, 5.x) are asked what f_fs does when the last ep0 closes: it
 * unbinds the gadget, so UDC is empty. (Without "ready", an instance that
 * has written its descriptors but not yet bound looks the same; ours binds
 * right after writing them.)
 */
static bool ffs_function_unused(struct ifb_gadget *g, const char *path)
{
	char ready[PATH_MAX + 8];
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	if ((size_t)snprintf(ready, sizeof(ready), "%s/ready", path) >= sizeof(ready))
		return false;
	if (access(ready, F_OK) == 0)
		return attr_is(path, "ready", "0");
	return attr_is(g->dir, "UDC", "");
}

/*
 * A gadget of our name whose ffs.<name> function nobody uses
 * (ffs_function_unused) is what an instance killed by a signal leaves
 * behind: f_fs has unbound it, but configfs still holds it, and its mount
 * may still be there. Take it down the way configfs wants: links first
 * (os_desc's before the configuration it points to), then groups from the
 * leaves up.
 */
static bool remove_leftover(struct ifb_gadget *g)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (pathf(path, "%s/functions/ffs.%s", g->dir, g->spec.name) < 0 ||
	    !ffs_function_unused(g, path))
		return false;
	if (!attr_is(g->dir, "UDC", ""))
		(void)put(g, g->dir, "UDC", "\n");
	(void)g->env.umount(g->spec.mountpoint, g->env.ctx);
	trace(g, "umount", g->spec.mountpoint, NULL);
	/* os_desc links to a configuration, which cannot go while linked. */
	if (pathf(path, "%s/os_desc", g->dir) == 0)
		remove_entries(g, path, true);
	if (pathf(path, "%s/configs", g->dir) == 0 && (d = opendir(path))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || pathf(sub, "%s/%s", path, de->d_name) < 0)
				continue;
			remove_entries(g, sub, true);
			if (pathf(sub, "%s/%s/strings", path, de->d_name) == 0)
				remove_entries(g, sub, false);
			if (pathf(sub, "%s/%s", path, de->d_name) == 0) {
				(void)rmdir(sub);
				trace(g, "rmdir", sub, NULL);
			}
		}
		closedir(d);
	}
	if (pathf(path, "%s/functions", g->dir) == 0)
		remove_entries(g, path, false);
	if (pathf(path, "%s/strings", g->dir) == 0)
		remove_entries(g, path, false);
	if (rmdir(g->dir) < 0)
		return false;
	trace(g, "rmdir", g->dir, NULL);
	return true;
}

#define TRY(expr, ...)                                               \
	do {                                                         \
		r = (expr);                                          \
		if (r < 0) {                                         \
			failf(err, errlen, r, __VA_ARGS__);          \
			goto fail;                                   \
		}                                                    \
	} while (0)

int ifb_gadget_compose(struct ifb_gadget **ret, const struct ifb_gadget_spec *spec,
		       const struct ifb_gadget_env *env, char *err, size_t errlen)
{
	char path[PATH_MAX], func[PATH_MAX], cfg[PATH_MAX], num[32];
	struct ifb_gadget *g;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return failf(err, errlen, -ENOMEM, "gadget");
	g->spec = *spec;
	g->env = *env;
	env_defaults(&g->env);

	if (!spec->name[0] || strchr(spec->name, '/')) {
		r = failf(err, errlen, -EINVAL, "gadget name '%s'", spec->name);
		goto fail;
	}
	TRY(pathf(g->dir, "%s/%s", g->env.configfs, spec->name), "path too long");
	r = make_dir(g, g->dir, true);
	if (r == -EEXIST && remove_leftover(g)) {
		g->recovered = true;
		r = make_dir(g, g->dir, true);
	}
	if (r == -EEXIST) {
		failf(err, errlen, r,
		      "%s exists (a gadget made elsewhere?); remove it or choose another [gadget] name",
		      g->dir);
		goto fail;
	}
	if (r == -ENOENT) {
		failf(err, errlen, r, "cannot create %s (is configfs mounted and libcomposite loaded?)",
		      g->dir);
		goto fail;
	}
	TRY(r, "cannot create %s", g->dir);

	snprintf(num, sizeof(num), "0x%04x", spec->vendor_id);
	TRY(put(g, g->dir, "idVendor", num), "%s/idVendor", g->dir);
	snprintf(num, sizeof(num), "0x%04x", spec->product_id);
	TRY(put(g, g->dir, "idProduct", num), "%s/idProduct", g->dir);

	TRY(pathf(path, "%s/strings", g->dir), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(pathf(path, "%s/strings/0x409", g->dir), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(put(g, path, "manufacturer", spec->manufacturer), "%s/manufacturer", path);
	TRY(put(g, path, "product", spec->product), "%s/product", path);
	if (spec->serial && spec->serial[0])
		TRY(put(g, path, "serialnumber", spec->serial), "%s/serialnumber", path);

	TRY(pathf(path, "%s/configs", g->dir), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(pathf(cfg, "%s/configs/c.1", g->dir), "path too long");
	TRY(make_dir(g, cfg, false), "%s", cfg);
	snprintf(num, sizeof(num), "%u", spec->max_power_ma);
	TRY(put(g, cfg, "MaxPower", num), "%s/MaxPower", cfg);
	TRY(pathf(path, "%s/strings", cfg), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(pathf(path, "%s/strings/0x409", cfg), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(put(g, path, "configuration", spec->configuration), "%s/configuration", path);

	TRY(pathf(path, "%s/functions", g->dir), "path too long");
	TRY(make_dir(g, path, false), "%s", path);
	TRY(pathf(func, "%s/functions/ffs.%s", g->dir, spec->name), "path too long");
	r = make_dir(g, func, false);
	if (r == -ENOENT || r == -ENODEV)
		r = failf(err, errlen, r, "cannot create %s (is usb_f_fs loaded?)", func);
	TRY(r, "cannot create %s", func);
	TRY(pathf(path, "%s/ffs.%s", cfg, spec->name), "path too long");
	TRY(make_link(g, func, path), "cannot link %s", path);

	if (spec->ms_os) {
		TRY(pathf(path, "%s/os_desc", g->dir), "path too long");
		TRY(make_dir(g, path, false), "%s", path);
		TRY(put(g, path, "use", "1"), "%s/use", path);
		snprintf(num, sizeof(num), "0x%02x", spec->ms_vendor_code);
		TRY(put(g, path, "b_vendor_code", num), "%s/b_vendor_code", path);
		TRY(put(g, path, "qw_sign", "MSFT100"), "%s/qw_sign", path);
		TRY(pathf(path, "%s/os_desc/c.1", g->dir), "path too long");
		TRY(make_link(g, cfg, path), "cannot link %s", path);
	}

	TRY(make_mountpoint(g, spec->mountpoint), "cannot create mount point %s", spec->mountpoint);
	TRY(g->env.mount(spec->name, spec->mountpoint, g->env.ctx), "cannot mount functionfs '%s' at %s",
	    spec->name, spec->mountpoint);
	trace(g, "mount", spec->mountpoint, spec->name);
	TRY(remember(g, UNDO_UMOUNT, spec->mountpoint), "gadget");

	*ret = g;
	return 0;
fail:
	undo_all(g);
	free(g);
	return r;
}

/* The UDC to use: the named one, or the only one there is. */
static int pick_udc(struct ifb_gadget *g, char *name, size_t size, char *err, size_t errlen)
{
	char list[256] = "";
	unsigned n = 0;
	struct dirent *de;
	DIR *d;

	if (g->spec.udc && g->spec.udc[0] && strcmp(g->spec.udc, "auto") != 0) {
		char path[PATH_MAX + 128];

		if (strlen(g->spec.udc) >= size)
			return failf(err, errlen, -ENAMETOOLONG, "UDC name %s", g->spec.udc);
		strcpy(name, g->spec.udc);
		/* Not there yet is "wait" (-ENODEV), as for auto; the kernel
		 * would say EBUSY (configfs binds to existing UDCs only). */
		if (pathf(path, "%s/%s", g->env.udc_class, name) < 0 || access(path, F_OK) < 0)
			return failf(err, errlen, -ENODEV, "UDC %s is not in %s (is its driver loaded?)",
				     name, g->env.udc_class);
		return 0;
	}
	d = opendir(g->env.udc_class);
	if (!d)
		return failf(err, errlen, neg_errno(), "cannot list UDCs in %s", g->env.udc_class);
	while ((de = readdir(d))) {
		size_t l = strlen(list);

		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) >= size)
			continue;
		if (n++ == 0)
			strcpy(name, de->d_name);
		/* A list too long for the message is cut, which is fine. */
		if (snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", de->d_name) < 0)
			break;
	}
	closedir(d);
	if (n == 0)
		return failf(err, errlen, -ENODEV, "no UDC in %s (is the UDC driver loaded?)",
			     g->env.udc_class);
	if (n > 1)
		return failf(err, errlen, -ENOTUNIQ, "several UDCs (%s): set [gadget] udc to one of them",
			     list);
	return 0;
}

bool ifb_gadget_is_bound(const struct ifb_gadget *g)
{
	char path[PATH_MAX + 8], buf[128];
	size_t n;
	FILE *f;

	if (pathf(path, "%s/UDC", g->dir) < 0 || !(f = fopen(path, "re")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf[0] != '\0' && buf[0] != '\n';
}

const char *ifb_gadget_dir(const struct ifb_gadget *g)
{
	return g->dir;
}

const char *ifb_gadget_udc_class(const struct ifb_gadget *g)
{
	return g->env.udc_class;
}

/*
 * configfs says EBUSY when no UDC of that name takes a gadget driver now
 * (drivers/usb/gadget/udc/core.c, match_existing_only): another gadget
 * holds it, or it is still registering (its "udc" uevent comes before its
 * gadget device is on the bus). Name the holder when there is one: the
 * UDC's "function" attribute is the bound driver's name.
 */
static int udc_busy(struct ifb_gadget *g, const char *udc, char *err, size_t errlen)
{
	char path[PATH_MAX + 128], holder[128] = "";
	FILE *f;

	if (pathf(path, "%s/%s/function", g->env.udc_class, udc) == 0 && (f = fopen(path, "re"))) {
		if (!fgets(holder, sizeof(holder), f))
			holder[0] = '\0';
		fclose(f);
		holder[strcspn(holder, "\n")] = '\0';
	}
	if (holder[0])
		return failf(err, errlen, -EBUSY, "UDC %s is in use by gadget driver %s", udc, holder);
	return failf(err, errlen, -EBUSY, "UDC %s takes no gadget yet (still registering?)", udc);
}

int ifb_gadget_bind(struct ifb_gadget *g, char *err, size_t errlen)
{
	char udc[128];
	int r;

	if (ifb_gadget_is_bound(g))
		return 0; /* bound by someone else: theirs to undo */
	r = pick_udc(g, udc, sizeof(udc), err, errlen);
	if (r < 0)
		return r;
	r = put(g, g->dir, "UDC", udc);
	if (r == -EBUSY)
		return udc_busy(g, udc, err, errlen);
	if (r < 0)
		return failf(err, errlen, r, "cannot bind %s to UDC %s", g->dir, udc);
	g->bound = true;
	return 0;
}

static void env_defaults(struct ifb_gadget_env *env)
{
	if (!env->configfs)
		env->configfs = "/sys/kernel/config/usb_gadget";
	if (!env->udc_class)
		env->udc_class = "/sys/class/udc";
	if (!env->mountinfo)
		env->mountinfo = "/proc/self/mountinfo";
	if (!env->mount)
		env->mount = sys_mount;
	if (!env->umount)
		env->umount = sys_umount;
}

/* The FunctionFS instance mounted at mountpoint, from mountinfo: fields
 * 5 (mount point) and, after " - ", fstype and source (the instance). */
static int ffs_instance(const char *mountinfo, const char *mountpoint, char *name, size_t size)
{
	char line[4096];
	int r = -ENOENT;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return neg_errno();
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX], fstype[64], source[256];
		const char *tail = strstr(line, " - ");

		if (!tail || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(tail + 3, "%63s %255s", fstype, source) != 2)
			continue;
		if (strcmp(mp, mountpoint) != 0 || strcmp(fstype, "functionfs") != 0)
			continue;
		if (strlen(source) >= size) {
			r = -ENAMETOOLONG;
			break;
		}
		strcpy(name, source);
		r = 0; /* the last mount there is the one in effect */
	}
	fclose(f);
	return r;
}

int ifb_gadget_adopt(struct ifb_gadget **ret, const char *mountpoint, const char *udc,
		     const struct ifb_gadget_env *env, char *err, size_t errlen)
{
	char inst[256], func[PATH_MAX];
	struct dirent *de;
	struct ifb_gadget *g;
	DIR *d;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return failf(err, errlen, -ENOMEM, "gadget");
	g->env = *env;
	env_defaults(&g->env);
	g->spec.udc = udc;
	r = ffs_instance(g->env.mountinfo, mountpoint, inst, sizeof(inst));
	if (r < 0) {
		failf(err, errlen, r, "no FunctionFS mounted at %s (%s)", mountpoint, g->env.mountinfo);
		goto fail;
	}
	d = opendir(g->env.configfs);
	if (!d) {
		r = failf(err, errlen, neg_errno(), "cannot list gadgets in %s", g->env.configfs);
		goto fail;
	}
	r = -ENODEV;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    pathf(func, "%s/%s/functions/ffs.%s", g->env.configfs, de->d_name, inst) < 0 ||
		    stat(func, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = pathf(g->dir, "%s/%s", g->env.configfs, de->d_name);
		break;
	}
	closedir(d);
	if (r < 0) {
		failf(err, errlen, r, "no gadget in %s has the function ffs.%s mounted at %s",
		      g->env.configfs, inst, mountpoint);
		goto fail;
	}
	*ret = g;
	return 0;
fail:
	free(g);
	return r;
}

bool ifb_gadget_recovered(const struct ifb_gadget *g)
{
	return g->recovered;
}

struct ifb_gadget *ifb_gadget_free(struct ifb_gadget *g)
{
	if (!g)
		return NULL;
	if (g->bound)
		(void)put(g, g->dir, "UDC", "\n");
	undo_all(g);
	free(g);
	return NULL;
}
