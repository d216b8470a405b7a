// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "daemon/log.h"

static int log_max = LOG_INFO;
static bool log_journal;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
	[LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* True when our stderr is the stream systemd connected to the journal. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void ifb_log_init(int max_level)
{
	log_max = max_level;
	log_journal = stderr_is_journal();
}

void ifb_log_set_level(int max_level)
{
	log_max = max_level;
}

int ifb_log_level_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (level_names[i] && strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static void vlog(int level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s%s\n", level, msg, suffix ? suffix : "");
	else
		fprintf(stderr, "iio-ffs-bridge: %s: %s%s\n", level_names[level], msg,
			suffix ? suffix : "");
}

void ifb_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

int ifb_log_errno(int level, int r, const char *fmt, ...)
{
	char suffix[128];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(r < 0 ? -r : r));
	va_start(ap, fmt);
	vlog(level, suffix, fmt, ap);
	va_end(ap);
	return r;
}
