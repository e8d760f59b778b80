/* lifeboatctl: the admin's command line for lifeboatd.
 *   lifeboatctl [--state-dir DIR | --config FILE] COMMAND ...
 *       on the boot server: through lifeboatd's control socket when it
 *       runs (one write path: the control API), else on the state
 *       directory under the store's lock, with the same code (hostops.c)
 *   lifeboatctl --server URL COMMAND ...: the control API from anywhere
 * One table of commands (below). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/addr.h"
#include "store/admin.h"
#include "store/bmc.h"
#include "core/conf.h"
#include "lifeboatctl/remote.h"
#include "store/events.h"
#include "store/hostops.h"
#include "store/import.h"
#include "store/localsock.h"
#include "core/query.h"
#include "core/schema.h"
#include "core/session.h"
#include "core/report.h"
#include "store/store.h"
#include "core/view.h"

static struct store store;
static struct conf conf;

struct cmd {
	const char *name;
	const char *args;   /* for usage */
	const char *help;
	int min, max;       /* arguments after the command */
	int needs_store;
	int remote;         /* works with --server (through the control API) */
	int (*run)(int argc, char **argv);
};

static const struct cmd *find_cmd(const char *name);

/* --server URL: the commands go to lifeboatd's control API */
static struct apiclient remote;
static int remote_mode;
static int usage(FILE *f);

/* A host argument: a MAC, or an alias, serial or UUID found on the boot
 * server (through the API with --server). -EINVAL / -ENOENT, said. */
static int need_mac(const char *s, char mac[18])
{
	char err[700];
	json_object *h = NULL;
	int rc;

	if (s != NULL && parse_mac(s, mac) == 0) {
		return 0;
	}
	if (s == NULL || s[0] == '\0' || (strchr(s, ':') != NULL && strspn(s, "0123456789abcdefABCDEF:") == strlen(s))) {
		fprintf(stderr, "lifeboatctl: cannot use '%s': not a MAC address aa:bb:cc:dd:ee:ff\n", s ? s : "");
		return -EINVAL;
	}
	if (remote_mode) {
		h = remote_host(&remote, s, err, sizeof(err));
		rc = h != NULL && parse_mac(jstr(h, "mac"), mac) == 0 ? 0 : -ENOENT;
		json_object_put(h);
	} else {
		rc = hostops_resolve(&store, s, mac, err, sizeof(err));
	}
	if (rc < 0) {
		fprintf(stderr, "lifeboatctl: cannot find host '%s': %s\n", s, err);
	}
	return rc;
}

/* Says what a change of the state failed on; 1 for main. */
static int failed(const char *err)
{
	fprintf(stderr, "lifeboatctl: %s\n", err);
	return 1;
}

/* The first line of a file holding a secret (a BMC password). */
static int read_secret(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char buf[256] = "";

	if (f == NULL) {
		fprintf(stderr, "lifeboatctl: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) >= len) {
		fprintf(stderr, "lifeboatctl: the password in %s is longer than %zu bytes (IPMI 2.0)\n", path, len - 1);
		return -1;
	}
	snprintf(out, len, "%s", buf);
	memset(buf, 0, sizeof(buf));
	return 0;
}

/* Adds the key lines of path (authorized_keys format: blank lines and
 * comments skipped; options before the type are not accepted) to keys.
 * 0, or -1 with the file and line named. */
static int read_key_file(const char *path, json_object *keys)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int no = 0, rc = 0;

	if (f == NULL) {
		fprintf(stderr, "lifeboatctl: cannot read --key %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		no++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
			line[--len] = '\0';
		}
		if (len == 0 || line[0] == '#') {
			continue;
		}
		if (!schema_pubkey(line) || json_object_array_length(keys) >= 16) {
			fprintf(stderr, "lifeboatctl: cannot use --key %s:%d: %s\n", path, no,
				json_object_array_length(keys) >= 16 ? "more than 16 keys" :
								       "not an OpenSSH public key line (type base64 comment)");
			rc = -1;
			break;
		}
		json_object_array_add(keys, json_object_new_string(line));
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmd_rescue(int argc, char **argv)
{
	struct host_change a = { .policy = "rescue", .nat = -1, .seconds = conf.session_timeout, .by = "lifeboatctl" };
	json_object *keys = json_object_new_array();
	char mac[18], err[700], *end = NULL;
	int i, rc = 2, for_given = 0;

	if (need_mac(argv[0], mac) < 0) {
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			a.policy = "rescue-once";
		} else if (strcmp(argv[i], "--nat") == 0) {
			a.nat = 1;
		} else if (strcmp(argv[i], "--keys-only") == 0) {
			a.keys_only = 1;
		} else if (strcmp(argv[i], "--reset") == 0) {
			a.reset = 1;
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			if (read_key_file(argv[++i], keys) < 0) {
				goto out;
			}
		} else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc) {
			a.seconds = strtoll(argv[++i], &end, 10);
			for_given = 1;
			if (*end != '\0' || a.seconds < 1 || a.seconds > 31 * 86400) {
				fprintf(stderr, "lifeboatctl: cannot use --for '%s': seconds from 1 to 2678400\n", argv[i]);
				goto out;
			}
		} else {
			rc = usage(stderr);
			goto out;
		}
	}
	if (a.keys_only && json_object_array_length(keys) == 0) {
		fprintf(stderr, "lifeboatctl: cannot use --keys-only without --key FILE\n");
		goto out;
	}
	a.keys = keys;
	if (remote_mode) {
		a.seconds = for_given ? a.seconds : 0; /* 0: the server's session_timeout */
		rc = remote_set_policy(&remote, mac, &a);
		goto out;
	}
	if (hostops_set_policy(&store, mac, &a, (long long)time(NULL), err, sizeof(err)) < 0) {
		rc = failed(err);
		goto out;
	}
	printf("%s: policy %s%s, session armed for %llds: the next boot request from a matching address claims it\n",
	       mac, a.policy, a.nat == 1 ? " (nat: no source-address check)" : "", a.seconds);
	rc = 0;
	if (a.reset) {
		if (hostops_power_into_rescue(&store, mac, "lifeboatctl", err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: the session is armed, but the power cycle failed: %s\n", err);
			rc = 1;
		} else {
			printf("%s: power cycled through its BMC into the rescue\n", mac);
		}
	}
out:
	json_object_put(keys);
	return rc;
}

static int cmd_normal(int argc, char **argv)
{
	struct host_change a = { .policy = "normal", .nat = -1, .by = "lifeboatctl" };
	char mac[18], err[700];
	int rc;

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_set_policy(&remote, mac, &a);
	}
	rc = hostops_set_policy(&store, mac, &a, (long long)time(NULL), err, sizeof(err));
	if (rc < 0) {
		return failed(err);
	}
	printf("%s: policy normal (its session, if any, has ended)\n", mac);
	return 0;
}

