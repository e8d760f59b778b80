#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "config.h"
#include "fetchkeys.h"
#include "http.h"
#include "log.h"
#include "ssh.h"
#include "state.h"

/* Keeps the valid key lines of what lifeboat.keys= answered in the state
 * directory and asks PID 1 (SIGHUP), the only writer of authorized_keys,
 * to install them. Returns how many were new. */
static int install_fetched_keys(const char *body)
{
	static char old[HTTP_MAX_BODY], copy[HTTP_MAX_BODY + 1], keep[HTTP_MAX_BODY + 1];
	char err[256], *line = NULL, *save = NULL;
	size_t used = 0;
	int added = 0, bad = 0, total = 0, rc;

	keep[0] = '\0';
	fileio_read(SSH_AUTH_KEYS, old, sizeof(old)); /* "" when there is none yet */
	snprintf(copy, sizeof(copy), "%s", body);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[0] == '#') {
			continue;
		}
		if (config_check_sshkey(line, err, sizeof(err)) < 0) {
			bad++;
			continue;
		}
		if (strstr(old, line) == NULL) {
			added++;
		}
		if (used + strlen(line) + 2 < sizeof(keep)) {
			used += (size_t)snprintf(keep + used, sizeof(keep) - used, "%s\n", line);
		}
		total++;
	}
	rc = state_write(SSH_FETCHED_KEYS, keep);
	if (rc < 0) {
		return rc;
	}
	if (kill(1, SIGHUP) < 0) {
		return -errno;
	}
	if (bad > 0) {
		lb_log("ignored %d malformed key line%s from lifeboat.keys", bad, bad == 1 ? "" : "s");
	}
	lb_log("%d SSH key%s from lifeboat.keys (%d new)", total, total == 1 ? "" : "s", added);
	return added;
}

int fetch_keys(const struct config *cfg, const struct tls_trust *trust, unsigned int timeout_ms, char *err,
	       size_t errlen)
{
	static struct http_response resp;
	struct url u;
	int rc = url_parse(cfg->keys_url, &u, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = http_request("GET", &u, trust, NULL, cfg->token[0] ? cfg->token : NULL, NULL, NULL, 0, timeout_ms, &resp,
			  err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (resp.status != 200) {
		lb_err(err, errlen, "%s answered %d", cfg->keys_url, resp.status);
		return -EPROTO;
	}
	rc = install_fetched_keys(resp.body);
	if (rc < 0) {
		lb_err(err, errlen, "cannot hand the fetched keys to init: %s", strerror(-rc));
	}
	return rc < 0 ? rc : 0;
}
