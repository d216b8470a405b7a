// SPDX-License-Identifier: GPL-2.0-or-later
/* The ep0 stage thread: see ep0-stage.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ep0-stage.h"
#include "daemon/util.h"

static void *stage_main(void *arg)
{
	struct ifb_ep0_stage *s = arg;
	sigset_t mask;

	/* This thread takes SIGALRM (the stage timer, ifb_ep0_stage_free's
	 * interruption) and nothing else, whatever its creator blocked. */
	sigfillset(&mask);
	sigdelset(&mask, SIGALRM);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);

	pthread_mutex_lock(&s->lock);
	for (;;) {
		enum ifb_ep0_stage_op op;
		uint64_t one = 1;
		int r;

		while (!s->go && !s->quit)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->quit)
			break;
		op = s->op;
		pthread_mutex_unlock(&s->lock);
		/* s->buf and s->len are the thread's until go is cleared */
		switch (op) {
		case IFB_EP0_REPLY:
			r = ifb_ffs_reply(s->ffs, s->buf, s->len);
			break;
		case IFB_EP0_RECEIVE:
			r = ifb_ffs_receive(s->ffs, s->buf, s->len);
			break;
		default:
			r = ifb_ffs_ack(s->ffs);
			break;
		}
		pthread_mutex_lock(&s->lock);
		s->result = r;
		s->go = false;
		/* an eventfd write of 1 cannot block or fail short of the
		 * counter's 2^64 - 2 */
		(void)!write(s->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int ifb_ep0_stage_init(struct ifb_ep0_stage *s, struct ifb_ffs *ffs)
{
	sigset_t alrm;
	int r;

	memset(s, 0, sizeof(*s));
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0)
		return neg_errno();
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	/* The thread opens SIGALRM for itself (stage_main); this thread
	 * blocks it, so the stage timer's process-directed signal goes to the
	 * thread alone. */
	r = -pthread_create(&s->thread, NULL, stage_main, s);
	if (r < 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		closep(&s->efd);
		return r;
	}
	s->ffs = ffs; /* before the thread's first stage, which go orders */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	return 0;
}

void ifb_ep0_stage_free(struct ifb_ep0_stage *s)
{
	struct timespec until;
	bool joined = false;

	if (!s->ffs) /* never started (a zeroed struct) */
		return;
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* A stage in flight ends at the stage timer anyway; interrupt it
	 * sooner (its SIGALRM handler does nothing, without SA_RESTART). A
	 * signal that lands before the call is entered is lost: send again. */
	for (int i = 0; i < 300; i++) {
		pthread_kill(s->thread, SIGALRM);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 10 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		joined = pthread_clockjoin_np(s->thread, NULL, CLOCK_MONOTONIC, &until) == 0;
		if (joined)
			break;
	}
	if (!joined)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	closep(&s->efd);
	s->ffs = NULL;
}

int ifb_ep0_stage_start(struct ifb_ep0_stage *s, enum ifb_ep0_stage_op op, const void *data,
			size_t len)
{
	if (len > sizeof(s->buf))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->pending) {
		pthread_mutex_unlock(&s->lock);
		return -EBUSY;
	}
	s->op = op;
	s->len = op == IFB_EP0_ACK ? 0 : len;
	if (op == IFB_EP0_REPLY && len)
		memcpy(s->buf, data, len);
	s->result = 0;
	s->pending = s->go = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

bool ifb_ep0_stage_pending(struct ifb_ep0_stage *s)
{
	bool pending;

	pthread_mutex_lock(&s->lock);
	pending = s->pending;
	pthread_mutex_unlock(&s->lock);
	return pending;
}

bool ifb_ep0_stage_finish(struct ifb_ep0_stage *s, enum ifb_ep0_stage_op *ret_op, int *ret_result,
			  void *buf, size_t size)
{
	uint64_t n;
	int r;

	(void)!read(s->efd, &n, sizeof(n)); /* clear it; the flags below decide */
	pthread_mutex_lock(&s->lock);
	if (!s->pending || s->go) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	r = s->result;
	*ret_op = s->op;
	*ret_result = r;
	if (s->op == IFB_EP0_RECEIVE && r > 0 && buf)
		memcpy(buf, s->buf, (size_t)r < size ? (size_t)r : size);
	s->pending = false;
	pthread_mutex_unlock(&s->lock);
	return true;
}

void ifb_ep0_stage_wait(struct ifb_ep0_stage *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->efd, .events = POLLIN };
	bool in_flight = false;

	if (s->ffs) {
		pthread_mutex_lock(&s->lock);
		in_flight = s->go;
		pthread_mutex_unlock(&s->lock);
	}
	/* the eventfd is only looked at, not read: the loop takes it */
	(void)poll(in_flight ? &p : NULL, in_flight ? 1 : 0, timeout_ms);
}

bool ifb_ep0_stage_done(struct ifb_ep0_stage *s)
{
	bool done;

	if (!s->ffs)
		return false;
	pthread_mutex_lock(&s->lock);
	done = s->pending && !s->go;
	pthread_mutex_unlock(&s->lock);
	return done;
}
