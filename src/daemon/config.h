/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's configuration file (/etc/iio-ffs-bridge.conf). Its syntax,
 * byte by byte, is in iio-ffs-bridge.conf(5).
 */
#ifndef IFB_CONFIG_H
#define IFB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "iio-ffs-bridge/protocol.h"

#ifndef IFB_SYSCONFDIR
#define IFB_SYSCONFDIR "/etc"
#endif
#define IFB_DEFAULT_CONFIG IFB_SYSCONFDIR "/iio-ffs-bridge.conf"
#define IFB_EX_CONFIG 78 /* sysexits.h EX_CONFIG */

enum ifb_cfg_mode { IFB_CFG_MODE_AUTO, IFB_CFG_MODE_ZERO_COPY, IFB_CFG_MODE_COPY, IFB_CFG_MODE_HYBRID };
enum ifb_cfg_alloc { IFB_CFG_ALLOC_AUTO, IFB_CFG_ALLOC_UDMABUF, IFB_CFG_ALLOC_DMA_HEAP };
enum ifb_cfg_start { IFB_CFG_START_HOST, IFB_CFG_START_IMMEDIATE };

/* Keys, for remembering where each was set (runtime checks cite the line). */
enum ifb_cfg_key {
	IFB_KEY_IIO_DEVICE,
	IFB_KEY_IIO_BUFFER,
	IFB_KEY_IIO_CHANNELS,
	IFB_KEY_IIO_SAMPLING_FREQUENCY,
	IFB_KEY_STREAM_BLOCK_SIZE,
	IFB_KEY_STREAM_BLOCK_COUNT,
	IFB_KEY_STREAM_MODE,
	IFB_KEY_STREAM_ALLOCATOR,
	IFB_KEY_STREAM_START,
	IFB_KEY_USB_FUNCTIONFS,
	IFB_KEY_USB_VENDOR_ID,
	IFB_KEY_USB_PRODUCT_ID,
	IFB_KEY_USB_MANUFACTURER,
	IFB_KEY_USB_PRODUCT,
	IFB_KEY_USB_SERIAL,
	IFB_KEY_USB_INTERFACE,
	IFB_KEY_USB_MS_OS_DESCRIPTORS,
	IFB_KEY_USB_INTERFACE_GUID,
	IFB_KEY_GADGET_NAME,
	IFB_KEY_GADGET_UDC,
	IFB_KEY_GADGET_MAX_POWER,
	IFB_KEY_GADGET_MS_VENDOR_CODE,
	IFB_KEY_DAEMON_LOG_LEVEL,
	IFB_KEY_USB_NATIVE,
	IFB_KEY_IIOD_ENABLE,
	IFB_KEY_IIOD_PIPES,
	IFB_KEY_IIOD_DEVICES,
	IFB_KEY_IIOD_HW_MODEL,
	IFB_KEY_IIOD_HW_SERIAL,
	IFB_KEY_IIO_IQ,
	IFB_KEY__MAX,
};

#define IFB_CFG_STR 64
#define IFB_CFG_IIOD_DEVICES 16

/*
 * One stream's keys: those of [iio] and [stream] in a single-stream file
 * (the stream is then named "main"), or of one [stream NAME] section.
 * Its path and line numbers make its messages stand alone.
 */
struct ifb_stream_config {
	char name[IFB_NAME_LEN];     /* letters, digits, '-' and '_' */
	bool named;                  /* from a [stream NAME] section */
	unsigned section_line;       /* that section's line */
	char path[PATH_MAX];         /* the file it was read from */

	/* [iio] */
	char device[IFB_CFG_STR];     /* name, label or iio:deviceN */
	unsigned buffer;              /* buffer index */
	bool all_channels;
	unsigned num_channels;        /* when !all_channels */
	char channels[IFB_MAX_CHANNELS][IFB_CHANNEL_NAME_LEN];
	char sampling_frequency[32];  /* "" = leave the device's setting */
	unsigned num_iq;              /* I/Q pairs: iq[i][0] is I, iq[i][1] Q */
	char iq[IFB_MAX_CHANNELS / 2][2][IFB_CHANNEL_NAME_LEN];

	/* [stream] */
	uint32_t block_size;
	unsigned block_count;
	enum ifb_cfg_mode mode;
	enum ifb_cfg_alloc allocator;
	char heap[IFB_CFG_STR];       /* dma-heap name, default "system" */
	enum ifb_cfg_start start;

	unsigned line[IFB_KEY__MAX]; /* its keys' lines; 0: not in the file (default) */
};

/* The name of the stream of a single-stream file ([iio] and [stream]). */
#define IFB_STREAM_DEFAULT_NAME "main"

struct ifb_config {
	char path[PATH_MAX];

