/* lifeboatctl's HTTP(S) client for lifeboatd's control API, on libcurl:
 * the admin token from a file or the environment, the server's
 * certificate checked against the system's CAs or --cacert. */
#ifndef LIFEBOAT_APICLIENT_H
#define LIFEBOAT_APICLIENT_H

#include <stddef.h>

struct apiclient {
	char url[512];    /* https://boot:8443, no trailing slash */
	char token[128];  /* lba_... */
	char cacert[512]; /* "" : the system's CAs */
	char unix_path[108]; /* set: lifeboatd's control socket, no token */
};

/* Checks url (https://, or http:// to a loopback address only: the token
 * never travels in clear), reads the token (token_file, else
 * $LIFEBOAT_TOKEN). 0, or -EINVAL / -errno with the reason. */
int apiclient_setup(struct apiclient *ac, const char *url, const char *token_file, const char *cacert, char *err,
		    size_t errlen);

/* lifeboatd's control socket on this machine (the kernel tells lifeboatd
 * who we are: no token). */
void apiclient_setup_local(struct apiclient *ac, const char *socket_path);

/* For messages: the server's URL, or the control socket's path. */
const char *apiclient_name(const struct apiclient *ac);

/* One request; body (JSON) or NULL. *out (NUL-terminated, free it) and
 * *status are set when the server answered (any status): 0. Otherwise
 * -EIO with err naming what failed (connect, TLS, timeout). */
int apiclient_call(const struct apiclient *ac, const char *method, const char *path, const char *body, long *status,
		   char **out, char *err, size_t errlen);

/* A piece of a streamed answer; nonzero stops the transfer. */
typedef int (*apiclient_piece_fn)(const char *p, size_t n, void *ctx);

/* A GET whose answer (status 200) is handed to fn as it comes, until fn
 * stops it (its value returned), *stop is set (checked about once a
 * second: 0), the server ends it (-ECONNRESET), or it goes silent for
 * 45 s or fails (-EIO); err says which. Another status: 0 with *status
 * and the server's words in *out (free it). */
int apiclient_stream(const struct apiclient *ac, const char *path, apiclient_piece_fn fn, void *ctx,
		     const volatile int *stop, long *status, char **out, char *err, size_t errlen);

#endif
