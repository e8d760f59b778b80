/* The local backend (local.c): the state directory's database on this
 * machine, when no lifeboatd answers on its control socket. */
#ifndef LIFEBOAT_CTL_LOCAL_H
#define LIFEBOAT_CTL_LOCAL_H

#include <stddef.h>

#include "core/conf.h"
#include "store/store.h"

/* Opens the store of state (conf: database, session_timeout) and imports
 * an older lifeboat's JSON files when no lifeboatd runs on them. note:
 * what the import said ("" when nothing). 0 or -errno with err. */
int local_open(const char *state, const struct conf *conf, char *note, size_t notelen, char *err, size_t errlen);

/* The open store, for the commands that work on the state directory only
 * (admin-token, import-json). */
struct store *local_store(void);

#endif
