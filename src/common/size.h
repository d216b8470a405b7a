/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the daemon (config) and the host tool (options). */
#ifndef IFB_SIZE_H
#define IFB_SIZE_H

#include <stdint.h>

/*
 * A byte count in decimal with an optional binary suffix: K, M, G or T
 * (any case), optionally followed by "iB" or "B"; a bare "B" is allowed.
 * 0 on success, -EINVAL for anything else, -ERANGE if it does not fit.
 */
int ifb_parse_size(const char *s, uint64_t *ret);

#endif
