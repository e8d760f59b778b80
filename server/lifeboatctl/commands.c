/* lifeboatctl's commands: each asks the backend (backend.h: the state
 * directory or lifeboatd's control API, the same data either way) and says
 * what happened once. Exit codes: 0 done, 1 refused or failed, 2 bad
 * arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/query.h"
#include "core/schema.h"
#include "core/view.h"
#include "lifeboatctl/attach.h"
#include "lifeboatctl/commands.h"
#include "lifeboatctl/dhcpconf.h"
#include "lifeboatctl/local.h"
#include "lifeboatctl/ssh.h"
#include "store/admin.h"
#include "store/events.h"
#include "store/import.h"

#define BY "lifeboatctl"

/* A host argument: a MAC, or an alias, serial or UUID the backend finds.
 * 0, or 2 after saying why. */
static int need_mac(const struct backend *be, const char *s, char mac[18])
{
	char err[700];

	if (s != NULL && parse_mac(s, mac) == 0) {
		return 0;
	}
	if (s == NULL || s[0] == '\0' || (strchr(s, ':') != NULL && strspn(s, "0123456789abcdefABCDEF:") == strlen(s))) {
		fprintf(stderr, "lifeboatctl: cannot use '%s': not a MAC address aa:bb:cc:dd:ee:ff\n", s ? s : "");
		return 2;
	}
	if (be->resolve(s, mac, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: cannot find host '%s': %s\n", s, err);
		return 2;
	}
	return 0;
}

/* Says what failed; 1 for main. */
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
		return -errno;
	}
	if (fgets(buf, sizeof(buf), f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) >= len) {
		fprintf(stderr, "lifeboatctl: the password in %s is longer than %zu bytes\n", path, len - 1);
		return -ENAMETOOLONG;
	}
	snprintf(out, len, "%s", buf);
	memset(buf, 0, sizeof(buf));
	return 0;
}

/* Adds the key lines of path (authorized_keys format: blank lines and
 * comments skipped; options before the type are not accepted) to keys.
 * 0, or -EINVAL / -errno with the file and line named. */
static int read_key_file(const char *path, json_object *keys)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int no = 0, rc = 0;

	if (f == NULL) {
		rc = -errno;
		fprintf(stderr, "lifeboatctl: cannot read --key %s: %s\n", path, strerror(errno));
		return rc;
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
			rc = -EINVAL;
			break;
		}
		json_object_array_add(keys, json_object_new_string(line));
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- the commands ------------------------------------------------------- */

static int cmd_rescue(const struct backend *be, struct cmd_args *a)
{
	struct host_change c = { .policy = a->once ? "rescue-once" : "rescue", .nat = a->nat ? 1 : -1,
				 .seconds = a->seconds, .by = BY, .keys_only = a->keys_only, .reset = a->reset,
				 .media = a->media };
	struct policy_result res;
	json_object *keys = json_object_new_array();
	char mac[18], err[700];
	int i, rc = need_mac(be, a->r.pos[0], mac);

	for (i = 0; rc == 0 && i < a->keys.n; i++) {
		rc = read_key_file(a->keys.v[i], keys) < 0 ? 2 : 0;
	}
	if (rc == 0 && a->media && !a->once) {
		fprintf(stderr, "lifeboatctl: cannot use --media without --once (the ISO is ejected once SSH is up and the "
			"next boot is the disk)\n");
		rc = 2;
	}
	if (rc == 0 && a->keys_only && json_object_array_length(keys) == 0) {
		fprintf(stderr, "lifeboatctl: cannot use --keys-only without --key FILE\n");
		rc = 2;
	}
	if (rc != 0) {
		goto out;
	}
	c.keys = keys;
	if (be->set_policy(mac, &c, &res, err, sizeof(err)) < 0) {
		rc = failed(err);
		goto out;
	}
	if (c.media) {
		printf("%s: policy %s, session armed for %llds and claimed by its rescue ISO\n", mac, res.policy,
		       res.seconds);
	} else {
		printf("%s: policy %s%s, session armed for %llds: the next boot request from a matching address claims "
		       "it\n", mac, res.policy, res.nat ? " (nat: no source-address check)" : "", res.seconds);
	}
	if (c.media && res.reset_rc < 0) {
		fprintf(stderr, "lifeboatctl: the session is armed, but the virtual media boot failed: %s\n",
			res.reset_err);
		rc = 1;
	} else if (c.media) {
		printf("%s: the rescue ISO is in its BMC's virtual CD, the next boot is from it, and it was powered on or "
		       "cycled; the ISO is ejected once SSH is up\n", mac);
	} else if (c.reset && res.reset_rc < 0) {
		fprintf(stderr, "lifeboatctl: the session is armed, but the power cycle failed: %s\n", res.reset_err);
		rc = 1;
	} else if (c.reset) {
		printf("%s: power cycled through its BMC into the rescue\n", mac);
	}
out:
	json_object_put(keys);
	return rc;
}

