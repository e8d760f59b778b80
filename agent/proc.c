#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "clock.h"

#define MAX_SERVICES 16
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000 /* a service up this long gets its backoff reset */

struct service {
	const char *name;
	char *const *argv;
	const char *tty;
	pid_t pid;
	unsigned int backoff_ms;
	uint64_t started_ms;
	uint64_t next_start_ms; /* 0: not scheduled */
};

/* Synchronous crash signals: never blocked (a blocked fault kills the
 * process outright, and for PID 1 that is a kernel panic). */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };

static struct {
	int sfd;
	int blocked;           /* the signals below are blocked */
	sigset_t wait_set;     /* every signal but the crash signals */
	sigset_t saved_mask;
	void (*reload_hook)(void);
	struct service services[MAX_SERVICES];
	size_t nservices;
	void (*shutdown_hook)(const char *what);
	int shutting_down;
} proc = {
	.sfd = -1,
};

/* PID 1 crashed: it can no longer supervise, but its children (dropbear,
 * shells) can go on if it does not exit, which would panic the kernel. So
 * it says so in one write and stays, reaping orphans. Async-signal-safe. */
static void on_crash(int sig)
{
	static const char msg[] = "lifeboat: PID 1 crashed: services are no longer restarted; "
				  "SSH and the shells that run go on\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing else to try */
	}
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0) {
		}
		sleep(1);
	}
}

static void crash_handlers(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_ONSTACK; /* a stack overflow is a crash too */
	sigfillset(&sa.sa_mask);
	sigaltstack(&ss, NULL);
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
		sigaction(crash_signals[i], &sa, NULL);
	}
}

int proc_init(unsigned int flags)
{
	size_t i;
	int rc = 0;

	sigfillset(&proc.wait_set);
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
		sigdelset(&proc.wait_set, crash_signals[i]);
	}
	if (getpid() == 1) {
		crash_handlers();
		/* Ctrl-Alt-Del arrives as SIGINT instead of an immediate reboot. */
		reboot(RB_DISABLE_CAD);
	}
	if (sigprocmask(SIG_BLOCK, &proc.wait_set, &proc.saved_mask) < 0) {
		return -errno; /* proc_sleep reaps on a timer; no signal is read */
	}
	proc.blocked = 1;
	proc.sfd = (flags & PROC_NO_SIGNALFD) ? -1 : signalfd(-1, &proc.wait_set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (proc.sfd < 0) {
		rc = (flags & PROC_NO_SIGNALFD) ? -ENOSYS : -errno; /* proc_sleep uses sigtimedwait */
	}
	return rc;
}

void proc_set_reload_hook(void (*hook)(void))
{
	proc.reload_hook = hook;
}

static void child_setup_tty(const char *tty)
{
	int fd;

	setsid();
	fd = open(tty, O_RDWR | O_NOCTTY);
	if (fd < 0) {
		_exit(127);
	}
	ioctl(fd, TIOCSCTTY, 1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2) {
		close(fd);
	}
}

pid_t proc_spawn(const struct spawn_opts *o)
{
	pid_t pid = fork();

	if (pid != 0) {
		return pid < 0 ? -errno : pid;
	}
	/* child: default dispositions, the mask init had before blocking */
	sigprocmask(SIG_SETMASK, &proc.saved_mask, NULL);
	if (o->tty != NULL) {
		child_setup_tty(o->tty);
	} else {
		setsid();
		if (o->stdout_fd >= 0) {
			dup2(o->stdout_fd, 1);
		}
	}
	execv(o->argv[0], o->argv);
	_exit(127);
}

int proc_run(char *const *argv, char *out, size_t outlen, unsigned int timeout_ms)
{
	int pfd[2];
	struct spawn_opts o = { .argv = argv, .tty = NULL, .stdout_fd = -1 };
	uint64_t deadline = lb_mono_ms() + timeout_ms;
	size_t used = 0;
	pid_t pid;
	int status = 0, rc = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		return -errno;
	}
	o.stdout_fd = pfd[1];
	pid = proc_spawn(&o);
	close(pfd[1]);
	if (pid < 0) {
		rc = (int)pid;
		goto err_spawn;
	}
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = lb_mono_ms();
		char discard[256];
		ssize_t n;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			rc = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) <= 0) {
			continue;
		}
		if (used + 1 < outlen) {
			n = read(pfd[0], out + used, outlen - used - 1);
		} else {
			n = read(pfd[0], discard, sizeof(discard));
		}
		if (n <= 0) {
			break;
		}
		if (used + 1 < outlen) {
			used += (size_t)n;
		}
	}
	if (outlen > 0) {
		out[used] = '\0';
	}
	/* EOF: the child is gone or about to be; bounded by the kill above */
	if (waitpid(pid, &status, 0) == pid && rc == 0) {
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
err_spawn:
	close(pfd[0]);
	return rc;
}

static void service_start(struct service *s)
{
	struct spawn_opts o = { .argv = s->argv, .tty = s->tty, .stdout_fd = -1 };
	pid_t pid = proc_spawn(&o);

	s->next_start_ms = 0;
	if (pid < 0) {
		lb_log("cannot start %s: %s", s->name, strerror((int)-pid));
		s->next_start_ms = lb_mono_ms() + s->backoff_ms;
		return;
	}
	s->pid = pid;
	s->started_ms = lb_mono_ms();
}

int proc_service_add(const char *name, char *const *argv, const char *tty)
{
	struct service *s = NULL;

	if (proc.nservices == MAX_SERVICES) {
		return -ENOSPC;
	}
	s = &proc.services[proc.nservices];
	*s = (struct service){
		.name = name,
		.argv = argv,
		.tty = tty,
		.pid = 0,
		.backoff_ms = BACKOFF_MIN_MS,
	};
	service_start(s);
	return (int)proc.nservices++;
}