static void list_one(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	(void)ctx;
	view_list_line(h, mac, sk, (long long)time(NULL), stdout);
}

static int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (remote_mode) {
		return remote_list(&remote);
	}
	view_list_header(stdout);
	return store_each(&store, list_one, NULL) < 0 ? 1 : 0;
}

/* A host as readers see it; what could not be read is named on stderr. */
static json_object *load_host(const char *mac)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = store_load(&store, mac, &sk), *seen = NULL, *clean = NULL;

	if (sk.count > 0) {
		fprintf(stderr, "lifeboatctl: %s: skipped from the stored host: %s\n", mac, sk.text);
	}
	if (h == NULL) {
		fprintf(stderr, "lifeboatctl: cannot find host %s%s\n", mac, sk.count ? " (unreadable)" : "");
		return NULL;
	}
	seen = store_seen_get(&store, mac);
	if (seen != NULL) {
		json_object *wrap = json_object_new_object(), *cw = NULL;

		json_object_object_add(wrap, "mac", json_object_new_string(mac));
		json_object_object_add(wrap, "last_boot", json_object_get(seen));
		cw = hostdoc_clean(wrap, NULL);
		clean = jget(cw, "last_boot");
		if (clean != NULL) {
			json_object_object_add(h, "last_request", json_object_get(clean));
		}
		json_object_put(cw);
		json_object_put(wrap);
	}
	json_object_put(seen);
	return h;
}

static int cmd_show(int argc, char **argv)
{
	json_object *h = NULL;
	char mac[18];

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_show(&remote, mac);
	}
	h = load_host(mac);
	if (h == NULL) {
		return 1;
	}
	jdel(jget(h, "session"), "token_sha256");
	printf("%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(h);
	return 0;
}

static int cmd_known_hosts(int argc, char **argv)
{
	json_object *h = NULL;
	char mac[18], err[600];
	const char *name = NULL;
	int rc;

	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (argc == 3 && strcmp(argv[1], "--host") == 0) {
		name = argv[2];
	} else if (argc != 1) {
		return usage(stderr);
	}
	if (remote_mode) {
		return remote_known_hosts(&remote, mac, name);
	}
	h = load_host(mac);
	if (h == NULL) {
		return 1;
	}
	rc = view_known_hosts(h, name, (long long)time(NULL), stdout, err, sizeof(err));
	json_object_put(h);
	if (rc < 0) {
		fprintf(stderr, "lifeboatctl: cannot write known_hosts for %s: %s\n", mac, err);
		return 1;
	}
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	char mac[18], token[LB_TOKEN_LEN + 1], err[700];
	int rc;

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_token(&remote, mac);
	}
	if (store_new_token(token) < 0) {
		fprintf(stderr, "lifeboatctl: cannot make a token: no randomness\n");
		return 1;
	}
	rc = hostops_manual_token(&store, mac, token, conf.session_timeout, "lifeboatctl", (long long)time(NULL), err,
				  sizeof(err));
	if (rc < 0) {
		return failed(err);
	}
	printf("%s\n", token);
	return 0;
}

