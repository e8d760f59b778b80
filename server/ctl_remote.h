/* lifeboatctl against lifeboatd's control API (--server URL): the same
 * commands and output as on the boot server, each one request. Every
 * function returns main's exit code (0, 1: refused or failed). */
#ifndef LIFEBOAT_CTL_REMOTE_H
#define LIFEBOAT_CTL_REMOTE_H

#include "apiclient.h"
#include "hostops.h"

int remote_set_policy(const struct apiclient *ac, const char *mac, const struct host_change *c);
int remote_forget(const struct apiclient *ac, const char *mac);
int remote_show(const struct apiclient *ac, const char *mac);
int remote_list(const struct apiclient *ac);
int remote_known_hosts(const struct apiclient *ac, const char *mac, const char *name);
int remote_events(const struct apiclient *ac, const char *mac);

#endif