static void service_exited(struct service *s, int status)
{
	uint64_t now = lb_mono_ms();

	if (now - s->started_ms >= STABLE_MS) {
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	if (WIFSIGNALED(status)) {
		lb_log("%s (pid %d) killed by signal %d; restarting in %u s", s->name,
		       (int)s->pid, WTERMSIG(status), s->backoff_ms / 1000);
	} else {
		lb_log("%s (pid %d) exited with status %d; restarting in %u s", s->name,
		       (int)s->pid, WEXITSTATUS(status), s->backoff_ms / 1000);
	}
	s->pid = 0;
	s->next_start_ms = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void reap_children(void)
{
	int status;
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < proc.nservices; i++) {
			if (proc.services[i].pid == pid) {
				service_exited(&proc.services[i], status);
			}
		}
	}
}

static void services_start_due(void)
{
	uint64_t now = lb_mono_ms();
	size_t i;

	for (i = 0; i < proc.nservices; i++) {
		struct service *s = &proc.services[i];

		if (s->pid == 0 && s->next_start_ms != 0 && now >= s->next_start_ms) {
			service_start(s);
		}
	}
}

int proc_service_signal(int id, int sig)
{
	if (id < 0 || (size_t)id >= proc.nservices || proc.services[id].pid <= 0) {
		return -ESRCH;
	}
	return kill(proc.services[id].pid, sig) < 0 ? -errno : 0;
}

void proc_set_shutdown_hook(void (*hook)(const char *what))
{
	proc.shutdown_hook = hook;
}

/* Unmounts in reverse mount order; a busy mount is made read-only. */
static void unmount_all(void)
{
	char targets[64][256], line[1024];
	FILE *f = fopen("/proc/mounts", "re");
	int n = 0, i;

	if (f == NULL) {
		return;
	}
	while (n < 64 && fgets(line, sizeof(line), f) != NULL) {
		char dev[256], target[256];

		if (sscanf(line, "%255s %255s", dev, target) == 2 && strcmp(target, "/") != 0) {
			memcpy(targets[n++], target, sizeof(target));
		}
	}
	fclose(f);
	for (i = n - 1; i >= 0; i--) {
		if (umount2(targets[i], 0) == 0) {
			continue;
		}
		if (mount(NULL, targets[i], NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0) {
			lb_log("%s is busy: remounted read-only", targets[i]);
		}
	}
}

void proc_shutdown(int how, const char *what)
{
	size_t i;

	lb_log("%s: stopping services", what);
	for (i = 0; i < proc.nservices; i++) {
		proc.services[i].next_start_ms = 0;
		if (proc.services[i].pid > 0) {
			kill(proc.services[i].pid, SIGTERM);
		}
	}
	kill(-1, SIGTERM);
	sleep(1);
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	sync();
	unmount_all();
	sync();
	lb_log("%s now", what);
	reboot(how);
	/* PID 1 must not return even if reboot() failed */
	for (;;) {
		pause();
	}
}

static void shutdown_system(int how, const char *what)
{
	if (proc.shutting_down++) {
		return; /* a second signal while the hook runs */
	}
	if (proc.shutdown_hook != NULL) {
		proc.shutdown_hook(what);
	}
	proc_shutdown(how, what);
}

static void handle_signal(int signo)
{
	switch (signo) {
	case SIGCHLD:
		reap_children();
		break;
	case SIGTERM:
	case SIGINT:
		shutdown_system(RB_AUTOBOOT, "reboot");
		break;
	case SIGUSR2:
		shutdown_system(RB_POWER_OFF, "power off");
		break;
	case SIGUSR1:
		shutdown_system(RB_HALT_SYSTEM, "halt");
		break;
	case SIGHUP:
		if (proc.reload_hook != NULL) {
			proc.reload_hook();
		}
		break;
	default:
		break;
	}
}

/* Waits at most ms for signals and handles them: from the signalfd, or
 * (the fallback) with sigtimedwait, or, with nothing blocked, just sleeps
 * at most a second so reaping still happens. */
static void wait_signals(uint64_t ms)
{
	struct signalfd_siginfo si;
	struct timespec ts;
	int sig;

	if (proc.sfd >= 0) {
		struct pollfd p = { .fd = proc.sfd, .events = POLLIN };

		if (poll(&p, 1, (int)ms) > 0) {
			while (read(proc.sfd, &si, sizeof(si)) == sizeof(si)) {
				handle_signal((int)si.ssi_signo);
			}
		}
		return;
	}
	if (!proc.blocked && ms > 1000) {
		ms = 1000;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!proc.blocked) {
		nanosleep(&ts, NULL);
		return;
	}
	sig = sigtimedwait(&proc.wait_set, NULL, &ts);
	if (sig > 0) {
		handle_signal(sig);
	}
}

void proc_sleep(unsigned int ms)
{
	uint64_t deadline = lb_mono_ms() + ms;

	for (;;) {
		uint64_t now = lb_mono_ms(), wake = deadline;
		size_t i;

		for (i = 0; i < proc.nservices; i++) {
			uint64_t t = proc.services[i].next_start_ms;

			if (t != 0 && t < wake) {
				wake = t;
			}
		}
		wait_signals(wake > now ? wake - now : 0);
		/* a SIGCHLD may have been merged with another signal */
		reap_children();
		services_start_due();
		if (lb_mono_ms() >= deadline) {
			return;
		}
	}
}