static int cmd_events(int argc, char **argv)
{
	json_object *ev = NULL;
	char mac[18];

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_events(&remote, mac);
	}
	ev = events_read(&store, mac, 1000);
	view_events(ev, stdout);
	json_object_put(ev);
	return 0;
}

/* The same checks lifeboatd makes (bmc_members), before anything is sent. */
static int check_bmc(const struct bmc *b)
{
	json_object *o = bmc_public(b), *clean = NULL;
	char err[300];

	json_object_object_add(o, "password", json_object_new_string(b->password));
	clean = schema_strict(o, bmc_members, err, sizeof(err));
	json_object_put(o);
	if (clean == NULL) {
		fprintf(stderr, "lifeboatctl: cannot use that BMC: %s\n", err);
		return -EINVAL;
	}
	json_object_put(clean);
	return 0;
}

static int cmd_bmc(int argc, char **argv)
{
	struct bmc b = { .driver = "ipmi", .port = 623 };
	const char *pwfile = NULL;
	char mac[18], err[700], *end = NULL;
	int i, rc;

	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--address") == 0) {
			snprintf(b.address, sizeof(b.address), "%s", argv[i + 1]);
		} else if (strcmp(argv[i], "--user") == 0) {
			snprintf(b.user, sizeof(b.user), "%s", argv[i + 1]);
		} else if (strcmp(argv[i], "--password-file") == 0) {
			pwfile = argv[i + 1];
		} else if (strcmp(argv[i], "--port") == 0) {
			b.port = (unsigned int)strtoul(argv[i + 1], &end, 10);
			if (*end != '\0' || b.port < 1 || b.port > 65535) {
				fprintf(stderr, "lifeboatctl: cannot use --port '%s'\n", argv[i + 1]);
				return 2;
			}
		} else {
			return usage(stderr);
		}
	}
	if (i != argc || b.address[0] == '\0' || b.user[0] == '\0' || pwfile == NULL) {
		fprintf(stderr, "lifeboatctl: bmc needs --address, --user and --password-file\n");
		return 2;
	}
	if (read_secret(pwfile, b.password, sizeof(b.password)) < 0) {
		return 2;
	}
	if (check_bmc(&b) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_set_bmc(&remote, mac, &b);
	}
	rc = hostops_set_bmc(&store, mac, &b, "lifeboatctl", (long long)time(NULL), err, sizeof(err));
	if (rc < 0) {
		return failed(err);
	}
	printf("%s: BMC %s %s@%s:%u stored (the password is never shown again)\n", mac, b.driver, b.user, b.address,
	       b.port);
	return 0;
}

static int cmd_power(int argc, char **argv)
{
	struct bmc b;
	char mac[18], err[700], state[8], line[200];
	int op, rc;

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	op = power_op_from_name(argv[1]);
	if (op < 0) {
		fprintf(stderr, "lifeboatctl: cannot use '%s': power status, on, off or cycle\n", argv[1]);
		return 2;
	}
	if (remote_mode) {
		return remote_power(&remote, mac, argv[1]);
	}
	rc = bmc_load(&store, mac, &b, err, sizeof(err));
	if (rc == 0) {
		rc = bmc_power(&b, (enum power_op)op, state, err, sizeof(err));
	}
	if (op != POWER_STATUS) {
		snprintf(line, sizeof(line), "power %s by lifeboatctl%s", argv[1], rc < 0 ? ": failed" : "");
		hostops_event(&store, mac, (long long)time(NULL), "power", line);
	}
	if (rc < 0) {
		fprintf(stderr, "lifeboatctl: cannot control the power of %s: %s\n", mac, err);
		return 1;
	}
	if (op == POWER_STATUS) {
		printf("%s: power %s\n", mac, state);
	} else {
		printf("%s: power %s: done\n", mac, argv[1]);
	}
	return 0;
}

/* ---- lifeboatctl ssh ---------------------------------------------------- */

static json_object *fetch_host(const char *mac, char *err, size_t errlen)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = NULL;

	if (remote_mode) {
		return remote_host(&remote, mac, err, errlen);
	}
	h = store_load(&store, mac, &sk);
	if (h == NULL) {
		snprintf(err, errlen, "cannot find host %s", mac);
	}
	return h;
}

