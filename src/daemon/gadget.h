/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Composing the USB gadget through configfs, for boards where nothing else
 * does: gadget, strings, one configuration, the ffs.<name> function,
 * Microsoft OS descriptors, the FunctionFS mount; the UDC is bound only
 * once the descriptors are written. Everything created is recorded and
 * removed again in reverse order, so configfs is left as it was found.
 */
#ifndef IFB_GADGET_H
#define IFB_GADGET_H

#include <stdbool.h>
#include <stdint.h>

struct ifb_gadget_spec {
	const char *name;         /* configfs directory and FunctionFS instance name */
	const char *udc;          /* UDC to bind, or NULL/"auto": the only one present */
	const char *mountpoint;   /* where to mount FunctionFS (created if missing) */
	uint16_t vendor_id, product_id;
	const char *manufacturer, *product, *serial; /* serial may be NULL or "" */
	const char *configuration; /* configuration string */
	unsigned max_power_ma;
	bool ms_os;               /* enable MS OS descriptors (os_desc) */
	uint8_t ms_vendor_code;   /* bMS_VendorCode the host uses to ask for them */
};

/* Where things live, and the two calls tests replace. */
struct ifb_gadget_env {
	const char *configfs;     /* default /sys/kernel/config/usb_gadget */
	const char *udc_class;    /* default /sys/class/udc */
	const char *mountinfo;    /* default /proc/self/mountinfo */
	int (*mount)(const char *name, const char *target, void *ctx);
	int (*umount)(const char *target, void *ctx);
	/* Called for each step, in order: op is mkdir, write, link, mount
	 * (made), or umount, unlink, rmdir (attempted). May be NULL. */
	void (*trace)(const char *op, const char *path, const char *value, void *ctx);
	void *ctx;
};

struct ifb_gadget;

/*
 * Create and mount. A gadget of the same name that an instance killed by a
 * signal left behind (its FunctionFS function open by nobody) is removed
 * first; any other existing gadget of that name is someone else's: -EEXIST,
 * untouched. Leaves nothing behind on any failure; err gets a message
 * naming what failed.
 */
int ifb_gadget_compose(struct ifb_gadget **ret, const struct ifb_gadget_spec *spec,
		       const struct ifb_gadget_env *env, char *err, size_t errlen);

/* Did compose have to remove a leftover of a killed instance first? */
bool ifb_gadget_recovered(const struct ifb_gadget *g);

/*
 * Adopt the gadget a board script made: the configfs gadget whose
 * ffs.<instance> function is the FunctionFS instance mounted at
 * mountpoint (found in mountinfo). Nothing is created and free removes
 * nothing; bind works as for a composed gadget (udc: NULL or "auto" for
 * the only UDC). -ENOENT: no FunctionFS mounted there; -ENODEV: no gadget
 * in configfs holds that instance (then nothing can be bound by us).
 */
int ifb_gadget_adopt(struct ifb_gadget **ret, const char *mountpoint, const char *udc,
		     const struct ifb_gadget_env *env, char *err, size_t errlen);

/*
 * Bind to the UDC: call after FunctionFS descriptors are written. A
 * gadget already bound (by someone else) is left as it is: 0. -ENODEV: no
 * UDC present yet; -EBUSY: the UDC is held by another gadget or still
 * registering (for both, the caller may wait for a "udc" or "gadget"
 * uevent and call again). err names the UDC and, for -EBUSY, its holder.
 */
int ifb_gadget_bind(struct ifb_gadget *g, char *err, size_t errlen);

/* Is the gadget bound to a UDC now (its UDC attribute not empty)? */
bool ifb_gadget_is_bound(const struct ifb_gadget *g);

/* The configfs directory of the gadget, and the UDC class directory. */
const char *ifb_gadget_dir(const struct ifb_gadget *g);
const char *ifb_gadget_udc_class(const struct ifb_gadget *g);

/* Unbind, unmount, remove what compose created. NULL is fine. */
struct ifb_gadget *ifb_gadget_free(struct ifb_gadget *g);

#endif