static int cmd_normal(const struct backend *be, struct cmd_args *a)
{
	struct host_change c = { .policy = "normal", .nat = -1, .by = BY };
	struct policy_result res;
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	if (be->set_policy(mac, &c, &res, err, sizeof(err)) < 0) {
		return failed(err);
	}
	printf("%s: policy normal (its session, if any, has ended)\n", mac);
	return 0;
}

/* The column heads come with the first line, so a failed list prints none. */
static void list_one(json_object *h, const char *mac, const struct schema_skipped *sk, void *ctx)
{
	int *headed = ctx;

	if (!*headed) {
		view_list_header(stdout);
		*headed = 1;
	}
	view_list_line(h, mac, sk, (long long)time(NULL), stdout);
}

static int cmd_list(const struct backend *be, struct cmd_args *a)
{
	char err[700];
	int headed = 0;

	(void)a;
	if (be->each_host(list_one, &headed, err, sizeof(err)) < 0) {
		return failed(err);
	}
	if (!headed) {
		view_list_header(stdout);
	}
	return 0;
}

static int cmd_show(const struct backend *be, struct cmd_args *a)
{
	struct schema_skipped sk = { .count = 0 };
	json_object *h = NULL;
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	h = be->host(mac, &sk, err, sizeof(err));
	if (sk.count > 0) {
		fprintf(stderr, "lifeboatctl: %s: skipped from the stored host: %s\n", mac, sk.text);
	}
	if (h == NULL) {
		return failed(err);
	}
	printf("%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(h);
	return 0;
}

static int cmd_known_hosts(const struct backend *be, struct cmd_args *a)
{
	char mac[18], err[700], *text = NULL;
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	text = be->known_hosts(mac, a->host_name, err, sizeof(err));
	if (text == NULL) {
		return failed(err);
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

/* --since DURATION into seconds (0: none): 0, or main's exit code (said). */
static int since_seconds(const struct cmd_args *a, long long *seconds)
{
	*seconds = 0;
	if (a->since != NULL && opt_duration(a->since, seconds) < 0) {
		fprintf(stderr, "lifeboatctl: cannot use --since %s: not a duration such as 90s, 10m, 2h, 1d (at most a "
			"year)\n", a->since);
		return 2;
	}
	return 0;
}

/* What a backend read (NULL: its err), printed as it is. */
static int print_read(char *text, size_t len, const char *err)
{
	if (text == NULL) {
		return failed(err);
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

static int cmd_logs(const struct backend *be, struct cmd_args *a)
{
	char mac[18], err[700] = "", *text = NULL;
	long long seconds = 0;
	size_t len = 0;
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc == 0) {
		rc = since_seconds(a, &seconds);
	}
	if (rc != 0) {
		return rc;
	}
	text = be->logs(mac, seconds, a->bundle ? "bundle" : a->since ? "kmsg" : NULL, &len, err, sizeof(err));
	return print_read(text, len, err); /* len is set by the call before */
}

static int cmd_console(const struct backend *be, struct cmd_args *a)
{
	char mac[18], err[700] = "", *text = NULL;
	long long seconds = 0;
	size_t len = 0;
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc == 0) {
		rc = since_seconds(a, &seconds);
	}
	if (rc != 0) {
		return rc;
	}
	if (a->since == NULL) {
		return console_attach(be, mac, a->raw, a->write);
	}
	if (a->write) {
		fprintf(stderr, "lifeboatctl: cannot use --write with --since: typing needs the live console\n");
		return 2;
	}
	text = be->console(mac, seconds, a->raw, &len, err, sizeof(err));
	return print_read(text, len, err);
}

static int cmd_events(const struct backend *be, struct cmd_args *a)
{
	json_object *ev = NULL;
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	ev = be->events(mac, err, sizeof(err));
	if (ev == NULL) {
		return failed(err);
	}
	view_events(ev, stdout);
	json_object_put(ev);
	return 0;
}

static int cmd_forget(const struct backend *be, struct cmd_args *a)
{
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	if (be->forget(mac, err, sizeof(err)) < 0) {
		return failed(err);
	}
	printf("%s: forgotten\n", mac);
	return 0;
}

static int cmd_alias(const struct backend *be, struct cmd_args *a)
{
	const char *alias = a->r.pos[1];
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	if (be->set_alias(mac, alias, err, sizeof(err)) < 0) {
		return failed(err);
	}
	if (alias[0] != '\0') {
		printf("%s: alias %s\n", mac, alias);
	} else {
		printf("%s: no alias\n", mac);
	}
	return 0;
}

/* The same checks lifeboatd makes (bmc_members), before anything is sent. */
static int check_bmc(const struct bmc *b)
{
	json_object *o = bmc_body(b), *clean = NULL;
	char err[300];

	struct bmc *again = calloc(1, sizeof(*again));
	int rc = -EINVAL;

	json_object_object_add(o, "password", json_object_new_string(b->password));
	clean = schema_strict(o, bmc_members, err, sizeof(err));
	json_object_put(o);
	if (clean != NULL && again != NULL) {
		rc = bmc_from_json(clean, again, err, sizeof(err)); /* what each driver takes */
	}
	json_object_put(clean);
	if (again != NULL) {
		memset(again->password, 0, sizeof(again->password));
	}
	free(again);
	if (rc < 0) {
		fprintf(stderr, "lifeboatctl: cannot use that BMC: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* The BMC's CA certificates (PEM) from path into out: 0, or -errno said. */
static int read_ca(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f == NULL) {
		fprintf(stderr, "lifeboatctl: cannot read %s: %s\n", path, strerror(errno));
		return -errno;
	}
	n = fread(out, 1, len, f);
	fclose(f);
	if (n == len) {
		fprintf(stderr, "lifeboatctl: cannot use %s: longer than %zu bytes\n", path, len - 1);
		return -EFBIG;
	}
	out[n] = '\0';
	return 0;
}

static int cmd_bmc(const struct backend *be, struct cmd_args *a)
{
	struct bmc *b = calloc(1, sizeof(*b)); /* with its CA, too large for a stack frame to be polite */
	char mac[18], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0 || b == NULL) {
		free(b);
		return rc != 0 ? rc : failed("out of memory");
	}
	snprintf(b->driver, sizeof(b->driver), "%s", a->driver ? a->driver : "ipmi");
	b->port = a->port ? (unsigned int)a->port : 623;
	snprintf(b->address, sizeof(b->address), "%s", a->address);
	snprintf(b->user, sizeof(b->user), "%s", a->user);
	snprintf(b->system, sizeof(b->system), "%s", a->system ? a->system : "");
	snprintf(b->pin, sizeof(b->pin), "%s", a->pin ? a->pin : "");
	b->insecure = a->insecure;
	b->console = a->console;
	b->cipher = (unsigned int)a->cipher;
	if (read_secret(a->password_file, b->password, sizeof(b->password)) < 0 ||
	    (a->ca_file != NULL && read_ca(a->ca_file, b->ca, sizeof(b->ca)) < 0) || check_bmc(b) < 0) {
		rc = 2;
	} else if (be->set_bmc(mac, b, err, sizeof(err)) < 0) {
		rc = failed(err);
	} else {
		printf("%s: BMC %s %s@%s stored on the boot server (the password is never shown again)%s\n", mac,
		       b->driver, b->user, b->address,
		       b->insecure ? "; WARNING: insecure: its certificate is not checked" : "");
	}
	memset(b->password, 0, sizeof(b->password));
	free(b);
	return rc;
}

static int cmd_power(const struct backend *be, struct cmd_args *a)
{
	const char *name = a->r.pos[1];
	char mac[18], err[700], state[8] = "";
	int op, rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	op = power_op_from_name(name);
	if (op < 0) {
		fprintf(stderr, "lifeboatctl: cannot use '%s': power status, on, off or cycle\n", name);
		return 2;
	}
	if (be->power(mac, (enum power_op)op, name, state, err, sizeof(err)) < 0) {
		return failed(err);
	}
	if (op == POWER_STATUS) {
		printf("%s: power %s\n", mac, state);
	} else {
		printf("%s: power %s: done\n", mac, name);
	}
	return 0;
}

static int cmd_ssh(const struct backend *be, struct cmd_args *a)
{
	struct ssh_target t = { .via = a->via, .identity = a->identity, .deadline = a->deadline,
				.command = a->r.rest, .ncommand = a->r.nrest };
	char mac[18];
	int rc = need_mac(be, a->r.pos[0], mac);

	return rc != 0 ? rc : ssh_into(be, mac, &t);
}

static int cmd_token(const struct backend *be, struct cmd_args *a)
{
	char mac[18], token[LB_TOKEN_LEN + 1], err[700];
	int rc = need_mac(be, a->r.pos[0], mac);

	if (rc != 0) {
		return rc;
	}
	if (be->token(mac, token, err, sizeof(err)) < 0) {
		return failed(err);
	}
	printf("%s\n", token);
	return 0;
}

/* admin-token add NAME | revoke NAME | list */
static int cmd_admin_token(const struct backend *be, struct cmd_args *a)
{
	const char *sub = a->r.pos[0], *name = a->r.pos[1];
	char token[ADMIN_TOKEN_LEN + 1], err[700];
	int rc;

	(void)be;
	if (strcmp(sub, "add") == 0 && name != NULL) {
		if (admin_token_add(local_store(), name, token, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: cannot add an admin token: %s\n", err);
			return 1;
		}
		printf("%s\n", token);
		fprintf(stderr, "lifeboatctl: admin token for %s: shown once, stored only as its SHA-256\n", name);
		return 0;
	}
	if (strcmp(sub, "revoke") == 0 && name != NULL) {
		rc = admin_token_revoke(local_store(), name);
		if (rc <= 0) {
			fprintf(stderr, "lifeboatctl: cannot revoke %s: %s\n", name,
				rc == 0 ? "no admin token of that name" : strerror(-rc));
			return 1;
		}
		printf("%s: admin token revoked\n", name);
		return 0;
	}
	if (strcmp(sub, "list") == 0 && name == NULL) {
		return admin_token_list(local_store(), stdout) < 0 ? 1 : 0;
	}
	fprintf(stderr, "lifeboatctl: cannot use admin-token %s%s%s: want add NAME, revoke NAME or list\n", sub,
		name ? " " : "", name ? name : "");
	return 2;
}

/* A JSON state directory from before the database (another boot
 * server's, say) into this one's database; STATE's own is imported by
 * itself when lifeboatd or lifeboatctl first opens it. */
static int cmd_import_json(const struct backend *be, struct cmd_args *a)
{
	struct import_counts n;
	char err[900], summary[600];

	(void)be;
	if (import_json_dir(local_store(), a->r.pos[0], a->trust_owner, &n, err, sizeof(err)) < 0) {
		return failed(err);
	}
	import_summary(&n, summary, sizeof(summary));
	printf("imported %s into %s: %s\n", a->r.pos[0], local_store()->db.shown, summary);
	return n.skipped > 0 ? 1 : 0;
}

static int cmd_dhcp_config(const struct backend *be, struct cmd_args *a)
{
	struct dhcp_opts o = { .kind = a->r.pos[0], .server = a->server, .subnet = a->subnet, .tftp = a->tftp,
			       .ipxe = a->ipxe, .ipv6 = a->ipv6, .ipv6_mode = a->ipv6_mode };
	char err[300];

	(void)be;
	if (dhcpconf_write(&o, stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 2;
	}
	return 0;
}

static int cmd_help(const struct backend *be, struct cmd_args *a)
{
	(void)be;
	(void)a;
	return cmd_usage(stdout);
}

/* ---- the tables ----------------------------------------------------------- */

#define A(field) offsetof(struct cmd_args, field)
#define MAX_SECONDS (31LL * 86400)
#define END_OPTS { NULL, OPT_FLAG, 0, NULL, 0, 0, NULL, 0 }

static const struct opt rescue_opts[] = {
	{ "--once", OPT_FLAG, A(once), NULL, 0, 0, NULL, 0 },
	{ "--nat", OPT_FLAG, A(nat), NULL, 0, 0, NULL, 0 },
	{ "--for", OPT_NUMBER, A(seconds), "S", 1, MAX_SECONDS, "seconds from 1 to 2678400", 0 },
	{ "--key", OPT_LIST, A(keys), "FILE", 0, 0, NULL, 0 },
	{ "--keys-only", OPT_FLAG, A(keys_only), NULL, 0, 0, NULL, 0 },
	{ "--reset", OPT_FLAG, A(reset), NULL, 0, 0, NULL, 0 },
	{ "--media", OPT_FLAG, A(media), NULL, 0, 0, NULL, 0 },
	END_OPTS,
};

static const struct opt logs_opts[] = {
	{ "--since", OPT_STRING, A(since), "DURATION", 0, 0, NULL, 0 },
	{ "--bundle", OPT_FLAG, A(bundle), NULL, 0, 0, NULL, 0 },
	END_OPTS,
};

static const struct opt console_opts[] = {
	{ "--since", OPT_STRING, A(since), "DURATION", 0, 0, NULL, 0 },
	{ "--raw", OPT_FLAG, A(raw), NULL, 0, 0, NULL, 0 },
	{ "--write", OPT_FLAG, A(write), NULL, 0, 0, NULL, 0 },
	END_OPTS,
};

static const struct opt known_hosts_opts[] = {
	{ "--host", OPT_STRING, A(host_name), "NAME", 0, 0, NULL, 0 },
	END_OPTS,
};

static const struct opt bmc_opts[] = {
	{ "--driver", OPT_STRING, A(driver), "ipmi|redfish", 0, 0, NULL, 0 },
	{ "--address", OPT_STRING, A(address), "A", 0, 0, NULL, OPT_REQUIRED },
	{ "--port", OPT_NUMBER, A(port), "P", 1, 65535, "a port from 1 to 65535", 0 },
	{ "--user", OPT_STRING, A(user), "U", 0, 0, NULL, OPT_REQUIRED },
	{ "--password-file", OPT_STRING, A(password_file), "F", 0, 0, NULL, OPT_REQUIRED },
	{ "--system", OPT_STRING, A(system), "ID", 0, 0, NULL, 0 },
	{ "--ca", OPT_STRING, A(ca_file), "FILE", 0, 0, NULL, 0 },
	{ "--pin", OPT_STRING, A(pin), "sha256//BASE64", 0, 0, NULL, 0 },
	{ "--insecure", OPT_FLAG, A(insecure), NULL, 0, 0, NULL, 0 },
	{ "--console", OPT_FLAG, A(console), NULL, 0, 0, NULL, 0 },
	{ "--cipher-suite", OPT_NUMBER, A(cipher), "N", 1, 17, "a cipher suite from 1 to 17", 0 },
	END_OPTS,
};

static const struct opt ssh_opts[] = {
	{ "--via", OPT_STRING, A(via), "HOST[:PORT]", 0, 0, NULL, 0 },
	{ "-i", OPT_STRING, A(identity), "KEY", 0, 0, NULL, 0 },
	{ "--deadline", OPT_NUMBER, A(deadline), "S", 1, MAX_SECONDS, "seconds from 1 to 2678400", 0 },
	END_OPTS,
};

static const struct opt import_opts[] = {
	{ "--trust-owner", OPT_FLAG, A(trust_owner), NULL, 0, 0, NULL, 0 },
	END_OPTS,
};

static const struct opt dhcp_opts[] = {
	{ "--server", OPT_STRING, A(server), "URL", 0, 0, NULL, OPT_REQUIRED },
	{ "--subnet", OPT_STRING, A(subnet), "NET", 0, 0, NULL, 0 },
	{ "--tftp-server", OPT_STRING, A(tftp), "IP", 0, 0, NULL, 0 },
	{ "--ipxe", OPT_STRING, A(ipxe), "debian|lifeboat", 0, 0, NULL, 0 },
	{ "--ipv6", OPT_STRING, A(ipv6), "PREFIX/LEN", 0, 0, NULL, 0 },
	{ "--ipv6-mode", OPT_STRING, A(ipv6_mode), "slaac|stateful", 0, 0, NULL, 0 },
	END_OPTS,
};

#define HELP_INDENT "\n                                "

static const struct cmd cmds[] = {
	{ .name = "rescue", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS, .opts = rescue_opts,
	  .help = "arm a rescue session: the next plausible boot claims it (--once: then normal again;" HELP_INDENT
		  "--for: it ends after S seconds, default session_timeout;" HELP_INDENT
		  "--key: SSH keys for this session only, besides keys_file" HELP_INDENT
		  "or, with --keys-only, instead of it; --reset: then power-cycle" HELP_INDENT
		  "through the BMC, the next boot to PXE; --media, with --once:" HELP_INDENT
		  "no PXE: the rescue ISO in the BMC's virtual CD, the next boot" HELP_INDENT
		  "from it, power on or cycle; ejected once SSH is up)",
	  .run = cmd_rescue },
	{ .name = "normal", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .help = "boot from the disk; ends the session", .run = cmd_normal },
	{ .name = "list", .args = "", .where = CMD_HOSTS,
	  .help = "every host: policy, phase, address, last report, session", .run = cmd_list },
	{ .name = "show", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .help = "everything known about a host (JSON)", .run = cmd_show },
	{ .name = "known-hosts", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .opts = known_hosts_opts, .help = "known_hosts lines from the session's verified host keys",
	  .run = cmd_known_hosts },
	{ .name = "console", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS, .opts = console_opts,
	  .help = "the host's serial console (captured through its BMC: bmc" HELP_INDENT
		  "--console) as it comes, until Ctrl-C (--write: what you type" HELP_INDENT
		  "goes to it, ~. to leave; admins only, in the event log);" HELP_INDENT
		  "--since 10m: what it printed in the last ten minutes, each line" HELP_INDENT
		  "with its time (UTC); --raw: control sequences kept, no times",
	  .run = cmd_console },
	{ .name = "logs", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS, .opts = logs_opts,
	  .help = "the rescue system's logs: its kernel's and the agent's lines, and" HELP_INDENT
		  "its diagnostic bundles (--since 10m: the log of the last ten" HELP_INDENT
		  "minutes only; --bundle: the bundles only)",
	  .run = cmd_logs },
	{ .name = "events", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .help = "the host's event log: policy changes and who made them, rescue scripts," HELP_INDENT
		  "conflicts, phase changes",
	  .run = cmd_events },
	{ .name = "forget", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .help = "remove a host (its session ends)", .run = cmd_forget },
	{ .name = "alias", .args = "HOST NAME", .min_args = 2, .max_args = 2, .where = CMD_HOSTS,
	  .help = "a name for the host (\"\" removes it); every HOST argument is a MAC," HELP_INDENT
		  "an alias, or the SMBIOS serial or UUID the host reported",
	  .run = cmd_alias },
	{ .name = "bmc", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS, .opts = bmc_opts,
	  .help = "the host's BMC (IPMI over LAN, or Redfish); the password is stored for lifeboatd only",
	  .run = cmd_bmc },
	{ .name = "power", .args = "HOST status|on|off|cycle", .min_args = 2, .max_args = 2, .where = CMD_HOSTS,
	  .help = "power control through the host's BMC", .run = cmd_power },
	{ .name = "ssh", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS, .opts = ssh_opts,
	  .takes_command = 1,
	  .help = "wait until SSH is up (ssh-ready or a toolbox phase), then ssh as root checking" HELP_INDENT
		  "the host key the session verified",
	  .run = cmd_ssh },
	{ .name = "token", .args = "HOST", .min_args = 1, .max_args = 1, .where = CMD_HOSTS,
	  .help = "issue a per-boot token by hand, for a boot without iPXE" HELP_INDENT
		  "(ISO, USB): lifeboat.token=<it> lifeboat.server=<url>",
	  .run = cmd_token },
	{ .name = "admin-token", .args = "add NAME | revoke NAME | list", .min_args = 1, .max_args = 2,
	  .where = CMD_STATE,
	  .help = "tokens for the admin interface (page, hosts API): shown once, stored hashed",
	  .run = cmd_admin_token },
	{ .name = "import-json", .args = "DIR", .min_args = 1, .max_args = 1, .where = CMD_STATE,
	  .opts = import_opts,
	  .help = "import a state directory of JSON files (lifeboat before the database)" HELP_INDENT
		  "into the database; hosts it has already are kept; links are not followed, and" HELP_INDENT
		  "a DIR of another user only with --trust-owner",
	  .run = cmd_import_json },
	{ .name = "dhcp-config", .args = "dnsmasq|isc", .min_args = 1, .max_args = 1, .where = CMD_OFFLINE,
	  .opts = dhcp_opts,
	  .help = "DHCP configuration to chainload iPXE without flashing (--ipv6: dnsmasq" HELP_INDENT
		  "advertises PREFIX and hands out the boot file URL by DHCPv6)",
	  .run = cmd_dhcp_config },
	{ .name = "help", .args = "", .where = CMD_OFFLINE, .help = "this text", .run = cmd_help },
};

const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, name) == 0) {
			return &cmds[i];
		}
	}
	return NULL;
}

static const struct opt no_opts[] = { END_OPTS };

/* "rescue HOST [--once] ... [-- COMMAND...]" */
static void cmd_line(const struct cmd *c, char *out, size_t len)
{
	char opts[300];

	opt_usage(c->opts ? c->opts : no_opts, opts, sizeof(opts));
	snprintf(out, len, "%s%s%s%s%s%s", c->name, c->args[0] ? " " : "", c->args, opts[0] ? " " : "", opts,
		 c->takes_command ? " [-- COMMAND...]" : "");
}

int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_args *a)
{
	char err[300], line[400];

	memset(a, 0, sizeof(*a));
	a->port = 623;      /* IPMI over LAN */
	a->deadline = 600;  /* ssh: ten minutes for the rescue to come up */
	if (opt_parse(c->opts ? c->opts : no_opts, argc, argv, a, 0, &a->r, err, sizeof(err)) < 0) {
		goto err_usage;
	}
	if (a->r.npos < c->min_args || a->r.npos > c->max_args) {
		snprintf(err, sizeof(err), "%s arguments", a->r.npos < c->min_args ? "too few" : "too many");
		goto err_usage;
	}
	if (a->r.nrest > 0 && !c->takes_command) {
		snprintf(err, sizeof(err), "nothing may follow \"--\"");
		goto err_usage;
	}
	return 0;

err_usage:
	cmd_line(c, line, sizeof(line));
	fprintf(stderr, "lifeboatctl: %s: %s\nusage: lifeboatctl %s\n", c->name, err, line);
	return 2;
}

int cmd_usage(FILE *f)
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
		char left[400];

		cmd_line(&cmds[i], left, sizeof(left));
		if (strlen(left) >= 30) {
			fprintf(f, "  %s\n  %-30s%s\n", left, "", cmds[i].help);
		} else {
			fprintf(f, "  %-30s%s\n", left, cmds[i].help);
		}
	}
	return f == stdout ? 0 : 2;
}
