// SPDX-License-Identifier: LGPL-2.1-or-later
/* libifbhost: the context (a libusb context and its error message). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/internal.h"

int ifbh_fail(char *buf, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, IFBH_ERR_LEN, fmt, ap);
	va_end(ap);
	return ret;
}

void ifbh_log(const struct ifbh_ctx *ctx, enum ifbh_log_level level, const char *fmt, ...)
{
	char line[IFBH_ERR_LEN];
	va_list ap;

	if (!ctx->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_user, level, line);
}

int ifbh_errno_from_usb(int e)
{
	switch (e) {
	case LIBUSB_SUCCESS:
		return 0;
	case LIBUSB_ERROR_ACCESS:
		return -EACCES;
	case LIBUSB_ERROR_NO_DEVICE:
		return -ENODEV;
	case LIBUSB_ERROR_NOT_FOUND:
		return -ENOENT;
	case LIBUSB_ERROR_BUSY:
		return -EBUSY;
	case LIBUSB_ERROR_TIMEOUT:
		return -ETIMEDOUT;
	case LIBUSB_ERROR_OVERFLOW:
		return -EOVERFLOW;
	case LIBUSB_ERROR_PIPE:
		return -EPIPE;
	case LIBUSB_ERROR_INTERRUPTED:
		return -EINTR;
	case LIBUSB_ERROR_NO_MEM:
		return -ENOMEM;
	case LIBUSB_ERROR_INVALID_PARAM:
		return -EINVAL;
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

double ifbh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ifbh_ctx_new(struct ifbh_ctx **ret_ctx)
{
	struct ifbh_ctx *ctx = calloc(1, sizeof(*ctx));
	int ret;

	if (!ctx)
		return -ENOMEM;
	ret = libusb_init(&ctx->usb);
	if (ret) {
		free(ctx);
		return ifbh_errno_from_usb(ret);
	}
	*ret_ctx = ctx;
	return 0;
}

void ifbh_ctx_free(struct ifbh_ctx *ctx)
{
	if (!ctx)
		return;
	libusb_exit(ctx->usb);
	free(ctx);
}

const char *ifbh_ctx_error(const struct ifbh_ctx *ctx)
{
	return ctx->err;
}

void ifbh_ctx_set_log(struct ifbh_ctx *ctx, ifbh_log_fn fn, void *user)
{
	ctx->log = fn;
	ctx->log_user = user;
}
