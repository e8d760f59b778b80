/* lifeboatd: decides per machine between rescue and normal boot, serves
 * the payload and collects status. main: configuration, then the HTTP
 * daemon (http.c) until SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/conf.h"
#include "lifeboatd/boot.h"
#include "lifeboatd/http.h"
#include "lifeboatd/login.h"
#include "lifeboatd/consoleapi.h"
#include "lifeboatd/console.h"
#include "lifeboatd/netconsole.h"
#include "lifeboatd/media.h"
#include "lifeboatd/webhook.h"
#include "lifeboatd/routes.h"
#include "lifeboatd/server.h"
#include "power/power.h"
#include "store/import.h"

struct server srv;
static struct http_app app; /* read by the HTTP threads until http_stop */

/* --flags: the config file's keys with '-' for '_', made from conf.c's
 * table of keys so that there is one list. opts[0] is --config. */
static struct option opts[64];
static char opt_names[64][40];

static int make_opts(void)
{
	const char *key = NULL;
	size_t i, n = 1, j;

	opts[0] = (struct option){ "config", required_argument, NULL, 'c' };
	for (i = 0; (key = conf_key(i)) != NULL; i++) {
		if (n + 2 >= sizeof(opts) / sizeof(opts[0]) || strlen(key) >= sizeof(opt_names[0])) {
			fprintf(stderr, "lifeboatd: cannot make the option table: too many or too long settings\n");
			return -ENOSPC;
		}
		for (j = 0; key[j] != '\0'; j++) {
			opt_names[n][j] = key[j] == '_' ? '-' : key[j];
		}
		opt_names[n][j] = '\0';
		opts[n] = (struct option){ opt_names[n], required_argument, NULL, 0 };
		n++;
	}
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	return 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: lifeboatd [--config FILE]");
	for (i = 1; opts[i].name != NULL && strcmp(opts[i].name, "help") != 0; i++) {
		fprintf(f, "%s[--%s X]", i % 4 == 0 ? "\n                 " : " ", opts[i].name);
	}
	fprintf(f, "\n(every setting of the config file: lifeboatd.conf(5))\n");
}

