/* The admin interface's credentials, shared by lifeboatd and lifeboatctl
 * (and by every lifeboatd on one database): admin tokens, created and
 * revoked with lifeboatctl admin-token, stored as the SHA-256 of the token
 * with "NAME CREATED", so a token is found by its hash and never kept in
 * clear. Agents' per-boot tokens (the store's token index) never open the
 * admin interface. Also the
 * pure helpers of login: the Host check and one urlencoded form field. */
#ifndef LIFEBOAT_ADMIN_H
#define LIFEBOAT_ADMIN_H

#include <stdio.h>

#include "store/store.h"

#define ADMIN_NAME_MAX 32
#define ADMIN_TOKEN_PREFIX "lba_"
#define ADMIN_TOKEN_LEN (sizeof(ADMIN_TOKEN_PREFIX) - 1 + LB_TOKEN_LEN)

/* 1 when name is 1-32 of [a-z0-9._-]. */
int admin_name_ok(const char *name);

/* A new token for name (printed once by lifeboatctl): 0, -EEXIST when
 * name has one already, -errno. */
int admin_token_add(struct store *s, const char *name, char token[ADMIN_TOKEN_LEN + 1], char *err,
		    size_t errlen);

/* Removes name's tokens: how many, or -errno. */
int admin_token_revoke(struct store *s, const char *name);

/* "NAME CREATED" lines, sorted. 0 or -errno. */
int admin_token_list(struct store *s, FILE *out);

/* The name the token belongs to: 0, -ENOENT (no such token), -EINVAL (not
 * an admin token), or another -errno (the database could not say). */
int admin_token_find(struct store *s, const char *token, char name[ADMIN_NAME_MAX + 1]);

/* The same by the token's SHA-256 (what a browser's login keeps, so the
 * login ends when the token is revoked): 0, -ENOENT, or the database's
 * -errno. */
int admin_token_by_hash(struct store *s, const char hash[65], char name[ADMIN_NAME_MAX + 1]);

/* 1 when the Host header (with or without :port) names one of allowed
 * (blank- or comma-separated). */
int admin_host_allowed(const char *allowed, const char *host);

/* The value of key in an application/x-www-form-urlencoded body, decoded.
 * 0, -ENOENT, or -EINVAL (malformed, or longer than len - 1). */
int form_field(const char *body, const char *key, char *out, size_t len);

#endif
