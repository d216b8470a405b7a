// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture: which streams to capture. libifbhost lists one entry
 * per stream (a device of protocol version 4 may serve several, one USB
 * interface each; its entries come together and share its bus path).
 * --stream opens the streams of those names; without it the one stream
 * there is (asking which on a terminal when several match); --list shows
 * every stream with its name. Exit codes as iio-ffs-capture(1) lists them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/cap.h"
#include "iio-ffs-bridge/protocol.h"

static const char *const UDEV_HINT =
	"Hint: install conf/60-iio-ffs-bridge.rules into /etc/udev/rules.d/, run "
	"'udevadm control --reload' and replug the device (or run as root).";

/* Are entries i and j one device's? */
static bool same_device(const struct ifbh_list *l, size_t i, size_t j)
{
	return j < ifbh_list_count(l) &&
	       !strcmp(ifbh_list_get(l, i)->path, ifbh_list_get(l, j)->path);
}

/* Does entry i's device serve several streams? */
static bool device_has_several(const struct ifbh_list *l, size_t i)
{
	return (i > 0 && same_device(l, i, i - 1)) || same_device(l, i, i + 1);
}

/*
 * Entry i for humans: the device and, when ask is set or its device serves
 * several streams, which stream (the entry is opened briefly to ask it;
 * a one-stream device is left alone otherwise, as before streams had names).
 */
static void describe_entry(struct ifbh_ctx *ctx, const struct ifbh_list *l, size_t i, bool ask,
			   char *buf, size_t len)
{
	struct ifbh_dev *dev;
	size_t used;
	int ret;

	ifbh_device_describe(ifbh_list_get(l, i), buf, len);
	if (!ask && !device_has_several(l, i))
		return;
	used = strlen(buf);
	ret = ifbh_dev_open(ctx, l, i, &dev);
	if (ret) {
		snprintf(buf + used, len - used, ", stream %d: cannot open it (%s)",
			 ifbh_list_stream_index(l, i), strerror(-ret));
		return;
	}
	if (*ifbh_dev_stream_name(dev))
		snprintf(buf + used, len - used, ", stream \"%s\" (%u of %u)",
			 ifbh_dev_stream_name(dev), ifbh_dev_stream_index(dev) + 1,
			 ifbh_dev_stream_count(dev));
	else
		snprintf(buf + used, len - used,
			 ", one stream (protocol version %u: unnamed, --stream main)",
			 ifbh_dev_info(dev)->version);
	ifbh_dev_close(dev);
}

/* Nothing matched: why, as an exit code. */
static int no_device(const struct opts *o, size_t denied)
{
	if (denied) {
		cap_msg("%zu device(s) with the iio-ffs-bridge interface could not be opened to "
			"read their serial number: permission denied.\n%s",
			denied, UDEV_HINT);
		return EXIT_ACCESS;
	}
	cap_msg("no iio-ffs-bridge device found (USB interface class ff, subclass %02x, "
		"protocol %02x%s)",
		IFB_USB_SUBCLASS, IFB_USB_PROTOCOL,
		o->sel.have_vidpid || o->sel.serial || o->sel.path
			? ", matching --device/--serial/--path"
			: "");
	return EXIT_NODEV;
}

/*
 * Is name an output stream (protocol version 5, host to device) of a
 * device o selects? Asked only once no input stream has that name, so
 * that the refusal says what the name is instead of "no stream". Its
 * device's bus path into path.
 */
static bool is_output_stream(struct ifbh_ctx *ctx, const struct opts *o, const char *name,
			     char *path, size_t len)
{
	struct ifbh_list *list;
	struct ifbh_dev *dev;
	bool found = false;

	if (ifbh_find_streams(ctx, &o->sel, IFBH_FIND_OUT, &list))
		return false;
	if (ifbh_list_count(list) && ifbh_list_open_stream(ctx, list, name, &dev) == 0) {
		found = ifbh_dev_direction(dev) == IFBH_DIRECTION_OUT;
		snprintf(path, len, "%s", ifbh_dev_desc(dev)->path);
		ifbh_dev_close(dev);
	}
	ifbh_list_free(list);
	return found;
}

