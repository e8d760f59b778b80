/* The ipmi driver: Debian's ipmitool, IPMI 2.0 over LAN (lanplus), run
 * bounded, the password in its environment (-E), its words for the
 * failures an admin can act on mapped to errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "power/drivers.h"

/* Runs argv with IPMI_PASSWORD in its environment; its output (stdout and
 * stderr) into out. The exit status, or -ETIMEDOUT / -errno. */
int ipmi_run(char *const argv[], const char *password, char *out, size_t outlen)
{
	int pipefd[2], status = 0;
	size_t used = 0;
	long long deadline = ((long long)lb_mono_ms()) + POWER_TIMEOUT_MS;
	char pw[160], path[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	char *envp[] = { pw, path, NULL };
	pid_t pid;

	/* made before fork: the child of a threaded process only execs */
	snprintf(pw, sizeof(pw), "IPMI_PASSWORD=%s", password);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		int rc = -errno;

		explicit_bzero(pw, sizeof(pw));
		return rc;
	}
	pid = fork();
	if (pid < 0) {
		int rc = -errno;

		explicit_bzero(pw, sizeof(pw));
		close(pipefd[0]);
		close(pipefd[1]);
		return rc;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close_range(3, ~0U, 0); /* nothing of lifeboatd's, nor a console's terminal */
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	explicit_bzero(pw, sizeof(pw)); /* the child has its copy */
	out[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		long long left = deadline - ((long long)lb_mono_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(pipefd[0]);
			return -ETIMEDOUT;
		}
		n = read(pipefd[0], out + used, outlen - 1 - used);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			break;
		}
		used += (size_t)n;
		out[used] = '\0';
		if (used == outlen - 1) {
			used = 0; /* keep the end: the error is in the last lines */
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ipmitool -v's words for the failures an admin can act on */
static const struct {
	const char *says;
	int rc;
	const char *means;
} ipmi_failures[] = {
	{ "Get Auth Capabilities error", -EHOSTUNREACH, "no answer from the BMC (unreachable, or IPMI over LAN is off)" },
	{ "RAKP 2 HMAC is invalid", -EACCES, "the BMC refused the password" },
	{ "unauthorized name", -EACCES, "the BMC does not know that user" },
	{ "Insufficient privilege", -EACCES, "that BMC user may not control power (needs operator or admin)" },
	{ "Unable to establish IPMI v2", -EACCES, "the BMC refused the session (credentials, or no IPMI 2.0)" },
};

size_t ipmi_argv(const struct bmc *b, char port[8], char cipher[4], char **argv)
{
	size_t n = 0;

	snprintf(port, 8, "%u", b->port);
	snprintf(cipher, 4, "%u", b->cipher);
	argv[n++] = "ipmitool";
	argv[n++] = "-I";
	argv[n++] = "lanplus";
	argv[n++] = "-H";
	argv[n++] = (char *)b->address;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-U";
	argv[n++] = (char *)b->user;
	argv[n++] = "-E";
	if (b->cipher != 0) {
		argv[n++] = "-C";
		argv[n++] = cipher;
	}
	argv[n] = NULL;
	return n;
}

int ipmi_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen)
{
	static const char *const cmd[][3] = {
		[POWER_STATUS] = { "chassis", "power", "status" }, [POWER_ON] = { "chassis", "power", "on" },
		[POWER_OFF] = { "chassis", "power", "off" },       [POWER_CYCLE] = { "chassis", "power", "cycle" },
		[POWER_BOOT_PXE] = { "chassis", "bootdev", "pxe" }, [POWER_BOOT_CD] = { "chassis", "bootdev", "cdrom" },
	};
	char port[8], cipher[4], out[8192], *last = NULL, *argv[24];
	size_t i, n = ipmi_argv(b, port, cipher, argv);
	int rc;

	argv[n++] = "-v";
	argv[n++] = "-N";
	argv[n++] = "2";
	argv[n++] = "-R";
	argv[n++] = "3";
	for (i = 0; i < 3; i++) {
		argv[n++] = (char *)cmd[op][i];
	}
	argv[n] = NULL;
	rc = ipmi_run(argv, b->password, out, sizeof(out));
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen, "%s:%u: no answer from the BMC within %d s (ipmitool)", b->address, b->port,
			 POWER_TIMEOUT_MS / 1000);
		return -EHOSTUNREACH;
	}
	if (rc < 0 || rc == 127) {
		snprintf(err, errlen, "cannot run ipmitool: %s", rc < 0 ? strerror(-rc) : "not installed?");
		return -EIO;
	}
	if (rc == 0) {
		if (op == POWER_STATUS) {
			snprintf(state, 8, "%s", strstr(out, "Chassis Power is on") ? "on" :
						 strstr(out, "Chassis Power is off") ? "off" : "?");
		}
		return 0;
	}
	for (i = 0; i < sizeof(ipmi_failures) / sizeof(ipmi_failures[0]); i++) {
		if (strstr(out, ipmi_failures[i].says) != NULL) {
			snprintf(err, errlen, "%s:%u: %s", b->address, b->port, ipmi_failures[i].means);
			return ipmi_failures[i].rc;
		}
	}
	/* the last non-empty line of what it said */
	for (i = strlen(out); i > 0 && (out[i - 1] == '\n' || out[i - 1] == ' '); i--) {
		out[i - 1] = '\0';
	}
	last = strrchr(out, '\n');
	snprintf(err, errlen, "%s:%u refused %s %s: %s", b->address, b->port, cmd[op][1], cmd[op][2],
		 last ? last + 1 : out);
	return -EIO;
}

