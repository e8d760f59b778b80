#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/bmc.h"
#include "core/hostdoc.h"
#include "common/clock.h"

#define POWER_TIMEOUT_MS 30000

static int is_driver(const char *s)
{
	return strcmp(s, "ipmi") == 0;
}

/* a host name or an IPv4 address: letters, digits, '.', '-' */
static int is_host(const char *s)
{
	return s[0] != '\0' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == strlen(s);
}

static int is_printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
			return 0;
		}
	}
	return 1;
}

const struct schema_field bmc_members[] = {
	{ "driver", SK_STRING, 0, 1, 15, is_driver, "ipmi", NULL, NULL },
	{ "address", SK_STRING, SF_REQUIRED, 1, 253, is_host, "a host name or IPv4 address", NULL, NULL },
	{ "port", SK_INT, 0, 1, 65535, NULL, NULL, NULL, NULL },
	{ "user", SK_STRING, SF_REQUIRED, 0, 16, is_printable, "printable ASCII", NULL, NULL },
	{ "password", SK_STRING, SF_REQUIRED, 0, 20, is_printable, "printable ASCII", NULL, NULL },
	{ NULL, SK_STRING, 0, 0, 0, NULL, NULL, NULL, NULL },
};

int bmc_from_json(json_object *o, struct bmc *b, char *err, size_t errlen)
{
	const char *driver = jstr(o, "driver");

	memset(b, 0, sizeof(*b));
	snprintf(b->driver, sizeof(b->driver), "%s", driver[0] ? driver : "ipmi");
	snprintf(b->address, sizeof(b->address), "%s", jstr(o, "address"));
	snprintf(b->user, sizeof(b->user), "%s", jstr(o, "user"));
	snprintf(b->password, sizeof(b->password), "%s", jstr(o, "password"));
	b->port = jget(o, "port") ? (unsigned int)jint(o, "port") : 623;
	if (!is_host(b->address) || !is_driver(b->driver)) {
		snprintf(err, errlen, "a BMC needs an address and the driver ipmi");
		return -EINVAL;
	}
	return 0;
}

json_object *bmc_public(const struct bmc *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "driver", json_object_new_string(b->driver));
	json_object_object_add(o, "address", json_object_new_string(b->address));
	json_object_object_add(o, "port", json_object_new_int((int)b->port));
	json_object_object_add(o, "user", json_object_new_string(b->user));
	return o;
}

int bmc_save(struct store *st, const char *mac, const struct bmc *b, char *err, size_t errlen)
{
	json_object *o = bmc_public(b);
	const char *p[2] = { mac, NULL };
	char why[300];
	int rc;

	json_object_object_add(o, "password", json_object_new_string(b->password));
	p[1] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_exec(&st->db, "INSERT INTO bmc (mac, doc) VALUES ($1, $2) ON CONFLICT (mac) DO UPDATE SET "
			      "doc = excluded.doc", 2, p, NULL, NULL, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "cannot store the BMC of %s: %s", mac, why);
	}
	json_object_put(o);
	return rc < 0 ? rc : 0;
}

int bmc_load(struct store *st, const char *mac, struct bmc *b, char *err, size_t errlen)
{
	const char *p[1] = { mac };
	struct db_text_copy f = { .text = NULL };
	char why[300];
	json_object *raw = NULL, *clean = NULL;
	int rc = db_exec(&st->db, "SELECT doc FROM bmc WHERE mac = $1", 1, p, db_copy_text, &f, why, sizeof(why));

	if (rc < 0 || f.rows == 0) {
		free(f.text);
		snprintf(err, errlen, rc < 0 ? "cannot read the BMC of %s: %s" : "%s has no BMC (lifeboatctl bmc %s --address ...)",
			 mac, rc < 0 ? why : mac);
		return rc < 0 ? rc : -ENOENT;
	}
	raw = json_tokener_parse(f.text);
	free(f.text);
	snprintf(why, sizeof(why), "not JSON");
	clean = raw != NULL ? schema_strict(raw, bmc_members, why, sizeof(why)) : NULL;
	json_object_put(raw);
	if (clean == NULL) {
		snprintf(err, errlen, "the stored BMC of %s is damaged: %s", mac, why);
		return -EIO;
	}
	rc = bmc_from_json(clean, b, err, errlen);
	json_object_put(clean);
	return rc;
}

int power_op_from_name(const char *name)
{
	static const char *const names[] = { "status", "on", "off", "cycle" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* ---- the ipmi driver: Debian's ipmitool -------------------------------- */

/* Runs argv with IPMI_PASSWORD in its environment; its output (stdout and
 * stderr) into out. The exit status, or -ETIMEDOUT / -errno. */
static int run_bounded(char *const argv[], const char *password, char *out, size_t outlen)
{
	int pipefd[2], status = 0;
	size_t used = 0;
	long long deadline = ((long long)lb_mono_ms()) + POWER_TIMEOUT_MS;
	char pw[64], path[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	char *envp[] = { pw, path, NULL };
	pid_t pid;

	/* made before fork: the child of a threaded process only execs */
	snprintf(pw, sizeof(pw), "IPMI_PASSWORD=%s", password);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvpe(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
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

static int ipmi_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen)
{
	static const char *const cmd[][3] = {
		[POWER_STATUS] = { "chassis", "power", "status" }, [POWER_ON] = { "chassis", "power", "on" },
		[POWER_OFF] = { "chassis", "power", "off" },       [POWER_CYCLE] = { "chassis", "power", "cycle" },
		[POWER_BOOT_PXE] = { "chassis", "bootdev", "pxe" },
	};
	char port[8], out[8192], *last = NULL;
	char *argv[] = { "ipmitool", "-v", "-I", "lanplus", "-H", (char *)b->address, "-p", port, "-U", (char *)b->user,
			 "-E", "-N", "2", "-R", "3", (char *)cmd[op][0], (char *)cmd[op][1], (char *)cmd[op][2], NULL };
	size_t i;
	int rc;

	snprintf(port, sizeof(port), "%u", b->port);
	rc = run_bounded(argv, b->password, out, sizeof(out));
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen, "ipmitool got no answer from %s:%u within %d s", b->address, b->port,
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

static const struct {
	const char *name;
	int (*power)(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen);
} drivers[] = {
	{ "ipmi", ipmi_power },
};

int bmc_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen)
{
	size_t i;

	state[0] = '\0';
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(b->driver, drivers[i].name) == 0) {
			return drivers[i].power(b, op, state, err, errlen);
		}
	}
	snprintf(err, errlen, "no power driver %s", b->driver);
	return -EINVAL;
}
