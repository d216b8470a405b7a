/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IIO context a libiio client sees through the IIOD interface: devices,
 * channels and attributes read once from sysfs (and debugfs), the context
 * XML libiio 0.24 parses (docs/protocol.md "The context XML"), and the one
 * gate every attribute access from the host goes through: a host names a
 * device, channel and attribute, and only a name that is in this context
 * maps to a file, always inside that device's own directory.
 */
#ifndef IFB_IIOD_XML_H
#define IFB_IIOD_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/iiod-parse.h"

struct ifb_iiod_ctx;

/* A context attribute (<context-attribute name= value=>). */
struct ifb_iiod_ctx_attr {
	const char *name, *value;
};

/*
 * Read the context. sysfs_dir: where the IIO devices are
 * ("/sys/bus/iio/devices"); debugfs_dir: where their debug attributes are
 * ("/sys/kernel/debug/iio"), may be missing. only: NULL for every device
 * (iio:deviceN and triggerN), else a NULL-terminated list of ids, names or
 * labels, each of which must match a device. attrs[0..nattrs): context
 * attributes, copied. description: the <context description=>, copied.
 * Returns 0 and *ret (free with ifb_iiod_ctx_free), -ENOENT when a device
 * in only is not there, -ENOMEM, or -errno of reading sysfs.
 */
int ifb_iiod_ctx_load(const char *sysfs_dir, const char *debugfs_dir, const char *const *only,
		      const struct ifb_iiod_ctx_attr *attrs, size_t nattrs, const char *description,
		      struct ifb_iiod_ctx **ret);
void ifb_iiod_ctx_free(struct ifb_iiod_ctx *ctx);

/* The XML (NUL-terminated, owned by ctx) and its length. */
const char *ifb_iiod_ctx_xml(const struct ifb_iiod_ctx *ctx, size_t *ret_len);

/* Number of devices, and the index of the device a host names (by id, as
 * libiio clients do, or by name or label as iiod also accepts), or
 * -ENODEV. */
size_t ifb_iiod_ctx_ndevices(const struct ifb_iiod_ctx *ctx);
int ifb_iiod_ctx_find_device(const struct ifb_iiod_ctx *ctx, const char *name);
/* The device's id ("iio:device0"), sysfs directory, and name (may be ""). */
const char *ifb_iiod_dev_id(const struct ifb_iiod_ctx *ctx, int dev);
const char *ifb_iiod_dev_dir(const struct ifb_iiod_ctx *ctx, int dev);
const char *ifb_iiod_dev_name(const struct ifb_iiod_ctx *ctx, int dev);
bool ifb_iiod_dev_is_trigger(const struct ifb_iiod_ctx *ctx, int dev);

/* Number of channels (the mask has (n + 31) / 32 words). */
size_t ifb_iiod_dev_nchannels(const struct ifb_iiod_ctx *ctx, int dev);

/*
 * The scan layout a mask selects. Bit i of mask is the device's channel i
 * in XML order. Fills scan_index[0..*ret_n) with the kernel scan indexes
 * of the selected buffer channels (ascending) if scan_index is not NULL
 * (room for max). Returns the scan size in bytes as the kernel lays it out
 * (each element aligned to its own size, the whole scan to the largest
 * element, Linux iio_compute_scan_bytes), -EINVAL when the mask selects
 * nothing, a channel that is not a buffer channel, bits past the last
 * channel, or input and output channels together (one buffer, one
 * direction).
 */
int ifb_iiod_scan_layout(const struct ifb_iiod_ctx *ctx, int dev, const uint32_t *mask,
			 size_t nwords, unsigned int *scan_index, size_t max, size_t *ret_n);

/* Does the mask select output channels (1) or input ones (0)? -EINVAL for
 * none, or both. */
int ifb_iiod_mask_output(const struct ifb_iiod_ctx *ctx, int dev, const uint32_t *mask,
			 size_t nwords);

/*
 * The file behind an attribute a host names. Writes the path into buf.
 * Returns 0, -ENODEV (no such device), -ENXIO (no such channel on it),
 * -ENOENT (no such attribute), -EINVAL (attr NULL: "all attributes" is not
 * a file), -ENAMETOOLONG.
 */
int ifb_iiod_attr_path(const struct ifb_iiod_ctx *ctx, const char *dev,
		       enum ifb_iiod_attr_kind kind, const char *chn, const char *attr,
		       char *buf, size_t size);

#endif