static char *fetch_known_hosts(const char *mac, const char *name, char *err, size_t errlen)
{
	json_object *h = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc;

	if (remote_mode) {
		return remote_known_hosts_text(&remote, mac, name, err, errlen);
	}
	h = fetch_host(mac, err, errlen);
	if (h == NULL) {
		return NULL;
	}
	f = open_memstream(&text, &len);
	rc = f ? view_known_hosts(h, name, (long long)time(NULL), f, err, errlen) : -1;
	if (f != NULL) {
		fclose(f);
	}
	json_object_put(h);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Waits (bounded, saying each new phase) until the host reported
 * ssh-ready; its reported address in addr. 0, or 1 with the reason. */
static int wait_ssh_ready(const char *mac, long long deadline_s, char addr[64])
{
	char shown[40] = "", err[700];
	long long end = (long long)time(NULL) + deadline_s;

	for (;;) {
		json_object *h = fetch_host(mac, err, sizeof(err));
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

static int cmd_ssh(int argc, char **argv)
{
	const char *via = NULL, *key = NULL;
	char mac[18], addr[64] = "", host[300], name[320], port[8] = "22", err[700], kh[] = "/tmp/lifeboat-known-XXXXXX";
	char *text = NULL, *sargv[32];
	long long deadline = 600;
	int i, n = 0, fd, status = 0;
	pid_t pid;

	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc) {
			return usage(stderr);
		}
		if (strcmp(argv[i], "--via") == 0) {
			via = argv[i + 1];
		} else if (strcmp(argv[i], "-i") == 0) {
			key = argv[i + 1];
		} else if (strcmp(argv[i], "--deadline") == 0) {
			deadline = strtoll(argv[i + 1], NULL, 10);
			if (deadline < 1) {
				fprintf(stderr, "lifeboatctl: cannot use --deadline '%s': seconds\n", argv[i + 1]);
				return 2;
			}
		} else {
			return usage(stderr);
		}
	}
	if (wait_ssh_ready(mac, deadline, addr) != 0) {
		return 1;
	}
	/* --via HOST[:PORT] or [IPv6]:PORT: where ssh connects (a jump, a
	 * port forward); a bare IPv6 address has no port */
	snprintf(host, sizeof(host), "%s", via ? via : addr);
	if (host[0] == '[' && strchr(host, ']') != NULL) {
		char *end = strchr(host, ']');

		if (end[1] == ':') {
			snprintf(port, sizeof(port), "%s", end + 2);
		}
		*end = '\0';
		memmove(host, host + 1, strlen(host));
	} else if (strchr(host, ':') != NULL && strchr(host, ':') == strrchr(host, ':')) {
		snprintf(port, sizeof(port), "%s", strchr(host, ':') + 1);
		*strchr(host, ':') = '\0';
	}
	if (host[0] == '\0') {
		fprintf(stderr, "lifeboatctl: %s reported no address: give --via HOST[:PORT]\n", mac);
		return 1;
	}
	if (strcmp(port, "22") == 0) {
		snprintf(name, sizeof(name), "%s", host);
	} else {
		snprintf(name, sizeof(name), "[%s]:%s", host, port);
	}
	text = fetch_known_hosts(mac, name, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "lifeboatctl: no verified host key for %s: %s\n", mac, err);
		return 1;
	}
	fd = mkstemp(kh);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "lifeboatctl: cannot write a known_hosts file: %s\n", strerror(errno));
		free(text);
		return 1;
	}
	close(fd);
	free(text);
	sargv[n++] = "ssh";
	sargv[n++] = "-o";
	sargv[n++] = "StrictHostKeyChecking=yes";
	sargv[n++] = "-o";
	snprintf(err, sizeof(err), "UserKnownHostsFile=%s", kh);
	sargv[n++] = err;
	sargv[n++] = "-p";
	sargv[n++] = port;
	if (key != NULL) {
		sargv[n++] = "-i";
		sargv[n++] = (char *)key;
	}
	snprintf(name, sizeof(name), "root@%s", host);
	sargv[n++] = name;
	for (i = i + 1; i < argc && n < 31; i++) {
		sargv[n++] = argv[i];
	}
	sargv[n] = NULL;
	fprintf(stderr, "lifeboatctl: ssh %s with the host keys %s reported (StrictHostKeyChecking=yes)\n", name, mac);
	pid = fork();
	if (pid == 0) {
		execvp("ssh", sargv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	unlink(kh);
	return pid < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int cmd_alias(int argc, char **argv)
{
	char mac[18], err[700];
	json_object *body = NULL, *h = NULL;
	int rc;

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		body = json_object_new_object();
		json_object_object_add(body, "alias", json_object_new_string(argv[1]));
		h = remote_host_action(&remote, mac, "alias", body);
		json_object_put(body);
		if (h == NULL) {
			return 1;
		}
		json_object_put(h);
	} else {
		rc = hostops_set_alias(&store, mac, argv[1], "lifeboatctl", (long long)time(NULL), err, sizeof(err));
		if (rc < 0) {
			return failed(err);
		}
	}
	printf(argv[1][0] ? "%s: alias %s\n" : "%s: no alias%s\n", mac, argv[1]);
	return 0;
}

static int cmd_forget(int argc, char **argv)
{
	char mac[18], err[700];
	int rc;

	(void)argc;
	if (need_mac(argv[0], mac) < 0) {
		return 2;
	}
	if (remote_mode) {
		return remote_forget(&remote, mac);
	}
	rc = hostops_forget(&store, mac, err, sizeof(err));
	if (rc < 0) {
		return failed(err);
	}
	printf("%s: forgotten\n", mac);
	return 0;
}

static const char *ipxe_origin(const char *bios)
{
	return strncmp(bios, "lifeboat-", 9) == 0 ? "make rom IPXE_SRC=... SERVER=https://... HTTPS=1 TRUST=ca.crt: "
						    "copy out/ipxe/undionly.kpxe and snponly.efi to the TFTP root "
						    "under these names"
						  : "Debian's ipxe package, /usr/lib/ipxe/";
}

/* dnsmasq for IPv6 on a link it advertises (RA): SLAAC with stateless
 * DHCPv6 for the options (the default), or addresses from DHCPv6
 * (stateful). Either way iPXE asks DHCPv6 and gets the boot file URL
 * (option 59); iPXE (user class "iPXE") gets the chain script. */
static int dnsmasq_ipv6(const char *server, const char *prefix, const char *mode, const char *tftp)
{
	char net[ADDR_TEXT_MAX], addr[ADDR_TEXT_MAX + 8], *slash = NULL;
	unsigned long len = 0;
	int stateful = strcmp(mode, "stateful") == 0;

	snprintf(addr, sizeof(addr), "%s", prefix);
	slash = strchr(addr, '/');
	if (slash != NULL) {
		*slash = '\0';
		len = strtoul(slash + 1, NULL, 10);
	}
	if (slash == NULL || addr_parse_ipv6(addr, net) < 0 || len < 8 || len > 64 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1)) {
		fprintf(stderr, "lifeboatctl: cannot use --ipv6 '%s': want the link's prefix, 2001:db8:1::/64\n", prefix);
		return 2;
	}
	if (!stateful && strcmp(mode, "slaac") != 0) {
		fprintf(stderr, "lifeboatctl: cannot use --ipv6-mode '%s': want slaac or stateful\n", mode);
		return 2;
	}
	if (stateful && len != 64) {
		fprintf(stderr, "lifeboatctl: cannot use --ipv6 '%s' with stateful: dnsmasq's DHCPv6 range wants a /64\n",
			prefix);
		return 2;
	}
	printf("# IPv6 (%s): dnsmasq sends router advertisements for %s; put it on the\n"
	       "# interface that has an address in it (interface=...), and no other RA there.\n"
	       "enable-ra\n",
	       stateful ? "addresses from DHCPv6" : "SLAAC, options from stateless DHCPv6", prefix);
	if (stateful) {
		struct in6_addr a;
		char lo[ADDR_TEXT_MAX], hi[ADDR_TEXT_MAX];

		/* the /64's hosts ::1000 to ::1fff */
		inet_pton(AF_INET6, net, &a);
		memset(a.s6_addr + 8, 0, 8);
		a.s6_addr[14] = 0x10;
		inet_ntop(AF_INET6, &a, lo, sizeof(lo));
		a.s6_addr[14] = 0x1f;
		a.s6_addr[15] = 0xff;
		inet_ntop(AF_INET6, &a, hi, sizeof(hi));
		printf("dhcp-range=%s,%s,64,1h\n", lo, hi);
	} else {
		printf("dhcp-range=%s,ra-stateless,%lu\n", net, len);
	}
	printf("dhcp-userclass=set:ipxe6,iPXE\n"
	       "dhcp-option=tag:ipxe6,option6:bootfile-url,%s/chain.ipxe\n", server);
	if (tftp != NULL && strchr(tftp, ':') != NULL) {
		printf("# UEFI's own PXE over IPv6 loads iPXE by TFTP\n"
		       "dhcp-option=tag:!ipxe6,option6:bootfile-url,tftp://[%s]/snponly.efi\n", tftp);
	}
	return 0;
}

