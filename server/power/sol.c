/* A host's serial console over IPMI Serial-over-LAN: ipmitool's "sol
 * activate" under a pseudo-terminal (ipmitool wants a terminal), after a
 * "sol deactivate" (a session left open by anyone else would refuse
 * ours). The caller reads the terminal and reaps the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "power/drivers.h"
#include "power/power.h"

int bmc_sol_open(const struct bmc *b, pid_t *pid, int *fd, char *err, size_t errlen)
{
	char port[8], cipher[4], out[2048], pw[160], path[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	char *argv[24], *envp[] = { pw, path, NULL };
	struct termios raw;
	size_t n;
	int master = -1, rc;

	if (strcmp(b->driver, "ipmi") != 0) {
		snprintf(err, errlen, "cannot open the serial console of %s: only IPMI has Serial-over-LAN here",
			 b->address);
		return -EOPNOTSUPP;
	}
	n = ipmi_argv(b, port, cipher, argv);
	argv[n] = "sol";
	argv[n + 1] = "deactivate";
	argv[n + 2] = NULL;
	rc = ipmi_run(argv, b->password, out, sizeof(out)); /* "already de-activated" is fine */
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen, "cannot open the serial console of %s:%u: no answer from the BMC", b->address, b->port);
		return -EHOSTUNREACH;
	}
	argv[n + 1] = "activate";
	/* made before fork: the child of a threaded process only execs */
	snprintf(pw, sizeof(pw), "IPMI_PASSWORD=%s", b->password);
	cfmakeraw(&raw);
	*pid = forkpty(&master, NULL, &raw, NULL);
	if (*pid < 0) {
		rc = -errno;
		explicit_bzero(pw, sizeof(pw));
		snprintf(err, errlen, "cannot start ipmitool under a terminal: %s", strerror(-rc));
		return rc;
	}
	if (*pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close_range(3, ~0U, 0); /* nothing of lifeboatd's, nor another console's terminal */
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
	explicit_bzero(pw, sizeof(pw));
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	*fd = master;
	return 0;
}

void bmc_sol_close(pid_t pid, int fd)
{
	if (fd >= 0) {
		close(fd);
	}
	if (pid > 0) {
		int i;

		kill(pid, SIGTERM);
		for (i = 0; i < 20 && waitpid(pid, NULL, WNOHANG) == 0; i++) {
			usleep(10 * 1000);
		}
		if (i == 20) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
}
