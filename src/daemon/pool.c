// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pool: s->nblocks blocks of s->cfg.block_size bytes each, DMABUFs
 * from the allocator (zero-copy; hybrid maps them too) or page-aligned user
 * buffers (copy). The
 * pool outlives streams: blocks are attached for a stream and detached at
 * its end, but only freed at exit, on a reload that resizes the pool, or
 * when auto mode switches to copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "daemon/bridge-int.h"
#include "daemon/log.h"
#include "daemon/util.h"

void ifb_pool_free(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];

		k->src = sd_event_source_disable_unref(k->src);
		closep(&k->sync_fd);
		if (k->map_len)
			(void)munmap(k->mem, k->map_len);
		else
			free(k->mem);
		k->mem = NULL;
		k->map_len = 0;
		closep(&k->fd);
	}
}

/* Hybrid: the CPU writes what read() returns straight into each DMABUF. */
static int pool_map(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];
		void *p;

		if (k->map_len)
			continue;
		p = mmap(NULL, s->cfg.block_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, 0);
		if (p == MAP_FAILED)
			return log_error_errno(neg_errno(), "%sCannot map DMABUF %u of %u (%u bytes) from %s", s->logp,
					       i + 1, s->nblocks, s->cfg.block_size, s->alloc.name);
		k->mem = p;
		k->map_len = s->cfg.block_size;
	}
	return 0;
}

int ifb_pool_alloc_dmabufs(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		struct ifb_block *k = &s->blk[i];
		int r;

		k->fd = ifb_dmabuf_new(&s->alloc, s->cfg.block_size);
		if (k->fd < 0) {
			r = k->fd;
			k->fd = -1;
			return log_error_errno(r, "%sCannot allocate DMABUF %u of %u (%u bytes) from %s", s->logp,
					       i + 1, s->nblocks, s->cfg.block_size, s->alloc.name);
		}
		r = sd_event_add_io(s->b->loop, &k->src, k->fd, EPOLLIN, ifb_zc_on_dmabuf, s);
		if (r < 0)
			return log_error_errno(r, "%sCannot watch DMABUF %u", s->logp, i);
		sd_event_source_set_enabled(k->src, SD_EVENT_OFF);
	}
	return s->mode == IFB_MODE_HYBRID ? pool_map(s) : 0;
}

int ifb_pool_alloc_buffers(struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++) {
		int r = posix_memalign(&s->blk[i].mem, 4096, s->cfg.block_size);

		if (r) {
			s->blk[i].mem = NULL;
			return log_error_errno(-r, "%sCannot allocate buffer %u of %u (%u bytes)", s->logp, i + 1,
					       s->nblocks, s->cfg.block_size);
		}
	}
	return 0;
}

/*
 * Auto mode found zero-copy impossible: switch the pool to user buffers.
 * All or nothing: the buffers are allocated before any DMABUF is freed, so
 * a failure leaves the zero-copy pool (and mode) exactly as it was, and
 * the next stream tries again; never a pool with blocks missing.
 */
int ifb_pool_switch_to_copy(struct ifb_stream *s)
{
	void *mem[IFB_ENGINE_MAX_BLOCKS] = { NULL };

	for (unsigned i = 0; i < s->nblocks; i++) {
		int r = posix_memalign(&mem[i], 4096, s->cfg.block_size);

		if (r) {
			mem[i] = NULL;
			for (unsigned j = 0; j < i; j++)
				free(mem[j]);
			return log_error_errno(-r, "%sCannot switch to copy mode: buffer %u of %u (%u bytes)", s->logp,
					       i + 1, s->nblocks, s->cfg.block_size);
		}
	}
	ifb_pool_free(s);
	ifb_allocator_close(&s->alloc);
	for (unsigned i = 0; i < s->nblocks; i++)
		s->blk[i].mem = mem[i];
	s->mode = IFB_MODE_COPY;
	s->desc.mode = IFB_MODE_COPY;
	return 0;
}

bool ifb_pool_complete(const struct ifb_stream *s)
{
	for (unsigned i = 0; i < s->nblocks; i++)
		if (s->mode == IFB_MODE_COPY ? !s->blk[i].mem :
		    s->blk[i].fd < 0 || (s->mode == IFB_MODE_HYBRID && !s->blk[i].map_len))
			return false;
	return s->nblocks > 0;
}

/* Auto mode found the IIO buffer without DMABUF support but USB with it:
 * the same DMABUFs, now also mapped for read(). */
int ifb_pool_switch_to_hybrid(struct ifb_stream *s)
{
	int r = pool_map(s);

	if (r < 0)
		return r; /* still zero-copy's pool: extra mappings do no harm */
	s->mode = IFB_MODE_HYBRID;
	s->desc.mode = IFB_MODE_HYBRID;
	return 0;
}
