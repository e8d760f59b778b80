/* lifeboatctl against lifeboatd's control API (--server URL): the same
 * commands and output as on the boot server, each one request. Every
 * function returns main's exit code (0, 1: refused or failed). */
#ifndef LIFEBOAT_CTL_REMOTE_H
#define LIFEBOAT_CTL_REMOTE_H

#include "lifeboatctl/apiclient.h"
#include "store/bmc.h"
#include "store/hostops.h"

int remote_set_policy(const struct apiclient *ac, const char *mac, const struct host_change *c);
int remote_forget(const struct apiclient *ac, const char *mac);
int remote_show(const struct apiclient *ac, const char *mac);
int remote_list(const struct apiclient *ac);
int remote_known_hosts(const struct apiclient *ac, const char *mac, const char *name);
int remote_events(const struct apiclient *ac, const char *mac);
/* POST body (may be NULL) to /api/v1/hosts/<host>/<action>; the answer
 * (new reference), or NULL after saying why. */
json_object *remote_host_action(const struct apiclient *ac, const char *host, const char *action, json_object *body);
int remote_set_bmc(const struct apiclient *ac, const char *mac, const struct bmc *b);
int remote_power(const struct apiclient *ac, const char *mac, const char *action);
int remote_token(const struct apiclient *ac, const char *mac);

/* The host by any name (new reference) or NULL; known_hosts text (free
 * it) or NULL. Quiet, for polling and name lookups: errors go to err. */
json_object *remote_host(const struct apiclient *ac, const char *host, char *err, size_t errlen);
char *remote_known_hosts_text(const struct apiclient *ac, const char *mac, const char *name, char *err,
			      size_t errlen);

#endif