/* dnsmasq as proxyDHCP beside the existing DHCP server, or ISC dhcpd:
 * PXE ROMs get iPXE over TFTP, iPXE itself (option 175 / user class
 * "iPXE": no loop) gets lifeboatd's chain script. */
static int cmd_dhcp_config(int argc, char **argv)
{
	int i = 0;

	const char *kind = NULL, *server = NULL, *subnet = "192.0.2.0", *tftp = NULL, *bios = "undionly.kpxe",
		   *uefi = "snponly.efi", *prefix6 = NULL, *mode6 = "slaac";
	char ip[ADDR_TEXT_MAX];
	int rc;

	if (i >= argc) {
		return usage(stderr);
	}
	kind = argv[i++];
	for (; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--server") == 0) {
			server = argv[i + 1];
		} else if (strcmp(argv[i], "--subnet") == 0) {
			subnet = argv[i + 1];
		} else if (strcmp(argv[i], "--tftp-server") == 0) {
			tftp = argv[i + 1];
		} else if (strcmp(argv[i], "--ipv6") == 0) {
			prefix6 = argv[i + 1];
		} else if (strcmp(argv[i], "--ipv6-mode") == 0) {
			mode6 = argv[i + 1];
		} else if (strcmp(argv[i], "--ipxe") == 0 && strcmp(argv[i + 1], "lifeboat") == 0) {
			/* our builds (make rom: embedded script, HTTPS, pinned CA) */
			bios = "lifeboat-undionly.kpxe";
			uefi = "lifeboat-snponly.efi";
		} else if (strcmp(argv[i], "--ipxe") == 0 && strcmp(argv[i + 1], "debian") == 0) {
			bios = "undionly.kpxe";
			uefi = "snponly.efi";
		} else {
			return usage(stderr);
		}
	}
	if (i != argc || server == NULL) {
		fprintf(stderr, "lifeboatctl: dhcp-config needs --server http://lifeboatd:port\n");
		return 2;
	}
	if ((strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) ||
	    strspn(server, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/-_[]") != strlen(server)) {
		fprintf(stderr, "lifeboatctl: cannot use --server '%s': want http://host:port or http://[v6 address]:port\n",
			server);
		return 2;
	}
	if (addr_parse_ipv4(subnet, ip) < 0 || (tftp != NULL && addr_parse(tftp, ip) < 0)) {
		fprintf(stderr, "lifeboatctl: cannot use --subnet/--tftp-server: want an IPv4 subnet and an IP address\n");
		return 2;
	}
	if (prefix6 != NULL && strcmp(kind, "dnsmasq") != 0) {
		fprintf(stderr, "lifeboatctl: cannot write --ipv6 for '%s': only for dnsmasq\n", kind);
		return 2;
	}
	if (strcmp(kind, "dnsmasq") == 0) {
		printf("# Lifeboat: dnsmasq as proxyDHCP next to your DHCP server (which keeps handing\n"
		       "# out addresses). PXE ROMs get iPXE by TFTP; iPXE (it sends option 175) gets\n"
		       "# lifeboatd's script, so it does not load itself again.\n"
		       "port=0\n"
		       "log-dhcp\n"
		       "dhcp-range=%s,proxy\n"
		       "dhcp-match=set:ipxe,175\n"
		       "enable-tftp\n"
		       "tftp-root=/srv/tftp\n"
		       "# BIOS: %s; UEFI x86-64: %s (%s)\n"
		       "pxe-service=tag:!ipxe,x86PC,\"Lifeboat (iPXE)\",%s\n"
		       "pxe-service=tag:!ipxe,X86-64_EFI,\"Lifeboat (iPXE)\",%s\n"
		       "pxe-service=tag:ipxe,x86PC,\"Lifeboat\",%s/chain.ipxe\n"
		       "pxe-service=tag:ipxe,X86-64_EFI,\"Lifeboat\",%s/chain.ipxe\n",
		       subnet, bios, uefi, ipxe_origin(bios), bios, uefi, server, server);
		rc = prefix6 != NULL ? dnsmasq_ipv6(server, prefix6, mode6, tftp) : 0;
		return rc;
	}
	if (strcmp(kind, "isc") == 0) {
		printf("# Lifeboat: ISC dhcpd. PXE ROMs get iPXE by TFTP; iPXE (user class \"iPXE\")\n"
		       "# gets lifeboatd's script, so it does not load itself again.\n"
		       "option client-arch code 93 = unsigned integer 16;\n"
		       "%s%s%s"
		       "if exists user-class and option user-class = \"iPXE\" {\n"
		       "    filename \"%s/chain.ipxe\";\n"
		       "} elsif option client-arch = 00:07 or option client-arch = 00:09 {\n"
		       "    filename \"%s\";   # UEFI x86-64 (%s)\n"
		       "} else {\n"
		       "    filename \"%s\"; # BIOS\n"
		       "}\n",
		       tftp ? "next-server " : "", tftp ? tftp : "", tftp ? ";\n" : "", server, uefi, ipxe_origin(bios), bios);
		return 0;
	}
	fprintf(stderr, "lifeboatctl: cannot write DHCP configuration for '%s': want dnsmasq or isc\n", kind);
	return 2;
}