	/* The streams, in the file's order (at least one, at most
	 * IFB_MAX_STREAMS): stream[0] is the one a version 1-3 host is
	 * served (protocol.h). */
	unsigned num_streams;
	struct ifb_stream_config stream[IFB_MAX_STREAMS];

	/* [usb] */
	char functionfs[PATH_MAX];
	uint16_t vendor_id, product_id;
	char manufacturer[IFB_CFG_STR], product[IFB_CFG_STR], serial[IFB_CFG_STR];
	char interface[IFB_CFG_STR];
	bool ms_os_descriptors;       /* WinUSB compat ID + DeviceInterfaceGUID */
	char interface_guid[40];

	/* [gadget]: present means the daemon composes the gadget in configfs */
	bool compose_gadget;
	char gadget_name[IFB_CFG_STR];
	char udc[IFB_CFG_STR];        /* "auto": the only UDC present */
	unsigned max_power;           /* mA */
	uint8_t ms_vendor_code;

	/* [daemon] */
	int log_level;

	/* [usb] native, [iiod]: the front ends (docs/protocol.md) */
	bool usb_native;              /* the native vendor interface */
	bool iiod_enable;             /* the IIOD interface for libiio clients */
	unsigned iiod_pipes;          /* its IN/OUT pairs, 2..IFB_IIOD_MAX_PIPES */
	unsigned iiod_num_devices;    /* 0: every IIO device in the context */
	char iiod_devices[IFB_CFG_IIOD_DEVICES][IFB_CFG_STR];
	char iiod_hw_model[IFB_CFG_STR], iiod_hw_serial[IFB_CFG_STR]; /* "" = not sent */

	unsigned line[IFB_KEY__MAX]; /* the global keys' lines; 0: not in the file (default) */
};

/*
 * The reader's bounds. A line is read by inih into a buffer of its
 * INI_MAX_LINE bytes (200 in Debian 12's libinih: 199 bytes of text); the
 * reader learns the size from inih at run time and refuses a longer line
 * (IFB_CONFIG_INIH_LINE_MAX is Debian's, for what the dump writes). A list
 * continued over several lines may hold IFB_CONFIG_LINE_MAX bytes in all;
 * the whole file IFB_CONFIG_SIZE_MAX.
 */
#define IFB_CONFIG_INIH_LINE_MAX 199u
#define IFB_CONFIG_LINE_MAX 8192u
#define IFB_CONFIG_SIZE_MAX (1u << 20)

#define IFB_BLOCK_SIZE_MIN 4096u
#define IFB_BLOCK_SIZE_MAX (64u << 20)
#define IFB_BLOCK_COUNT_MIN 2u
#define IFB_BLOCK_COUNT_MAX 64u

void ifb_config_defaults(struct ifb_config *cfg);

/*
 * Parse a config file on top of the defaults. On error, returns -errno
 * (-EINVAL for a bad file) and writes one message naming file:line, key and
 * what was expected into err.
 *
 * ifb_config_load: path must name a regular file, read to its end.
 * ifb_config_load_stream: f is read to its end (a read error is an error).
 * ifb_config_load_buffer: len bytes of buf, which may hold any bytes (a NUL
 * is an error, not an end); name is used in messages and cfg->path.
 * Files larger than IFB_CONFIG_SIZE_MAX fail with -EFBIG.
 */
int ifb_config_load(struct ifb_config *cfg, const char *path, char *err, size_t errlen);
int ifb_config_load_stream(struct ifb_config *cfg, FILE *f, const char *name, char *err,
			   size_t errlen);
int ifb_config_load_buffer(struct ifb_config *cfg, const char *buf, size_t len, const char *name,
			   char *err, size_t errlen);

/* Write the effective configuration, in the file's own syntax. */
void ifb_config_dump(const struct ifb_config *cfg, FILE *out);

/* "file:line: [section] key" for messages about a key checked at run time:
 * a global key (ifb_config_where) or a stream's ([iio] and [stream] keys,
 * ifb_stream_config_where: "[stream NAME] key" for a named stream). */
void ifb_config_where(const struct ifb_config *cfg, enum ifb_cfg_key key, char *buf,
		      size_t len);
void ifb_stream_config_where(const struct ifb_stream_config *sc, enum ifb_cfg_key key, char *buf,
			     size_t len);
/* Is key one of a stream's ([iio] or [stream])? */
bool ifb_config_key_is_stream(enum ifb_cfg_key key);
/* The stream named name, or NULL. */
const struct ifb_stream_config *ifb_config_stream(const struct ifb_config *cfg, const char *name);

const char *ifb_cfg_mode_name(enum ifb_cfg_mode m);
const char *ifb_cfg_alloc_name(enum ifb_cfg_alloc a);

#endif
