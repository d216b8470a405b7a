// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-capture's shared state: options, the capture (struct cap), exit
 * codes and the few helpers every part uses. main.c parses options and
 * runs the capture on libifbhost; output.c writes the data and the SigMF
 * metadata; report.c prints --info, the live line and the summaries.
 */
#ifndef CAP_CAP_H
#define CAP_CAP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "capture/verify.h"
#include "capture/sigmf.h"
#include "ifbhost.h"

/* The release, from debian/changelog's first line (the Makefile passes it). */
#ifndef IFB_VERSION
#error "IFB_VERSION undefined: the Makefile passes it, read from debian/changelog"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_VERIFY = 1,
	EXIT_USAGE = 2,
	EXIT_NODEV = 3,
	EXIT_ACCESS = 4,
	EXIT_PROTO = 5,
	EXIT_GONE = 6,
	EXIT_USB = 7,
	EXIT_OUTPUT = 8,
};

#define BOUNCE_SIZE (1u << 20)
/* --stream: streams captured at once (a device serves at most 8) */
#define CAP_MAX_STREAMS 8
/* Transfers in flight shared by several --stream without --transfers. */
#define CAP_SHARED_TRANSFERS 12u
#define LIVE_PERIOD_S 1.0
#define POLL_MS 100

struct opts {
	const char *output;
	const char *sigmf;
	const char *author;
	double duration;
	uint64_t bytes, samples;
	bool verify, quiet, live, json, info_only, list_only;
	const char *streams[CAP_MAX_STREAMS]; /* --stream, in the order given */
	unsigned int nstreams;
	bool transfers_set, transfer_size_set;
	enum ifbh_iq iq; /* --iq: SigMF complex datatype */
	bool iq_set;     /* --iq given: the device's I/Q hint is not used */
	uint64_t rate_mhz; /* --rate, in milli-hertz; 0: not given */
	unsigned int transfers;
	uint64_t transfer_size;
	struct ifbh_match sel;
};

enum end_reason { END_NONE, END_LIMIT, END_SIGNAL, END_DEVICE, END_ERROR };

struct cap {
	struct opts o;
	struct ifbh_ctx *ctx;
	struct ifbh_dev *dev;
	struct ifbh_stream *s;
	struct ifbh_device_desc desc;
	struct ifbh_info info;
	char hw[512];
	char stream[IFBH_NAME_LEN]; /* --stream's name; "" without --stream */
	bool several; /* one of several streams captured at once: lines say which */
	char *out_name; /* o.output or o.sigmf made unique per stream, owned */

	/* output */
	int out_fd; /* -1: data discarded */
	bool out_stdout;
	char *data_path, *meta_path;
	bool data_failed; /* a data write failed: the file holds `written` bytes */
	bool meta_early;  /* the SigMF metadata was written at START */
	uint8_t *carry; /* partial scan not yet written */
	bool bounce;    /* write through bounce_buf (see emit()) */
	uint8_t *bounce_buf;
	size_t carry_len;
	uint64_t limit;   /* bytes to keep (whole scans), 0: no limit */
	uint64_t kept;    /* bytes taken from the stream (written or carried) */
	uint64_t written; /* bytes captured (whole scans), in the file if any */
	uint64_t received, discarded;
	/* --sigmf of a scan with a timestamp channel: the samples to out_fd
	 * (data_path), the timestamps to ts_fd (ts_data_path, its metadata
	 * ts_meta_path); written scans go out split through split_buf/ts_buf */
	struct cap_sigmf_split split;
	int ts_fd;
	char *ts_data_path, *ts_meta_path;
	uint8_t *split_buf, *ts_buf;

	/* state */
	bool started, running; /* START acknowledged; the stream not ended yet */
	enum end_reason reason;
	int fatal; /* exit code of the first fatal problem, 0 if none */
	char fatal_msg[512];
	int lib_error; /* the stream's error last seen */
	double t0, t_end;
	bool stuck; /* transfers still owned by libusb at exit */
	struct timespec start_wall;
	unsigned int host_errors;

	/*
	 * When each chunk of the stream arrived (SigMF: core:datetime of the
	 * segment after a gap, estimated from it).
	 */
	struct arrival {
		uint64_t end; /* stream offset just past the chunk */
		struct timespec t;
	} *arrivals;
	size_t narrivals, arrivals_cap;

	/* device statistics */
	struct cap_gaps gaps;      /* the stream's, as of the last cap_refresh_gaps */
	struct ifbh_gap *unlisted; /* gaps.unlisted's memory, unlisted_cap entries */
	size_t unlisted_cap;
	struct ifbh_stats stats;
	bool have_stats;

	bool verifying;
	struct cap_verify v;

	/* live line */
	bool live, live_tty;
	double live_t;
	uint64_t live_bytes;
	int live_width;
};

/* Read the stream's gaps into c->gaps (libifbhost's public API). 0, or
 * -ENOMEM: the listed gaps are read all the same, the unlisted ranges
 * left out. */
int cap_refresh_gaps(struct cap *c);

extern volatile sig_atomic_t cap_got_signals;

/* "iio-ffs-capture: " + the message + newline, on stderr. */
void cap_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The first fatal problem wins (a disconnect explains USB errors before it). */
void cap_set_fatal(struct cap *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The first end reason wins, except that a disconnect explains errors. */
void cap_set_reason(struct cap *c, enum end_reason r);
double cap_now(void);

/* A library error (negative errno) as the exit status iio-ffs-capture(1) lists. */
int cap_exit_code(int err);

/* select.c */
/* --list: every matching device's streams with their names, on stdout. An exit code. */
int cap_list_streams(struct ifbh_ctx *ctx, const struct opts *o);
/*
 * Opens the streams to capture into ret_devs[0..CAP_MAX_STREAMS): those
 * --stream names, in its order, or else the one stream that matches (a
 * terminal is asked which when several do). *ret_n gets how many are
 * open, also after a failure (the caller closes them). 0 or an exit
 * code, with the message printed.
 */
int cap_open_streams(struct ifbh_ctx *ctx, const struct opts *o, struct ifbh_dev **ret_devs,
		     size_t *ret_n);

/* output.c */
/* The layout of the SigMF data: the scan's, or its samples without the
 * timestamp channel (c->split). */
const struct ifbh_info *cap_sigmf_info(const struct cap *c);
void cap_keep(struct cap *c, const uint8_t *p, size_t len);
void cap_note_arrival(struct cap *c, uint64_t end);
int cap_open_output(struct cap *c);
/* Before START: a SigMF recording's metadata, written before any data so
 * that a recording cut short stays readable. 0, or -errno (the capture's
 * exit message, EXIT_OUTPUT). */
int cap_output_started(struct cap *c);
/* Nothing was captured: close and remove the files cap_open_output made. */
void cap_abandon_output(struct cap *c);
/*
 * The end: the data file cut back to whole samples after a write error
 * and closed, the SigMF metadata rewritten with the capture segments.
 * Every output that is incomplete is reported (the first failure is the
 * capture's exit message, EXIT_OUTPUT; later ones are printed at once).
 * 0 or the last -errno.
 */
int cap_close_output(struct cap *c);

/* report.c */
void cap_report_info(const struct cap *c, FILE *f);
void cap_report_live(struct cap *c, double now, bool final);
void cap_report_json(struct cap *c, FILE *f, double secs);
void cap_report_human(struct cap *c, double secs);
/* A time model's source: its JSON word ("fence", "read", "timestamp",
 * "none"), and what it is, in words, for the SigMF annotation. */
const char *cap_time_source_name(int source);
const char *cap_time_source_text(const struct ifbh_time_model *m);

#endif