/* admin-token add NAME | revoke NAME | list */
static int cmd_admin_token(int argc, char **argv)
{
	char token[ADMIN_TOKEN_LEN + 1], err[700];
	int rc;

	if (strcmp(argv[0], "add") == 0 && argc == 2) {
		if (admin_token_add(&store, argv[1], token, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: cannot add an admin token: %s\n", err);
			return 1;
		}
		printf("%s\n", token);
		fprintf(stderr, "lifeboatctl: admin token for %s: shown once, stored only as its SHA-256\n", argv[1]);
		return 0;
	}
	if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
		rc = admin_token_revoke(&store, argv[1]);
		if (rc <= 0) {
			fprintf(stderr, "lifeboatctl: cannot revoke %s: %s\n", argv[1],
				rc == 0 ? "no admin token of that name" : strerror(-rc));
			return 1;
		}
		printf("%s: admin token revoked\n", argv[1]);
		return 0;
	}
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		return admin_token_list(&store, stdout) < 0 ? 1 : 0;
	}
	return usage(stderr);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return usage(stdout);
}

/* A JSON state directory from before the database (another boot
 * server's, say) into this one's database; STATE's own is imported by
 * itself when lifeboatd or lifeboatctl first opens it. */
static int cmd_import_json(int argc, char **argv)
{
	struct import_counts n;
	char err[900], summary[600];

	(void)argc;
	if (import_json_dir(&store, argv[0], &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 1;
	}
	import_summary(&n, summary, sizeof(summary));
	printf("imported %s into %s: %s\n", argv[0], store.db.shown, summary);
	return n.skipped > 0 ? 1 : 0;
}

static const struct cmd cmds[] = {
	{ "rescue", "MAC [--once] [--nat] [--for S] [--key FILE]... [--keys-only] [--reset]",
	  "arm a rescue session: the next plausible boot claims it (--once: then normal again;\n"
	  "                                --for: it ends after S seconds, default session_timeout;\n"
	  "                                --key: SSH keys for this session only, besides keys_file\n"
	  "                                or, with --keys-only, instead of it; --reset: then power-cycle\n"
	  "                                through the BMC, the next boot to PXE)", 1, 17, 1, 1, cmd_rescue },
	{ "normal", "MAC", "boot from the disk; ends the session", 1, 1, 1, 1, cmd_normal },
	{ "list", "", "every host: policy, phase, address, last report, session", 0, 0, 1, 1, cmd_list },
	{ "show", "MAC", "everything known about a host (JSON)", 1, 1, 1, 1, cmd_show },
	{ "known-hosts", "MAC [--host NAME]", "known_hosts lines from the session's verified host keys", 1, 3, 1,
	  1, cmd_known_hosts },
	{ "events", "MAC", "the host's event log: policy changes and who made them, rescue scripts,\n"
	  "                                conflicts, phase changes", 1, 1, 1, 1, cmd_events },
	{ "forget", "MAC", "remove a host (its session ends)", 1, 1, 1, 1, cmd_forget },
	{ "alias", "MAC NAME", "a name for the host (\"\" removes it); every MAC argument also takes\n"
	  "                                an alias, or the SMBIOS serial or UUID the host reported", 2, 2, 1, 1, cmd_alias },
	{ "bmc", "MAC --address A [--port P] --user U --password-file F",
	  "the host's BMC (IPMI over LAN); the password is stored for lifeboatd only", 7, 9, 1, 1, cmd_bmc },
	{ "power", "MAC status|on|off|cycle", "power control through the host's BMC", 2, 2, 1, 1, cmd_power },
	{ "ssh", "MAC [--via HOST[:PORT]] [-i KEY] [--deadline S] [-- COMMAND...]",
	  "wait until SSH is up (ssh-ready or a toolbox phase), then ssh as root checking the host key the session verified", 1, 40, 1, 1, cmd_ssh },
	{ "token", "MAC", "issue a per-boot token by hand, for a boot without iPXE\n"
	  "                                (ISO, USB): lifeboat.token=<it> lifeboat.server=<url>", 1, 1, 1, 1, cmd_token },
	{ "admin-token", "add NAME | revoke NAME | list",
	  "tokens for the admin interface (page, hosts API): shown once, stored hashed", 1, 2, 1, 0, cmd_admin_token },
	{ "import-json", "DIR", "import a state directory of JSON files (lifeboat before the database)\n"
	  "                                into the database; hosts it has already are kept", 1, 1, 1, 0,
	  cmd_import_json },
	{ "dhcp-config", "dnsmasq|isc --server URL [--subnet NET] [--tftp-server IP] [--ipxe debian|lifeboat]\n"
	  "                                [--ipv6 PREFIX/LEN [--ipv6-mode slaac|stateful]]",
	  "DHCP configuration to chainload iPXE without flashing (--ipv6: dnsmasq\n"
	  "                                advertises PREFIX and hands out the boot file URL by DHCPv6)", 1, 13, 0, 1,
	  cmd_dhcp_config },
	{ "help", "", "this text", 0, 0, 0, 1, cmd_help },
};

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, name) == 0) {
			return &cmds[i];
		}
	}
	return NULL;
}

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: lifeboatctl [--state-dir DIR | --config FILE] [--database URL] COMMAND\n"
		   "       on the boot server: through lifeboatd's control socket (STATE/lifeboatd.sock or\n"
		   "       control_socket) when lifeboatd runs, else on its database (database from --config,\n"
		   "       --database or LIFEBOAT_DATABASE; default STATE/lifeboat.db)\n"
		   "       lifeboatctl --server https://boot:8443 [--token-file FILE] [--cacert FILE] COMMAND\n"
		   "       (or LIFEBOAT_SERVER, LIFEBOAT_TOKEN_FILE or LIFEBOAT_TOKEN, LIFEBOAT_CACERT): through\n"
		   "       lifeboatd's control API with an admin token, from anywhere\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char left[128];

		snprintf(left, sizeof(left), "%s %s", cmds[i].name, cmds[i].args);
		if (strlen(left) > 30) {
			fprintf(f, "  %s\n  %-30s%s\n", left, "", cmds[i].help);
		} else {
			fprintf(f, "  %-30s%s\n", left, cmds[i].help);
		}
	}
	return f == stdout ? 0 : 2;
}

