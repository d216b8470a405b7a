/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging: to the journal with priorities when stderr is connected to it
 * (systemd sets JOURNAL_STREAM), plain "iio-ffs-bridge: level: msg" on
 * stderr otherwise. Only the layer that decides logs; library-like code
 * returns -errno.
 */
#ifndef IFB_LOG_H
#define IFB_LOG_H

#include <syslog.h>

#include "daemon/util.h"

void ifb_log_init(int max_level);
void ifb_log_set_level(int max_level);
int ifb_log_level_from_string(const char *s);
void ifb_log(int level, const char *fmt, ...) _printf_(2, 3);

/* Log with the text of error r (negative errno) appended; returns r. */
int ifb_log_errno(int level, int r, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) ifb_log(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) ifb_log(LOG_INFO, __VA_ARGS__)
#define log_notice(...) ifb_log(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) ifb_log(LOG_WARNING, __VA_ARGS__)
#define log_error(...) ifb_log(LOG_ERR, __VA_ARGS__)
#define log_error_errno(r, ...) ifb_log_errno(LOG_ERR, r, __VA_ARGS__)
#define log_warning_errno(r, ...) ifb_log_errno(LOG_WARNING, r, __VA_ARGS__)

#endif
