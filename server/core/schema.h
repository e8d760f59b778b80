/* Structural validation of JSON by a table of members (type, bounds,
 * content check), as iPXE describes options: one table per document.
 *
 * Two modes over the same table:
 *  - strict (what lifeboatd accepts from the network): the first member
 *    that is wrong fails the whole document, with its path and reason;
 *  - lenient (every reader of a stored host document): a wrong member is left
 *    out and its path is named in a list of what was skipped.
 * Both return a new, clean copy holding only the members the table names,
 * each of the type it says, so renderers can use json-c without checks. */
#ifndef LIFEBOAT_SCHEMA_H
#define LIFEBOAT_SCHEMA_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum schema_kind { SK_STRING, SK_INT, SK_NUMBER, SK_BOOL, SK_OBJECT, SK_ARRAY };

#define SF_REQUIRED 1u /* strict: must be present; lenient: the object is skipped without it */
#define SF_NULL 2u     /* null is allowed */

struct schema_field {
	const char *name;                  /* NULL ends a member table */
	enum schema_kind kind;
	unsigned int flags;
	int64_t min, max;                  /* string: length; int, number: value; array: items */
	int (*check)(const char *s);       /* strings: 1 when the content is acceptable */
	const char *want;                  /* what check wants, for messages */
	const struct schema_field *members; /* SK_OBJECT */
	const struct schema_field *elem;   /* SK_ARRAY: the element (name unused) */
};

/* What a lenient read left out: "report.interfaces[0].ipv4 (not an array)"; ... */
struct schema_skipped {
	char text[512];
	unsigned int count;
};

/* Strict: the clean copy (new reference), or NULL with err naming the
 * member's path and the reason. */
json_object *schema_strict(json_object *doc, const struct schema_field *members, char *err, size_t errlen);

/* A request body: strict JSON (valid UTF-8, no trailing bytes, at most
 * max bytes, depth-limited), an object, checked by schema_strict.
 * refuse_unknown: a top-level member members does not name is an error
 * (a command's options), else it is dropped (a report of a newer agent). */
json_object *schema_parse(const char *body, size_t len, size_t max, const struct schema_field *members,
			  int refuse_unknown, char *err, size_t errlen);

/* Lenient: never fails on content; NULL only when doc is not an object
 * or memory runs out (sk says so). */
json_object *schema_lenient(json_object *doc, const struct schema_field *members, struct schema_skipped *sk);

/* Content checks shared by the tables. */
/* What a keyboard sends: UTF-8 with control characters (Enter, Ctrl-C,
 * escape sequences), no NUL. */
int schema_keys(const char *s);
int schema_text(const char *s);       /* UTF-8, no control characters */
int schema_word(const char *s);       /* [A-Za-z0-9._:@+-], not empty */
int schema_mac(const char *s);        /* aa:bb:cc:dd:ee:ff */
int schema_ipv4(const char *s);       /* dotted quad */
int schema_ipv4_cidr(const char *s);  /* dotted quad / 0-32 */
int schema_ip(const char *s);         /* IPv4 or IPv6 (no zone, no brackets) */
int schema_ipv6_cidr(const char *s);  /* IPv6 / 0-128 */
int schema_base64(const char *s);     /* [A-Za-z0-9+/=], not empty */
int schema_hex64(const char *s);
int schema_pubkey(const char *s);     /* one OpenSSH public key line: ssh-|ecdsa-|sk- type, base64, comment */      /* 64 lower-case hex digits (a SHA-256) */

#endif
