/* lifeboatctl: the admin's command line for lifeboatd.
 *   lifeboatctl [--state-dir DIR | --config FILE] COMMAND ...
 *       on the boot server: through lifeboatd's control socket when it
 *       runs (one write path: the control API), else on the state
 *       directory under the store's lock, with the same code (hostops.c)
 *   lifeboatctl --server URL COMMAND ...: the control API from anywhere
 * main: the global options (one table), then the command (commands.c)
 * with the backend (backend.h) that answers where we are. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "lifeboatctl/commands.h"
#include "lifeboatctl/local.h"
#include "lifeboatctl/options.h"
#include "lifeboatctl/remote.h"
#include "power/power.h"
#include "store/localsock.h"

struct global_args {
	const char *state_dir, *config, *database, *server, *token_file, *cacert;
	int help;
};

#define G(field) offsetof(struct global_args, field)
static const struct opt global_opts[] = {
	{ "--state-dir", OPT_STRING, G(state_dir), "DIR", 0, 0, NULL, 0 },
	{ "--config", OPT_STRING, G(config), "FILE", 0, 0, NULL, 0 },
	{ "--database", OPT_STRING, G(database), "URL", 0, 0, NULL, 0 },
	{ "--server", OPT_STRING, G(server), "URL", 0, 0, NULL, 0 },
	{ "--token-file", OPT_STRING, G(token_file), "FILE", 0, 0, NULL, 0 },
	{ "--cacert", OPT_STRING, G(cacert), "FILE", 0, 0, NULL, 0 },
	{ "--help", OPT_FLAG, G(help), NULL, 0, 0, NULL, 0 },
	{ "-h", OPT_FLAG, G(help), NULL, 0, 0, NULL, 0 },
	{ NULL, OPT_FLAG, 0, NULL, 0, 0, NULL, 0 },
};

/* The environment's defaults, then the options. 0 or 2 (said). */
static int read_globals(int argc, char **argv, struct global_args *g, struct opt_rest *r)
{
	char err[300];

	memset(g, 0, sizeof(*g));
	g->server = getenv("LIFEBOAT_SERVER");
	g->token_file = getenv("LIFEBOAT_TOKEN_FILE");
	g->cacert = getenv("LIFEBOAT_CACERT");
	g->database = getenv("LIFEBOAT_DATABASE");
	if (opt_parse(global_opts, argc, argv, g, 1, r, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return cmd_usage(stderr);
	}
	return 0;
}

/* The configuration: --config's file, then --database over it. */
static int read_conf(const struct global_args *g, struct conf *conf)
{
	char err[700];
	FILE *f = NULL;

	*conf = conf_defaults;
	if (g->config != NULL) {
		f = fopen(g->config, "re");
		if (f == NULL || conf_parse_file(f, g->config, conf, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: cannot use config %s\n", f ? err : g->config);
			if (f != NULL) {
				fclose(f);
			}
			return 2;
		}
		fclose(f);
	}
	if (g->database != NULL && conf_set(conf, "database", g->database, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: cannot use --database %s: %s\n", g->database, err);
		return 2;
	}
	return 0;
}

/* --state-dir, else the config file's, else LIFEBOAT_STATE_DIR, else the
 * default. */
static const char *state_dir(const struct global_args *g, const struct conf *conf)
{
	const char *env = getenv("LIFEBOAT_STATE_DIR");

	return g->state_dir ? g->state_dir : g->config ? conf->state_dir : env ? env : conf_defaults.state_dir;
}

/* On the boot server: lifeboatd's control socket (control_socket from
 * --config, else STATE/lifeboatd.sock) when a lifeboatd answers there:
 * 1; 0: none does; -1: it may not be used (said). */
static int use_control_socket(const char *state, const struct conf *conf)
{
	char path[600];
	int rc;

	if (conf->control_socket[0] != '\0') {
		snprintf(path, sizeof(path), "%s", conf->control_socket);
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
	remote_setup_local(path);
	return 1;
}

/* The backend for cmd: the control API (--server, or the control socket
 * when lifeboatd runs here), else the state directory. 0 with *be, or
 * main's exit code (said). */
static int pick_backend(const struct cmd *cmd, const struct global_args *g, const struct conf *conf,
			const struct backend **be)
{
	const char *state = state_dir(g, conf);
	char err[700], note[1200];
	int via;

	*be = NULL;
	if (g->server != NULL && g->server[0] != '\0') {
		if (cmd->where == CMD_STATE) {
			fprintf(stderr, "lifeboatctl: %s works on the boot server only (it needs the state directory); "
					"leave out --server / LIFEBOAT_SERVER\n", cmd->name);
			return 2;
		}
		if (remote_setup(g->server, g->token_file, g->cacert, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: %s\n", err);
			return 2;
		}
		*be = &remote_backend;
		return 0;
	}
	if (cmd->where == CMD_OFFLINE) {
		return 0;
	}
	if (cmd->where == CMD_HOSTS) {
		via = use_control_socket(state, conf);
		if (via < 0) {
			return 1;
		}
		if (via > 0) {
			*be = &remote_backend;
			return 0;
		}
	}
	if (local_open(state, conf, note, sizeof(note), err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 2;
	}
	if (note[0] != '\0') {
		fprintf(stderr, "lifeboatctl: %s\n", note);
	}
	*be = &local_backend;
	return 0;
}

int main(int argc, char **argv)
{
	const struct backend *be = NULL;
	const struct cmd *cmd = NULL;
	struct global_args g;
	struct cmd_args a;
	struct opt_rest r;
	struct conf conf;
	int rc;

	if (power_init() < 0) { /* libcurl: the control API's client and the redfish driver */
		fprintf(stderr, "lifeboatctl: cannot start libcurl\n");
		return 1;
	}
	rc = read_globals(argc - 1, argv + 1, &g, &r);
	if (rc != 0) {
		return rc;
	}
	if (g.help) {
		return cmd_usage(stdout);
	}
	if (r.nrest == 0) {
		return cmd_usage(stderr);
	}
	cmd = cmd_find(r.rest[0]);
	if (cmd == NULL) {
		fprintf(stderr, "lifeboatctl: cannot run '%s': no such command\n", r.rest[0]);
		return cmd_usage(stderr);
	}
	rc = cmd_parse(cmd, r.nrest - 1, r.rest + 1, &a);
	if (rc == 0) {
		rc = read_conf(&g, &conf);
	}
	if (rc == 0) {
		rc = pick_backend(cmd, &g, &conf, &be);
	}
	return rc != 0 ? rc : cmd->run(be, &a);
}
