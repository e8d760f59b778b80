#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/phase.h"
#include "core/json.h"
#include "core/view.h"
#include "lifeboatctl/ssh.h"

/* Waits (bounded, saying each new phase) until the host reported
 * ssh-ready; its reported address in addr. 0, or 1 with the reason. */
static int wait_ssh_ready(const struct backend *be, const char *mac, long long deadline_s, char addr[64])
{
	char shown[40] = "", err[700] = "";
	long long end = (long long)time(NULL) + deadline_s;

	for (;;) {
		struct schema_skipped sk = { .count = 0 };
		json_object *h = be->host(mac, &sk, err, sizeof(err));
		const char *phase = h ? jstr(h, "phase") : "";

		if (h != NULL && strcmp(phase, shown) != 0) {
			fprintf(stderr, "lifeboatctl: %s: %s\n", mac, phase[0] ? phase : "no report yet");
			snprintf(shown, sizeof(shown), "%s", phase);
		}
		if (h != NULL && lb_phase_ssh_up(phase)) {
			view_first_address(h, addr, 64);
			json_object_put(h);
			return 0;
		}
		json_object_put(h);
		if ((long long)time(NULL) >= end) {
			fprintf(stderr, "lifeboatctl: %s did not report ssh-ready within %lld s (last: %s)%s%s\n", mac,
				deadline_s, shown[0] ? shown : "nothing", h ? "" : "; ", h ? "" : err);
			return 1;
		}
		sleep(2);
	}
}

/* --via HOST[:PORT] or [IPv6]:PORT: where ssh connects (a jump, a port
 * forward); a bare IPv6 address has no port. */
static void split_host_port(const char *s, char *host, size_t hostlen, char port[8])
{
	char *end = NULL;

	snprintf(host, hostlen, "%s", s);
	snprintf(port, 8, "22");
	if (host[0] == '[' && (end = strchr(host, ']')) != NULL) {
		if (end[1] == ':') {
			snprintf(port, 8, "%s", end + 2);
		}
		*end = '\0';
		memmove(host, host + 1, strlen(host));
	} else if (strchr(host, ':') != NULL && strchr(host, ':') == strrchr(host, ':')) {
		snprintf(port, 8, "%s", strchr(host, ':') + 1);
		*strchr(host, ':') = '\0';
	}
}

/* A private known_hosts file with text: 0 with its path in path. */
static int write_known_hosts(const char *text, char path[32])
{
	int fd;

	snprintf(path, 32, "/tmp/lifeboat-known-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "lifeboatctl: cannot write a known_hosts file: %s\n", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return -1;
	}
	close(fd);
	return 0;
}

static int run_ssh(char **argv)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		execvp("ssh", argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	return pid < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int ssh_into(const struct backend *be, const char *mac, const struct ssh_target *t)
{
	char addr[64] = "", host[300], name[320], port[8], err[700], kh[32], khopt[64], *text = NULL, *argv[48];
	int i, n = 0, rc;

	if (wait_ssh_ready(be, mac, t->deadline, addr) != 0) {
		return 1;
	}
	split_host_port(t->via ? t->via : addr, host, sizeof(host), port);
	if (host[0] == '\0') {
		fprintf(stderr, "lifeboatctl: %s reported no address: give --via HOST[:PORT]\n", mac);
		return 1;
	}
	if (strcmp(port, "22") == 0) {
		snprintf(name, sizeof(name), "%s", host);
	} else {
		snprintf(name, sizeof(name), "[%s]:%s", host, port);
	}
	text = be->known_hosts(mac, name, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "lifeboatctl: no verified host key for %s: %s\n", mac, err);
		return 1;
	}
	rc = write_known_hosts(text, kh);
	free(text);
	if (rc < 0) {
		return 1;
	}
	snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s", kh);
	argv[n++] = "ssh";
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=yes";
	argv[n++] = "-o";
	argv[n++] = khopt;
	argv[n++] = "-p";
	argv[n++] = port;
	if (t->identity != NULL) {
		argv[n++] = "-i";
		argv[n++] = (char *)t->identity;
	}
	snprintf(name, sizeof(name), "root@%s", host);
	argv[n++] = name;
	for (i = 0; i < t->ncommand && n < (int)(sizeof(argv) / sizeof(argv[0])) - 1; i++) {
		argv[n++] = t->command[i];
	}
	argv[n] = NULL;
	fprintf(stderr, "lifeboatctl: ssh %s with the host keys %s reported (StrictHostKeyChecking=yes)\n", name, mac);
	rc = run_ssh(argv);
	unlink(kh);
	return rc;
}
