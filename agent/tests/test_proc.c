/* PID 1 mechanism on the host: the init phase's failure policy (signals
 * read without a signalfd still reap children), crash signals never
 * blocked, SIGHUP reaching the reload hook, one write(2) per log line.
 * Each case runs in a child process: proc_init changes the signal mask. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static int in_child(int (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* a child that exits is reaped by proc_sleep: 0 on success */
static int reaps(unsigned int flags)
{
	static char *const argv[] = { "/bin/true", NULL };
	struct spawn_opts o = { .argv = argv, .tty = NULL, .stdout_fd = -1 };
	int rc = proc_init(flags);
	pid_t pid;

	if ((flags & PROC_NO_SIGNALFD) ? rc != -ENOSYS : rc != 0) {
		return 10;
	}
	pid = proc_spawn(&o);
	if (pid < 0) {
		return 11;
	}
	proc_sleep(700);
	return waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : 12;
}

static int reaps_with_signalfd(void)
{
	return reaps(0);
}

static int reaps_without_signalfd(void)
{
	return reaps(PROC_NO_SIGNALFD);
}

static void test_reaping_with_and_without_signalfd(void **state)
{
	assert_int_equal(in_child(reaps_with_signalfd), 0);
	assert_int_equal(in_child(reaps_without_signalfd), 0);
}

static int crash_signals_unblocked(void)
{
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };
	sigset_t cur;
	size_t i;

	proc_init(0);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	for (i = 0; i < sizeof(crash) / sizeof(crash[0]); i++) {
		if (sigismember(&cur, crash[i])) {
			return 20 + (int)i;
		}
	}
	return sigismember(&cur, SIGTERM) && sigismember(&cur, SIGCHLD) && sigismember(&cur, SIGHUP) ? 0 : 30;
}

static void test_crash_signals_are_never_blocked(void **state)
{
	assert_int_equal(in_child(crash_signals_unblocked), 0);
}

static int reloaded;

static void on_reload(void)
{
	reloaded++;
}

static int hup_reaches_the_hook(void)
{
	proc_init(PROC_NO_SIGNALFD);
	proc_set_reload_hook(on_reload);
	kill(getpid(), SIGHUP);
	proc_sleep(300);
	return reloaded == 1 ? 0 : 40;
}

static void test_sighup_reloads(void **state)
{
	assert_int_equal(in_child(hup_reaches_the_hook), 0);
}

/* On a SOCK_SEQPACKET pair every write(2) is one message. */
static void test_one_write_per_log_line(void **state)
{
	char big[900], buf[2048];
	int sv[2], saved = dup(2);
	ssize_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	dup2(sv[0], 2);
	lb_log("a long line: %s", big);
	dup2(saved, 2);
	close(saved);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)strlen("lifeboat: a long line: ") + (ssize_t)sizeof(big) - 1 + 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1); /* nothing more: one write */
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaping_with_and_without_signalfd),
		cmocka_unit_test(test_crash_signals_are_never_blocked),
		cmocka_unit_test(test_sighup_reloads),
		cmocka_unit_test(test_one_write_per_log_line),
	};
	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
