// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-play: play samples to an output stream (protocol version 5) of
 * an iio-ffs-bridge device. main.c runs the play on libifbhost's writer;
 * args.c parses the options; pattern.c makes the counter pattern. The
 * pure parts (options, pattern) are unit-tested.
 */
#ifndef PLAY_PLAY_H
#define PLAY_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ifbhost.h"

#ifndef IFB_VERSION
#error "IFB_VERSION undefined: the Makefile passes it, read from debian/changelog"
#endif

/* Exit codes: iio-ffs-capture's where they mean the same (iio-ffs-play(1)). */
enum play_exit {
	PLAY_EXIT_OK = 0,
	PLAY_EXIT_UNDERFLOW = 1, /* --strict: the DAC ran dry */
	PLAY_EXIT_USAGE = 2,
	PLAY_EXIT_NODEV = 3,
	PLAY_EXIT_ACCESS = 4,
	PLAY_EXIT_PROTO = 5,
	PLAY_EXIT_GONE = 6,
	PLAY_EXIT_USB = 7,
	PLAY_EXIT_INPUT = 8,
	PLAY_EXIT_LATE = 9, /* --at: the device could not start the burst then; nothing played */
};

enum play_source { PLAY_SRC_NONE, PLAY_SRC_FILE, PLAY_SRC_PATTERN };

struct play_opts {
	enum play_source src;
	const char *file;   /* "-": standard input */
	uint64_t bytes;     /* --bytes; 0: no limit */
	uint64_t repeat;    /* --repeat: plays of the file; 0: until interrupted */
	const char *stream; /* --stream; NULL: the only or first output stream */
	bool list_only, quiet, live, json, strict;
	bool cyclic;        /* --cyclic: one waveform, repeated by the DAC */
	double duration;    /* --duration: seconds a cyclic waveform plays; 0: until interrupted */
	/* --at: the first sample leaves the DAC at a board time: at_rel seconds
	 * after the board's clock when the stream starts (--at +S), or board
	 * CLOCK_MONOTONIC at_ns (--at NS); both 0: at once */
	double at_rel;
	uint64_t at_ns;
	unsigned int transfers;
	uint64_t transfer_size;
	struct ifbh_match sel;
};

/* What play_parse_args() found. */
enum play_args {
	PLAY_ARGS_RUN = 0,   /* play (or list) with the options */
	PLAY_ARGS_DONE = 1,  /* --help or --version was printed: exit 0 */
	PLAY_ARGS_USAGE = 2, /* a usage error, its message in err */
};

/*
 * Parses argv into o (zeroed first; defaults: repeat 1). Prints --help
 * and --version to out. Reentrant for tests (resets getopt).
 */
enum play_args play_parse_args(int argc, char **argv, struct play_opts *o, FILE *out, char *err,
			       size_t errlen);
void play_usage(FILE *f);

/*
 * The counter pattern, the simulated converters' contract (the ADC's in
 * tests/vm/modules/iio-sim-adc.c, the DAC's the same): scan n holds, in
 * each enabled channel of scan index K, (n >> 16K) & 0xffff; with the two
 * channels voltage0 and voltage1 the stream is the consecutive
 * little-endian u32 values 0, 1, 2, ... Every channel must be 16 bits
 * stored in 16, repeat 1, scan index 0 to 3. Returns 0, or -EINVAL with
 * the reason in err.
 */
int play_counter_check(const struct ifbh_info *info, char *err, size_t errlen);
/* nscans scans of the pattern from scan first into buf (nscans * scan_size bytes). */
void play_counter_fill(const struct ifbh_info *info, uint8_t *buf, size_t nscans,
		       uint64_t first);

/*
 * A SigMF recording as FILE (sigmf-in.c). Does file name one (ends in
 * .sigmf-data, .sigmf-meta or .sigmf)? Then its data and meta paths.
 */
bool play_sigmf_paths(const char *file, char *data, size_t datalen, char *meta, size_t metalen);
/* The meta file's core:datatype and core:sample_rate (Hz, 0: absent).
 * 0, or -EINVAL with the file, line and what was expected in err. */
int play_sigmf_read_meta(const char *path, char *datatype, size_t dtlen, double *rate, char *err,
			 size_t errlen);
/* Does datatype describe the stream's scans (real channels, or I/Q pairs
 * of any pairing iio-ffs-capture records)? 0, or -EINVAL with why. */
int play_sigmf_check(const struct ifbh_info *info, const char *datatype, char *err, size_t errlen);

#endif