/* A --stream that names an output stream: said so, EXIT_NODEV; else 0. */
static int refuse_output(struct ifbh_ctx *ctx, const struct opts *o, unsigned int k)
{
	char path[64];

	if (!is_output_stream(ctx, o, o->streams[k], path, sizeof(path)))
		return 0;
	cap_msg("--stream %s: stream \"%s\" of the device at %s is an output stream (host to "
		"device, a DAC's): iio-ffs-capture reads input streams; iio-ffs-play plays to it",
		o->streams[k], o->streams[k], path);
	return EXIT_NODEV;
}

static int find(struct ifbh_ctx *ctx, const struct opts *o, struct ifbh_list **ret_list)
{
	int ret = ifbh_find(ctx, &o->sel, ret_list);

	if (ret) {
		cap_msg("%s", ifbh_ctx_error(ctx));
		return EXIT_USB;
	}
	if (ifbh_list_count(*ret_list) == 0) {
		/* a device with output streams alone has none to capture */
		for (unsigned int k = 0; !ret && k < o->nstreams; k++)
			ret = refuse_output(ctx, o, k);
		if (!ret)
			ret = no_device(o, ifbh_list_denied(*ret_list));
		ifbh_list_free(*ret_list);
		return ret;
	}
	return 0;
}

int cap_list_streams(struct ifbh_ctx *ctx, const struct opts *o)
{
	struct ifbh_list *list;
	char line[512];
	int ret = find(ctx, o, &list);

	if (ret)
		return ret;
	for (size_t i = 0; i < ifbh_list_count(list); i++) {
		describe_entry(ctx, list, i, true, line, sizeof(line));
		printf("%zu) %s\n", i + 1, line);
	}
	ifbh_list_free(list);
	return fflush(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

/* Without --stream: the one entry, or the one chosen on a terminal. */
static int pick_entry(struct ifbh_ctx *ctx, const struct ifbh_list *list, size_t *ret_pick)
{
	size_t n = ifbh_list_count(list);
	/* one-stream devices alone: the words of before streams had names */
	bool streams = false;
	char line[512];

	*ret_pick = 0;
	if (n == 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		streams |= device_has_several(list, i);
	fprintf(stderr, "iio-ffs-capture: %zu iio-ffs-bridge %s found:\n", n,
		streams ? "streams" : "devices");
	for (size_t i = 0; i < n; i++) {
		describe_entry(ctx, list, i, false, line, sizeof(line));
		fprintf(stderr, "  %zu) %s\n", i + 1, line);
	}
	if (!isatty(STDIN_FILENO)) {
		cap_msg("several %s match: choose one with %s--serial, --path or --device",
			streams ? "streams" : "devices", streams ? "--stream, " : "");
		return EXIT_NODEV;
	}
	for (;;) {
		char *end;
		unsigned long k;

		fprintf(stderr, "Which one [1-%zu]? ", n);
		if (!fgets(line, sizeof(line), stdin)) {
			fputc('\n', stderr);
			cap_msg("no %s chosen", streams ? "stream" : "device");
			return EXIT_NODEV;
		}
		k = strtoul(line, &end, 10);
		if (end != line && (*end == '\n' || !*end) && k >= 1 && k <= n) {
			*ret_pick = k - 1;
			return 0;
		}
	}
}

int cap_open_streams(struct ifbh_ctx *ctx, const struct opts *o, struct ifbh_dev **ret_devs,
		     size_t *ret_n)
{
	struct ifbh_list *list;
	size_t pick;
	int ret = find(ctx, o, &list), err;

	*ret_n = 0;
	if (ret)
		return ret;
	if (!o->nstreams) {
		ret = pick_entry(ctx, list, &pick);
		err = ret ? 0 : ifbh_dev_open(ctx, list, pick, &ret_devs[0]);
		if (err) {
			cap_msg("%s", ifbh_ctx_error(ctx));
			ret = cap_exit_code(err);
		} else if (!ret) {
			*ret_n = 1;
		}
	}
	for (unsigned int k = 0; !ret && k < o->nstreams; k++) {
		err = ifbh_list_open_stream(ctx, list, o->streams[k], &ret_devs[k]);
		if (err == -ENOENT && (ret = refuse_output(ctx, o, k)))
			break;
		if (err) {
			cap_msg("--stream %s: %s", o->streams[k], ifbh_ctx_error(ctx));
			ret = err == -ENOENT || err == -ENOTUNIQ ? EXIT_NODEV : cap_exit_code(err);
		} else {
			*ret_n = k + 1;
		}
	}
	ifbh_list_free(list);
	return ret;
}
