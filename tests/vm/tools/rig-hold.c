// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rig-hold: send a process a signal, then hold it (ptrace) at the first
 * timer wake-up that comes at least MS milliseconds after it handled the
 * signal, run a command while it is held, and let it go.
 *
 *   rig-hold PID SIGNAL MS CMD [ARG...]
 *
 * Built for sd-event daemons: the signal arrives through a signalfd, its
 * handler arms a timer (a grace period), and every timer of a clock shares
 * one timerfd. "After it handled the signal" is the daemon's first
 * epoll_wait after the read() of its signalfd: the handler has returned.
 * The MS are counted from the return of the epoll_wait that woke the loop
 * for the signal: sd-event takes its loop-iteration timestamp right after
 * that return, and a relative timer armed by a handler counts from that
 * timestamp (sd_event_now), not from the moment the handler ran. Counted
 * from anything later (the signalfd read, the next epoll_wait), a grace
 * that fired on the dot could come before MS were up and be let pass, and
 * the hold then landed on some later wake-up (the daemon's status timer),
 * after the grace had already run. The hold is at the entry of the read() of the timerfd,
 * which sd-event makes right after epoll_wait said the timer is due and
 * before it dispatches anything of that wake-up: what CMD changes (an
 * unbind, a host going away) happens after the loop chose what to do
 * next, and before it does it. That is the window a race would need
 * luck to hit, made certain.
 *
 * Prints one line per step. Exit 0 when CMD ran (whatever its status, which
 * is printed) and the process was let go, 1 on failure (the process exited
 * first, ptrace refused), 2 usage.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "rig-common.h"

#include <linux/ptrace.h>

/* What an fd of the traced process is ("anon_inode:[timerfd]", ...). */
static bool fd_is(pid_t pid, uint64_t fd, const char *what)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%llu", (int)pid, (unsigned long long)fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, what) == 0;
}

/* arm64 (and every newer architecture) has no epoll_wait: libc calls
 * epoll_pwait. */
static bool is_epoll_wait(uint64_t nr)
{
	return nr == SYS_epoll_pwait
#ifdef SYS_epoll_wait
	       || nr == SYS_epoll_wait
#endif
#ifdef SYS_epoll_pwait2
	       || nr == SYS_epoll_pwait2
#endif
		;
}

int main(int argc, char **argv)
{
	enum { WAIT_SIGNAL, WAIT_HANDLED, WAIT_TIMER } phase = WAIT_SIGNAL;
	struct ptrace_syscall_info info;
	bool sig_read = false; /* a read() of the signalfd is in progress */
	double t0, t_sig = 0, t_woke = 0; /* t_woke: the last epoll_wait return */
	uint64_t entry_nr = (uint64_t)-1; /* the syscall whose exit comes next */
	pid_t pid, child;
	int sig, status;
	long ms;

	if (argc < 5) {
		fprintf(stderr, "usage: %s PID SIGNAL MS CMD [ARG...]\n", argv[0]);
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	sig = atoi(argv[2]);
	ms = atol(argv[3]);
	if (pid <= 0 || sig <= 0 || ms < 0) {
		fprintf(stderr, "%s: bad PID, SIGNAL (a number) or MS\n", argv[0]);
		return 2;
	}

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0)
		rig_die("PTRACE_SEIZE %d: %s", (int)pid, strerror(errno));
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
		rig_die("PTRACE_INTERRUPT: %s", strerror(errno));
	if (waitpid(pid, &status, 0) < 0)
		rig_die("waitpid: %s", strerror(errno));
	if (kill(pid, sig) < 0)
		rig_die("kill %d: %s", (int)pid, strerror(errno));
	t0 = rig_now();
	printf("rig-hold: attached to %d, sent signal %d\n", (int)pid, sig);
	fflush(stdout);

	for (int inject = 0;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, inject) < 0)
			rig_die("PTRACE_SYSCALL: %s", strerror(errno));
		inject = 0;
		if (waitpid(pid, &status, 0) < 0)
			rig_die("waitpid: %s", strerror(errno));
		if (WIFEXITED(status) || WIFSIGNALED(status))
			rig_die("rig-hold: %d ended before the hold (%s %d)", (int)pid,
				WIFEXITED(status) ? "exit" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* A signal for the process: pass it on (not a ptrace event). */
			if (status >> 16 == 0)
				inject = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) < 0)
			rig_die("PTRACE_GET_SYSCALL_INFO: %s", strerror(errno));
		if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
			/* Seen before the tracee runs on, so never later than
			 * the timestamp sd-event takes after the return. (The
			 * epoll_wait the tracee was interrupted in ends with
			 * EINTR before the first stop, unseen; sd-event calls
			 * it again, and that call's entry and exit are seen.
			 * The entry_nr == -1 case is a fallback only.) */
			if (phase == WAIT_SIGNAL && info.exit.rval > 0 &&
			    (is_epoll_wait(entry_nr) || entry_nr == (uint64_t)-1))
				t_woke = rig_now();
			if (phase == WAIT_SIGNAL && sig_read && info.exit.rval > 0) {
				t_sig = t_woke > 0 ? t_woke : rig_now();
				printf("rig-hold: signal read from its signalfd after %.3f s\n",
				       rig_now() - t0);
				phase = WAIT_HANDLED;
			}
			sig_read = false;
			continue;
		}
		if (info.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		entry_nr = info.entry.nr;
		switch (phase) {
		case WAIT_SIGNAL:
			sig_read = info.entry.nr == SYS_read &&
				   fd_is(pid, info.entry.args[0], "anon_inode:[signalfd]");
			break;
		case WAIT_HANDLED:
			/* Back in epoll_wait: the handler has returned. */
			if (is_epoll_wait(info.entry.nr))
				phase = WAIT_TIMER;
			break;
		case WAIT_TIMER:
			if (info.entry.nr == SYS_read && rig_now() >= t_sig + (double)ms / 1000 &&
			    fd_is(pid, info.entry.args[0], "anon_inode:[timerfd]"))
				goto hold;
			break;
		}
	}
hold:
	printf("rig-hold: held at a timer wake-up %.3f s after the signal was read; running %s\n",
	       rig_now() - t_sig, argv[4]);
	fflush(stdout);
	child = fork();
	if (child < 0)
		rig_die("fork: %s", strerror(errno));
	if (child == 0) {
		execvp(argv[4], argv + 4);
		rig_die("exec %s: %s", argv[4], strerror(errno));
	}
	if (waitpid(child, &status, 0) < 0)
		rig_die("waitpid %s: %s", argv[4], strerror(errno));
	printf("rig-hold: %s exited %d; letting %d go\n", argv[4],
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), (int)pid);
	fflush(stdout);
	if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		rig_die("PTRACE_DETACH: %s", strerror(errno));
	return 0;
}
