// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-bridge: stream an IIO buffer to a USB host through FunctionFS,
 * zero-copy with DMABUFs where the kernel and UDC allow it, by copying
 * otherwise. See iio-ffs-bridge(8) and iio-ffs-bridge.conf(5).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "daemon/bridge.h"
#include "daemon/config.h"
#include "daemon/gadget.h"
#include "daemon/log.h"
#include "daemon/udc-bind.h"

/* The release, from debian/changelog's first line (the Makefile passes it). */
#ifndef IFB_VERSION
#error "IFB_VERSION undefined: the Makefile passes it, read from debian/changelog"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: iio-ffs-bridge [OPTION]...\n"
		"Stream samples from an IIO device to a USB host over FunctionFS,\n"
		"zero-copy (DMABUF) where the kernel and the UDC allow it.\n"
		"\n"
		"  -c, --config=PATH    configuration file (default %s)\n"
		"      --check-config   parse the configuration, print it in effect, exit\n"
		"  -v, --verbose        log debug messages\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Exit status: 0 on a clean stop (SIGTERM/SIGINT), 78 for a configuration\n"
		"error, 1 for any other failure. See iio-ffs-bridge(8).\n",
		IFB_DEFAULT_CONFIG);
}

/* With a [gadget] section: create the gadget and mount FunctionFS. */
static int compose_gadget(const struct ifb_config *cfg, struct ifb_gadget **ret)
{
	const struct ifb_gadget_spec spec = {
		.name = cfg->gadget_name,
		.udc = cfg->udc,
		.mountpoint = cfg->functionfs,
		.vendor_id = cfg->vendor_id,
		.product_id = cfg->product_id,
		.manufacturer = cfg->manufacturer,
		.product = cfg->product,
		.serial = cfg->serial,
		.configuration = cfg->interface,
		.max_power_ma = cfg->max_power,
		.ms_os = cfg->ms_os_descriptors,
		.ms_vendor_code = cfg->ms_vendor_code,
	};
	const struct ifb_gadget_env env = { 0 };
	char err[PATH_MAX + 256];
	int r;

	r = ifb_gadget_compose(ret, &spec, &env, err, sizeof(err));
	if (r < 0) {
		log_error("Cannot compose the USB gadget: %s", err); /* err ends with the errno text */
		return r;
	}
	if (ifb_gadget_recovered(*ret))
		log_notice("Gadget %s was left behind by an instance that was killed; removed it",
			   cfg->gadget_name);
	log_info("Gadget %s composed in configfs, FunctionFS mounted at %s", cfg->gadget_name,
		 cfg->functionfs);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	ifb_bridge_shutdown(userdata);
	return 0;
}

struct reload_ctx {
	struct ifb_bridge *bridge;
	const char *path;
};

/* SIGHUP: read the file again; a bad one keeps the old configuration. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct reload_ctx *rc = userdata;
	char err[PATH_MAX + 256];
	struct ifb_config cfg;

	sd_notify(0, "RELOADING=1");
	ifb_config_defaults(&cfg);
	if (ifb_config_load(&cfg, rc->path, err, sizeof(err)) < 0)
		log_error("%s; keeping the running configuration", err);
	else
		(void)ifb_bridge_reload(rc->bridge, &cfg);
	sd_notify(0, "READY=1");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *path = IFB_DEFAULT_CONFIG;
	bool check_only = false, verbose = false, config_error;
	struct ifb_bridge *bridge = NULL;
	struct ifb_gadget *gadget = NULL;
	struct ifb_udc_binder *binder = NULL;
	bool adopted = false;
	struct reload_ctx reload;
	struct ifb_config cfg;
	sd_event *loop = NULL;
	char err[PATH_MAX + 256];
	sigset_t mask;
	int c, r, code;

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check_only = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("iio-ffs-bridge %s\n", IFB_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iio-ffs-bridge: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}

	ifb_log_init(LOG_INFO);
	ifb_config_defaults(&cfg);
	r = ifb_config_load(&cfg, path, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return IFB_EX_CONFIG;
	}
	ifb_log_set_level(verbose ? LOG_DEBUG : cfg.log_level);
	if (check_only) {
		ifb_config_dump(&cfg, stdout);
		return 0;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* A loop of our own, not the thread's default: libsystemd checks the
	 * calling thread of a default loop with a gettid() on every iteration
	 * (252's sd_event_prepare), a syscall per wake-up for nothing. */
	r = sd_event_new(&loop);
	if (r < 0) {
		log_error_errno(r, "Cannot create the event loop");
		return 1;
	}
	if (cfg.compose_gadget && compose_gadget(&cfg, &gadget) < 0) {
		sd_notify(0, "STATUS=Failed to compose the USB gadget");
		sd_event_unref(loop);
		return 1;
	}
	r = ifb_bridge_new(&bridge, loop, &cfg, &config_error);
	if (r < 0) {
		sd_notifyf(0, "STATUS=Failed to start: %s", strerror(-r));
		ifb_gadget_free(gadget);
		sd_event_unref(loop);
		return config_error ? IFB_EX_CONFIG : 1;
	}
	/*
	 * Descriptors are written: now the gadget may be bound, ours at once
	 * (or when a UDC appears), a board script's if nobody else binds it
	 * (udc-bind.h).
	 */
	if (!gadget) {
		const struct ifb_gadget_env env = { 0 };

		r = ifb_gadget_adopt(&gadget, cfg.functionfs, cfg.udc, &env, err, sizeof(err));
		if (r < 0)
			log_debug("Not binding a gadget: %s", err);
		else
			adopted = true;
	}
	if (gadget &&
	    ifb_udc_binder_new(&binder, loop, gadget, adopted ? ifb_gadget_dir(gadget) : cfg.gadget_name,
			       adopted) < 0) {
		ifb_bridge_free(bridge);
		ifb_gadget_free(gadget);
		sd_event_unref(loop);
		return 1;
	}
	reload.bridge = bridge;
	reload.path = path;
	if (sd_event_add_signal(loop, NULL, SIGTERM, on_signal, bridge) < 0 ||
	    sd_event_add_signal(loop, NULL, SIGINT, on_signal, bridge) < 0 ||
	    sd_event_add_signal(loop, NULL, SIGHUP, on_sighup, &reload) < 0) {
		log_error("Cannot watch SIGTERM/SIGINT/SIGHUP");
		ifb_udc_binder_free(binder);
		ifb_bridge_free(bridge);
		ifb_gadget_free(gadget);
		sd_event_unref(loop);
		return 1;
	}
	/* Pings WATCHDOG=1 at half of WatchdogSec= while the loop turns. */
	r = sd_event_set_watchdog(loop, true);
	if (r < 0)
		log_warning_errno(r, "Cannot enable the systemd watchdog");

	{
		char status[160];

		ifb_bridge_status(bridge, status, sizeof(status));
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	}
	r = sd_event_loop(loop);
	code = r < 0 ? 1 : r;
	if (r < 0)
		log_error_errno(r, "Event loop failed");
	/* FunctionFS files closed first: then it can be unmounted. */
	ifb_udc_binder_free(binder);
	ifb_bridge_free(bridge);
	ifb_gadget_free(gadget);
	sd_event_unref(loop);
	log_info("Stopped");
	return code;
}