static int read_config(int argc, char **argv)
{
	const char *config = NULL;
	char err[700];
	FILE *f = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[i + 1];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
		}
	}
	if (config == NULL) {
		return 0;
	}
	f = fopen(config, "re");
	if (f == NULL) {
		fprintf(stderr, "lifeboatd: cannot open config %s: %s\n", config, strerror(errno));
		return -errno;
	}
	if (conf_parse_file(f, config, &srv.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: cannot use config %s\n", err);
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	return 0;
}

static int read_flags(int argc, char **argv)
{
	char err[700], key[64];
	int opt, idx = 0, i;

	while ((opt = getopt_long(argc, argv, "c:h", opts, &idx)) != -1) {
		if (opt == 'c') {
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return 1;
		}
		if (opt != 0) {
			usage(stderr);
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "%s", opts[idx].name);
		for (i = 0; key[i] != '\0'; i++) {
			key[i] = key[i] == '-' ? '_' : key[i];
		}
		if (conf_set(&srv.conf, key, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatd: cannot use --%s: %s\n", opts[idx].name, err);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[700], note[1200], host[ADDR_TEXT_MAX + 2], pub[160], tls[160];
	sigset_t stop;
	int sig, rc, ret = 2, claim = -1; /* the state directory's lock: held until exit */

	srv.conf = conf_defaults;
	if (make_opts() < 0) {
		return 2;
	}
	/* the config file first, then flags override it */
	if (read_config(argc, argv) < 0) {
		return 2;
	}
	rc = read_flags(argc, argv);
	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	/* the claim first: the import moves files of the state directory */
	if (conf_finish(&srv.conf, err, sizeof(err)) < 0 ||
	    (claim = store_claim_dir(srv.conf.state_dir, err, sizeof(err))) < 0 ||
	    store_open(&srv.store, srv.conf.state_dir, srv.conf.database, srv.conf.db_timeout * 1000u, err,
		       sizeof(err)) < 0 ||
	    import_state_dir(&srv.store, 1, note, sizeof(note), err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatd: %s\n", err);
		return 2;
	}
	if (note[0] != '\0') {
		fprintf(stderr, "lifeboatd: %s\n", note);
	}
	if (access(srv.conf.keys_file, R_OK) < 0) {
		fprintf(stderr, "lifeboatd: warning: cannot read keys_file %s: %s (rescued hosts get no keys from here)\n",
			srv.conf.keys_file, strerror(errno));
	}
	if (power_init() < 0) {
		fprintf(stderr, "lifeboatd: cannot start libcurl (the redfish driver)\n");
		return 1;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* our threads and MHD's inherit it */
	/* the threads, then the listeners; undone in reverse */
	if (boot_facts_start(err, sizeof(err)) < 0) {
		goto err_facts;
	}
	rc = media_eject_start();
	if (rc < 0) {
		snprintf(err, sizeof(err), "cannot start the thread that ejects rescue ISOs: %s", strerror(-rc));
		goto err_media;
	}
	if (webhook_start(err, sizeof(err)) < 0) {
		goto err_webhook;
	}
	if (console_start(err, sizeof(err)) < 0) {
		goto err_console;
	}
	if (live_start(err, sizeof(err)) < 0) {
		goto err_live;
	}
	if (netconsole_start(err, sizeof(err)) < 0) {
		goto err_netconsole;
	}
	signal(SIGPIPE, SIG_IGN);
	/* the HTTP layer's view of lifeboatd: its routes, the admin gate, and
	 * the boots seen, written to the store every few seconds */
	app = (struct http_app){ routes, routes_count, admin_gate, boot_seen_flush };
	if (http_start(&app, err, sizeof(err)) < 0) {
		ret = 1;
		goto err_http;
	}
	addr_url_host(srv.conf.listen, host, sizeof(host));
	fprintf(stderr, "lifeboatd: listening on %s:%u%s (public %s, payload %s, state %s, database %s, default "
		"policy %s%s)\n", host, srv.conf.port, srv.listen_note, srv.conf.public_url, srv.conf.payload_url, srv.conf.state_dir,
		srv.store.db.shown,
		srv.conf.default_policy, srv.conf.nat ? ", nat" : "");
	url_host(srv.conf.public_url, pub, sizeof(pub));
	url_host(srv.conf.tls_public_url, tls, sizeof(tls));
	if (addr_is_wildcard(pub) || (srv.conf.tls_port != 0 && addr_is_wildcard(tls))) {
		fprintf(stderr, "lifeboatd: warning: listen = %s and no public_url%s: iPXE and agents are sent to %s, which "
			"they cannot reach; set public_url\n", srv.conf.listen, srv.conf.tls_port ? " or tls_public_url" : "",
			srv.conf.public_url);
	}
	if (srv.conf.tls_port != 0) {
		fprintf(stderr, "lifeboatd: HTTPS on %s:%u (%s, certificate %s); the admin interface is %s; agents "
			"booted over plain HTTP report %s\n", host, srv.conf.tls_port, srv.conf.tls_public_url,
			srv.tls_pin, srv.conf.admin_http ? "on both listeners" : "on HTTPS only",
			srv.conf.agent_ca ? "over HTTPS (agent_ca)" : "over plain HTTP");
	} else {
		fprintf(stderr, "lifeboatd: warning: no tls_port: admin tokens and sessions travel in clear\n");
	}
	do {
		sig = 0;
		sigwait(&stop, &sig);
	} while (sig != SIGTERM && sig != SIGINT);
	fprintf(stderr, "lifeboatd: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	live_stop(); /* every stream ended and resumed: libmicrohttpd stops with none suspended */
	http_stop();
	ret = 0;
	err[0] = '\0';
err_http:
	netconsole_stop();
err_netconsole:
	live_stop();
err_live:
	console_stop();
err_console:
	webhook_stop();
err_webhook:
	media_eject_stop();
err_media:
	boot_facts_stop();
err_facts:
	if (err[0] != '\0') {
		fprintf(stderr, "lifeboatd: %s\n", err);
	}
	return ret;
}
