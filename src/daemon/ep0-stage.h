/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The data and status stages of control requests, off the event loop.
 *
 * FunctionFS's ep0 has no asynchronous I/O (f_fs.c: ffs_ep0_write and
 * ffs_ep0_read queue the request and wait for its completion, O_NONBLOCK
 * or not): writing a reply (an IN data stage), reading a request's data
 * (OUT) or its status stage (a 0-byte read) blocks until the host takes
 * it. A host that gave up on its request (a crashed or suspended client,
 * a libusb timeout) never does: the call waits for the host's next SETUP,
 * or for ffs.c's stage timer (IFB_FFS_STAGE_TIMEOUT_MS). On the daemon's
 * one event loop that stopped every stream for as long.
 *
 * So one thread of its own does each such stage, with a clear hand-over:
 * the loop hands it the stage (the bytes of a reply, or how many bytes to
 * receive) and goes on moving blocks; the thread does the blocking call
 * (under the stage timer, whose SIGALRM only this thread takes) and says
 * so on an eventfd; the loop takes the result back. One stage at a time,
 * as FunctionFS has one pending setup at a time. The thread touches
 * nothing but this struct and the ep0 fd, and logs nothing.
 */
#ifndef IFB_EP0_STAGE_H
#define IFB_EP0_STAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/ffs.h"
#include "iio-ffs-bridge/protocol.h"

enum ifb_ep0_stage_op {
	IFB_EP0_REPLY,   /* IN data stage: write the bytes */
	IFB_EP0_RECEIVE, /* OUT data stage: read up to len bytes */
	IFB_EP0_ACK,     /* status stage of a request without data */
};

struct ifb_ep0_stage {
	struct ifb_ffs *ffs;
	int efd; /* eventfd: readable when a stage is done; the loop watches it */
	pthread_t thread; /* running while ffs is set */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	bool go;      /* handed to the thread, not done */
	bool pending; /* handed over, result not taken back */
	bool quit;
	enum ifb_ep0_stage_op op;
	size_t len;
	int result; /* bytes moved, or -errno (ffs.c's) */
	uint8_t buf[IFB_MAX_REPLY];
};

/* Start the thread for ffs's ep0. The calling thread blocks SIGALRM from
 * then on, so that the stage timer's signal interrupts the thread's call
 * and nothing else. 0 or -errno. */
int ifb_ep0_stage_init(struct ifb_ep0_stage *s, struct ifb_ffs *ffs);
/* Stop the thread: a stage in flight is interrupted (EINTR) first. Safe
 * on a stage that was never started. Before ep0 is closed. */
void ifb_ep0_stage_free(struct ifb_ep0_stage *s);

/* Hand a stage over: REPLY with data and len (copied, at most
 * IFB_MAX_REPLY), RECEIVE of up to len bytes, ACK. -EBUSY while one is
 * pending, -EINVAL for a length that does not fit. */
int ifb_ep0_stage_start(struct ifb_ep0_stage *s, enum ifb_ep0_stage_op op, const void *data,
			size_t len);
/* A stage handed over and not taken back? */
bool ifb_ep0_stage_pending(struct ifb_ep0_stage *s);
/* Take a finished stage back (after efd was readable): false when none is
 * finished; else *ret_result (bytes moved or -errno), *ret_op its op, and
 * for RECEIVE the bytes into buf (up to size). */
bool ifb_ep0_stage_finish(struct ifb_ep0_stage *s, enum ifb_ep0_stage_op *ret_op, int *ret_result,
			  void *buf, size_t size);
/* Wait up to timeout_ms for the stage in flight to be done (its thread's
 * call returned), without taking it back; with none in flight, just
 * wait. FunctionFS holds its mutex for the whole stage, and the
 * endpoint files' open only tries it (O_NONBLOCK): EAGAIN meanwhile. */
void ifb_ep0_stage_wait(struct ifb_ep0_stage *s, int timeout_ms);
/* A stage handed over whose call has returned, not taken back yet: ep0's
 * events may be read again (the transfer guard's read of a DISABLE that
 * came with the stage's end), though not acted on before it is taken
 * back. */
bool ifb_ep0_stage_done(struct ifb_ep0_stage *s);

#endif
