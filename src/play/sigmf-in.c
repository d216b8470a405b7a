// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iio-ffs-play: a SigMF recording as input (play.h). The metadata is
 * JSON, read with jansson; only the global object's core:datatype (which
 * must describe the stream's scans, as iio-ffs-capture writes it for
 * them: real channels, or the pairs of any I/Q pairing) and
 * core:sample_rate (compared with the stream's, a warning) are used. The
 * data file is played as raw scans: SigMF's interleaved samples are the
 * scan layout when the datatype matches.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "capture/sigmf.h"
#include "play/play.h"

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

bool play_sigmf_paths(const char *file, char *data, size_t datalen, char *meta, size_t metalen)
{
	static const char *const tails[] = { ".sigmf-data", ".sigmf-meta", ".sigmf" };

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		int base;

		if (!ends_with(file, tails[i]))
			continue;
		base = (int)(strlen(file) - strlen(tails[i]));
		return (size_t)snprintf(data, datalen, "%.*s.sigmf-data", base, file) < datalen &&
		       (size_t)snprintf(meta, metalen, "%.*s.sigmf-meta", base, file) < metalen;
	}
	return false;
}

int play_sigmf_read_meta(const char *path, char *datatype, size_t dtlen, double *rate, char *err,
			 size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	json_t *global, *dt, *sr;
	int r = 0;

	*rate = 0;
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	global = json_object_get(root, "global");
	dt = global ? json_object_get(global, "core:datatype") : NULL;
	sr = global ? json_object_get(global, "core:sample_rate") : NULL;
	if (!json_is_object(global) || !json_is_string(dt)) {
		snprintf(err, errlen, "%s: expected a SigMF global object with core:datatype", path);
		r = -EINVAL;
	} else if (strlen(json_string_value(dt)) >= dtlen) {
		snprintf(err, errlen, "%s: core:datatype \"%.32s...\" is no SigMF datatype", path,
			 json_string_value(dt));
		r = -EINVAL;
	} else if (sr && (!json_is_number(sr) || !(json_number_value(sr) > 0))) {
		snprintf(err, errlen, "%s: core:sample_rate: expected a number > 0", path);
		r = -EINVAL;
	} else {
		snprintf(datatype, dtlen, "%s", json_string_value(dt));
		*rate = sr ? json_number_value(sr) : 0;
	}
	json_decref(root);
	return r;
}

int play_sigmf_check(const struct ifbh_info *info, const char *datatype, char *err, size_t errlen)
{
	static const enum ifbh_iq ways[] = { IFBH_IQ_NONE, IFBH_IQ_DEVICE, IFBH_IQ_BY_NAME,
					      IFBH_IQ_ADJACENT };
	char dt[CAP_SIGMF_DATATYPE_LEN], real[CAP_SIGMF_DATATYPE_LEN] = "";
	char why[256];
	unsigned int nchan;

	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		if (cap_sigmf_datatype_iq(info, ways[i], dt, sizeof(dt), &nchan, why, sizeof(why)))
			continue;
		if (ways[i] == IFBH_IQ_NONE)
			snprintf(real, sizeof(real), "%s", dt);
		if (!strcmp(dt, datatype))
			return 0;
	}
	snprintf(err, errlen,
		 "the recording's datatype %s does not describe the stream's %u-byte scans "
		 "(%s%s)",
		 datatype, info->scan_size, real[0] ? "they are " : "no SigMF datatype does",
		 real[0] ? real : "");
	return -EINVAL;
}