/* On the boot server: lifeboatd's control socket (control_socket from
 * --config, else STATE/lifeboatd.sock) when a lifeboatd answers there:
 * 1; 0: none does; -1: it may not be used (said). */
static int use_control_socket(const char *state)
{
	char path[600];
	int rc;

	if (conf.control_socket[0] != '\0') {
		snprintf(path, sizeof(path), "%s", conf.control_socket);
	} else {
		snprintf(path, sizeof(path), "%s/lifeboatd.sock", state);
	}
	rc = localsock_probe(path);
	if (rc == -EACCES || rc == -EPERM) {
		fprintf(stderr, "lifeboatctl: cannot connect to lifeboatd's control socket %s: %s (it is for root and "
				"lifeboatd's user)\n", path, strerror(-rc));
		return -1;
	}
	if (rc < 0) {
		return 0; /* not running: the state directory, under its lock */
	}
	apiclient_setup_local(&remote, path);
	return 1;
}

int main(int argc, char **argv)
{
	const char *state = getenv("LIFEBOAT_STATE_DIR"), *server = getenv("LIFEBOAT_SERVER");
	const char *token_file = getenv("LIFEBOAT_TOKEN_FILE"), *cacert = getenv("LIFEBOAT_CACERT");
	const char *database = getenv("LIFEBOAT_DATABASE");
	const struct cmd *cmd = NULL;
	char err[700];
	int i = 1, n;

	conf = conf_defaults;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--state-dir") == 0) {
			state = argv[i + 1];
		} else if (strcmp(argv[i], "--server") == 0) {
			server = argv[i + 1];
		} else if (strcmp(argv[i], "--token-file") == 0) {
			token_file = argv[i + 1];
		} else if (strcmp(argv[i], "--cacert") == 0) {
			cacert = argv[i + 1];
		} else if (strcmp(argv[i], "--database") == 0) {
			database = argv[i + 1];
		} else if (strcmp(argv[i], "--config") == 0) {
			FILE *f = fopen(argv[i + 1], "re");

			if (f == NULL || conf_parse_file(f, argv[i + 1], &conf, err, sizeof(err)) < 0) {
				fprintf(stderr, "lifeboatctl: cannot use config %s\n", f ? err : argv[i + 1]);
				if (f != NULL) {
					fclose(f);
				}
				return 2;
			}
			fclose(f);
			state = conf.state_dir;
		} else {
			return usage(stderr);
		}
	}
	if (i >= argc) {
		return usage(stderr);
	}
	if (database != NULL && conf_set(&conf, "database", database, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: cannot use --database %s: %s\n", database, err);
		return 2;
	}
	cmd = find_cmd(strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? "help" : argv[i]);
	n = argc - i - 1;
	if (cmd == NULL || n < cmd->min || n > cmd->max) {
		return usage(stderr);
	}
	if (server != NULL && server[0] != '\0') {
		if (!cmd->remote) {
			fprintf(stderr, "lifeboatctl: %s works on the boot server only (it needs the state directory); "
					"leave out --server / LIFEBOAT_SERVER\n", cmd->name);
			return 2;
		}
		if (apiclient_setup(&remote, server, token_file, cacert, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: %s\n", err);
			return 2;
		}
		remote_mode = 1;
		return cmd->run(n, argv + i + 1);
	}
	if (!state) {
		state = conf_defaults.state_dir;
	}
	if (cmd->remote && cmd->needs_store) {
		int via = use_control_socket(state);

		if (via < 0) {
			return 1;
		}
		if (via > 0) {
			remote_mode = 1;
			return cmd->run(n, argv + i + 1);
		}
	}
	if (cmd->needs_store) {
		char note[1200];
		/* JSON files of an older lifeboat are imported (and moved) only
		 * while no lifeboatd runs on them: we hold its lock meanwhile */
		int idle = store_dir_idle(state), rc;

		rc = store_open(&store, state, conf.database, err, sizeof(err));
		if (rc == 0) {
			rc = import_state_dir(&store, idle >= 0 || idle == -ENOENT, note, sizeof(note), err, sizeof(err));
		}
		if (idle >= 0) {
			close(idle);
		}
		if (rc < 0) {
			fprintf(stderr, "lifeboatctl: %s\n", err);
			return 2;
		}
		if (note[0] != '\0') {
			fprintf(stderr, "lifeboatctl: %s\n", note);
		}
	}
	return cmd->run(n, argv + i + 1);
}
