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

/* Bind to the UDC: call after FunctionFS descriptors are written. */
int ifb_gadget_bind(struct ifb_gadget *g, char *err, size_t errlen);

/* Unbind, unmount, remove what compose created. NULL is fine. */
struct ifb_gadget *ifb_gadget_free(struct ifb_gadget *g);

#endif
