/* What every lifeboatd handler shares: the configuration, the store, and
 * what main found out while starting. One instance, srv, set up by main
 * before the listeners start and read-only after (the store has its own
 * locks). */
#ifndef LIFEBOAT_SERVER_H
#define LIFEBOAT_SERVER_H

#include "core/conf.h"
#include "store/store.h"

struct server {
	struct conf conf;
	struct store store;
	char tls_pin[80]; /* lifeboat.tlspin= for scripts served over HTTPS */
	char listen_note[80]; /* how listen = :: came out: "" or " (IPv4 only: ...)" */
};
extern struct server srv;

#endif
