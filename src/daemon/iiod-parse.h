/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IIOD text protocol's command lines (libiio 0.24 iiod/lexer.l and
 * iiod/parser.y; docs/protocol.md "The IIOD interface"), parsed into a
 * struct without touching anything else. Pure: the host's bytes in, a
 * command or -EINVAL out. Every word is checked for length and characters
 * here; whether a device, channel or attribute exists is the caller's
 * business (iiod-xml.h).
 */
#ifndef IFB_IIOD_PARSE_H
#define IFB_IIOD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command line accepted, "\r\n" included. The client builds every
 * command in a 1024-byte buffer (iiod-client.c), so nothing longer is a
 * libiio command. */
#define IFB_IIOD_MAX_LINE 1024
/* Longest device, channel, attribute or trigger name. */
#define IFB_IIOD_MAX_WORD 255
/* Largest number accepted where the protocol has one (bytes, samples,
 * milliseconds, buffer counts). */
#define IFB_IIOD_MAX_NUMBER UINT32_MAX

enum ifb_iiod_op {
	IFB_IIOD_EMPTY,     /* an empty line: iiod answers nothing */
	IFB_IIOD_VERSION,
	IFB_IIOD_PRINT,
	IFB_IIOD_ZPRINT,
	IFB_IIOD_HELP,
	IFB_IIOD_EXIT,      /* EXIT or QUIT */
	IFB_IIOD_TIMEOUT,   /* number: milliseconds */
	IFB_IIOD_OPEN,      /* dev, number: samples, mask, cyclic */
	IFB_IIOD_CLOSE,     /* dev */
	IFB_IIOD_READBUF,   /* dev, number: bytes */
	IFB_IIOD_WRITEBUF,  /* dev, number: bytes */
	IFB_IIOD_READ,      /* dev, kind, chn, attr (NULL: all) */
	IFB_IIOD_WRITE,     /* dev, kind, chn, attr (NULL: all), number: bytes */
	IFB_IIOD_GETTRIG,   /* dev */
	IFB_IIOD_SETTRIG,   /* dev, trigger (NULL: none) */
	IFB_IIOD_SET_BUFFERS_COUNT, /* dev, number */
};

/* Which attribute a READ/WRITE names. */
enum ifb_iiod_attr_kind {
	IFB_IIOD_ATTR_DEVICE,
	IFB_IIOD_ATTR_INPUT,   /* channel attribute, input channel chn */
	IFB_IIOD_ATTR_OUTPUT,  /* channel attribute, output channel chn */
	IFB_IIOD_ATTR_DEBUG,
	IFB_IIOD_ATTR_BUFFER,
};

struct ifb_iiod_cmd {
	enum ifb_iiod_op op;
	enum ifb_iiod_attr_kind kind;
	/* NUL-terminated words inside the caller's line buffer (the parser
	 * splits it in place); NULL when the command has none. */
	const char *dev, *chn, *attr, *mask, *trigger;
	uint64_t number;
	bool cyclic;
};

/*
 * Parse one command line: line[0..len), with or without its "\n" or
 * "\r\n". The buffer must have room for len + 1 bytes; it is modified
 * (words are cut out in place, a NUL written at the end) and must stay
 * alive as long as the command is used. A NUL inside the line is an error. Words: 1 to
 * IFB_IIOD_MAX_WORD characters of [A-Za-z0-9_.:,-] (what libiio's lexer
 * calls WORD, so never a '/'); numbers: decimal digits only, at most
 * IFB_IIOD_MAX_NUMBER; a mask: a multiple of 8 hex digits. Keywords are
 * all upper or all lower case, as libiio's lexer wants.
 * Returns 0, or -EINVAL for anything else (iiod answers that with "-22"),
 * -E2BIG when len > IFB_IIOD_MAX_LINE.
 */
int ifb_iiod_parse(char *line, size_t len, struct ifb_iiod_cmd *ret_cmd);

/*
 * Decode an OPEN mask (8 hex digits per 32-bit word, most significant word
 * first, iiod/ops.c get_mask) into words[0..nwords), words[0] holding
 * channels 0-31. The mask must have exactly nwords * 8 digits.
 * Returns 0 or -EINVAL.
 */
int ifb_iiod_mask_decode(const char *mask, uint32_t *words, size_t nwords);

/* Encode words[0..nwords) as the READBUF mask line ("%08x" per word, most
 * significant first, then "\n") into buf. Returns the length or -ENOSPC. */
int ifb_iiod_mask_encode(const uint32_t *words, size_t nwords, char *buf, size_t size);

#endif
