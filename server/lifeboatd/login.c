#define _GNU_SOURCE
#include <errno.h>
#include <nettle/memops.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/admin.h"
#include "lifeboatd/login.h"
#include "lifeboatd/server.h"
#include "core/conf.h"
#include "core/page.h"
#include "core/session.h"

#define MAX_LOGINS 256

struct login {
	char hash[65];      /* SHA-256 of the cookie's value; "" when free */
	char name[ADMIN_NAME_MAX + 1];
	char token[65];     /* SHA-256 of the admin token it was made with: revoked, it ends */
	long long expires;
};

static struct login logins[MAX_LOGINS];
static pthread_mutex_t logins_mu = PTHREAD_MUTEX_INITIALIZER;

static int login_new(const char *name, const char token_sha256[65], char id[LB_TOKEN_LEN + 1])
{
	long long now = (long long)time(NULL);
	size_t i, slot = 0;

	if (store_new_token(id) < 0) {
		return -1;
	}
	pthread_mutex_lock(&logins_mu);
	for (i = 0; i < MAX_LOGINS; i++) {
		if (logins[i].hash[0] == '\0' || logins[i].expires <= now) {
			slot = i;
			break;
		}
		if (logins[i].expires < logins[slot].expires) {
			slot = i; /* full: the one that ends first goes */
		}
	}
	token_hash(id, logins[slot].hash);
	snprintf(logins[slot].name, sizeof(logins[slot].name), "%s", name);
	memcpy(logins[slot].token, token_sha256, sizeof(logins[slot].token));
	logins[slot].expires = now + LOGIN_SECONDS;
	pthread_mutex_unlock(&logins_mu);
	return 0;
}

/* every slot compared, each in constant time; token (may be NULL) gets
 * the admin token's hash */
static int login_find(const char *id, char name[ADMIN_NAME_MAX + 1], char token[65], int end)
{
	long long now = (long long)time(NULL);
	char hash[65];
	size_t i;
	int found = -1;

	token_hash(id, hash);
	pthread_mutex_lock(&logins_mu);
	for (i = 0; i < MAX_LOGINS; i++) {
		if (logins[i].hash[0] != '\0' && memeql_sec(logins[i].hash, hash, 64) && logins[i].expires > now) {
			found = (int)i;
		}
	}
	if (found >= 0) {
		snprintf(name, ADMIN_NAME_MAX + 1, "%s", logins[found].name);
		if (token != NULL) {
			memcpy(token, logins[found].token, 65);
		}
		if (end) {
			logins[found].hash[0] = '\0';
		}
	}
	pthread_mutex_unlock(&logins_mu);
	return found >= 0 ? 0 : -1;
}

static const char *cookie(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, LOGIN_COOKIE);
	size_t n = v ? strlen(v) : 0;

	return n == LB_TOKEN_LEN && strspn(v, LB_TOKEN_CHARS) == n ? v : NULL;
}

int login_csrf(struct MHD_Connection *c, char out[65])
{
	const char *id = cookie(c);
	char name[ADMIN_NAME_MAX + 1], seed[LB_TOKEN_LEN + 8];

	if (id == NULL || login_find(id, name, NULL, 0) < 0) {
		return -1;
	}
	snprintf(seed, sizeof(seed), "csrf:%s", id);
	token_hash(seed, out);
	return 0;
}

int login_csrf_ok(struct MHD_Connection *c, const char *form)
{
	char want[65], got[80] = "";

	if (login_csrf(c, want) < 0 || form == NULL || form_field(form, "csrf", got, sizeof(got)) < 0 ||
	    strlen(got) != 64) {
		return 0;
	}
	return memeql_sec(want, got, 64);
}

static enum MHD_Result login_page(struct MHD_Connection *c, struct req *r, unsigned int status, const char *msg)
{
	struct page pg;
	enum MHD_Result ret;

	page_login(&pg, msg);
	if (pg.failed) {
		page_free(&pg);
		return http_text(c, r, 500, "out of memory");
	}
	if (status >= 400) {
		snprintf(r->why, sizeof(r->why), "%s", msg ? msg : "authentication required");
	}
	ret = http_respond(c, r, status, "text/html; charset=utf-8", pg.p, pg.len);
	page_free(&pg);
	return ret;
}

static int wants_html(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	return accept != NULL && strstr(accept, "text/html") != NULL;
}

/* "https://host[:port]" of this request as a browser names its origin:
 * the listener's scheme and the Host header (already checked against
 * admin_hosts), the scheme's default port left out. */
static void own_origin(const struct req *r, const char *host, char *out, size_t len)
{
	const char *scheme = r->tls ? "https://" : "http://", *dflt = r->tls ? ":443" : ":80";
	size_t n = strlen(host), d = strlen(dflt);

	if (n > d && strcmp(host + n - d, dflt) == 0) {
		n -= d;
	}
	snprintf(out, len, "%s%.*s", scheme, (int)n, host);
}

/* 1 when url is origin itself or below it (origin + "/..."); the default
 * port written out in url counts as left out. */
static int same_origin(const char *url, const char *origin, int tls)
{
	const char *dflt = tls ? ":443" : ":80";
	size_t n = strlen(origin);

	if (strncasecmp(url, origin, n) != 0) {
		return 0;
	}
	if (strncmp(url + n, dflt, strlen(dflt)) == 0) {
		n += strlen(dflt);
	}
	return url[n] == '\0' || url[n] == '/';
}

/* The listener, the Host header, and where the request comes from: an
 * Origin must be this server's own (scheme, host and port; "null", what a
 * page with no-referrer or a sandbox sends, is not); a change (POST) a
 * browser makes without Origin needs a same-origin Referer. A client with
 * neither header (curl, lifeboatctl) authenticates with a Bearer token,
 * which no page elsewhere can make a browser send. 0, or the answer
 * queued. */
static int check_origin(struct MHD_Connection *c, struct req *r, int browser, enum MHD_Result *ret)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *referer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER);
	char msg[700], own[300];

	if (srv.conf.tls_port != 0 && !r->tls && !srv.conf.admin_http) {
		snprintf(msg, sizeof(msg), "the admin interface is served over HTTPS: %s/",
			 srv.conf.tls_public_url);
		*ret = http_text(c, r, 403, msg);
		return -1;
	}
	if (!admin_host_allowed(srv.conf.admin_hosts, host)) {
		/* DNS rebinding: a page from elsewhere that resolves to us */
		*ret = http_text(c, r, host ? 421 : 400, host ? "this server does not answer to that Host "
							       "(admin_hosts)"
							     : "the request has no Host header");
		return -1;
	}
	own_origin(r, host, own, sizeof(own));
	if (origin != NULL && strcmp(origin, "null") == 0) {
		*ret = http_text(c, r, 403, "a request from an opaque origin (Origin: null)");
		return -1;
	}
	if (origin != NULL && !same_origin(origin, own, r->tls)) {
		*ret = http_text(c, r, 403, "a request from another site");
		return -1;
	}
	if (origin == NULL && strcmp(r->method, "POST") == 0 &&
	    ((referer != NULL && !same_origin(referer, own, r->tls)) || (referer == NULL && browser))) {
		*ret = http_text(c, r, 403, "a change without Origin or a Referer of this server");
		return -1;
	}
	return 0;
}

/* The request's login: 0 with the admin's name, while the admin token it
 * was made with is not revoked (asked of the store at each request, so a
 * revocation on any lifeboatd of the database ends it at once). */
/* 0, -ENOENT (no such login, or it ended now: its token was revoked),
 * or -errno when the database could not say (the login is kept). */
static int login_valid(const char *id, char name[ADMIN_NAME_MAX + 1])
{
	char token[65], now_name[ADMIN_NAME_MAX + 1];
	int rc;

	if (login_find(id, name, token, 0) < 0) {
		return -ENOENT;
	}
	rc = admin_token_by_hash(&srv.store, token, now_name);
	if (rc < 0 && rc != -ENOENT) {
		return rc;
	}
	if (rc < 0 || strcmp(now_name, name) != 0) {
		login_find(id, name, NULL, 1); /* revoked: the login ends */
		fprintf(stderr, "lifeboatd: admin %s's login ended: its admin token was revoked\n", name);
		return -ENOENT;
	}
	return 0;
}

int admin_credential(struct MHD_Connection *c, char out[ADMIN_CREDENTIAL_MAX])
{
	const char *token = http_bearer(c), *id = cookie(c);

	out[0] = '\0';
	if (token != NULL && strlen(token) + 2 < ADMIN_CREDENTIAL_MAX) {
		snprintf(out, ADMIN_CREDENTIAL_MAX, "t:%s", token);
	} else if (token == NULL && id != NULL) {
		snprintf(out, ADMIN_CREDENTIAL_MAX, "l:%s", id);
	}
	return out[0] != '\0';
}

int admin_recheck(const char *cred)
{
	char name[ADMIN_NAME_MAX + 1];

	if (cred[0] == 't') {
		return admin_token_find(&srv.store, cred + 2, name);
	}
	if (cred[0] == 'l') {
		return login_valid(cred + 2, name);
	}
	return 0; /* the control socket: the kernel said who, once for the connection */
}

int admin_gate(struct MHD_Connection *c, struct req *r, char name[33], enum MHD_Result *ret)
{
	const char *token = http_bearer(c), *id = cookie(c);
	int rc = -ENOENT;

	if (check_origin(c, r, token == NULL && id != NULL, ret) < 0) {
		return -1;
	}
	if (token != NULL) {
		rc = admin_token_find(&srv.store, token, name);
	} else if (id != NULL) {
		rc = login_valid(id, name);
		r->by_login = rc == 0;
	}
	if (rc == 0) {
		return 0;
	}
	if (rc != -ENOENT && rc != -EINVAL) {
		/* not a refusal: nobody could check (the database does not answer) */
		*ret = http_text(c, r, 503, "cannot check the credentials now: the database does not answer");
		return -1;
	}
	if (wants_html(c)) {
		*ret = login_page(c, r, 401, token || id ? "That token or login is not valid (any more)." : NULL);
	} else {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			strlen("lifeboatd: authentication required\n"), (void *)"lifeboatd: authentication required\n",
			MHD_RESPMEM_PERSISTENT);

		if (resp != NULL) {
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lifeboat\"");
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		}
		snprintf(r->why, sizeof(r->why), "%s", token || id ? "invalid or revoked admin credentials" :
								      "authentication required");
		*ret = http_queue(c, r, 401, resp, 0);
	}
	return -1;
}

enum MHD_Result handle_login_form(struct MHD_Connection *c, struct req *r, const char *rest)
{
	enum MHD_Result ret;

	if (check_origin(c, r, 0, &ret) < 0) {
		return ret;
	}
	return login_page(c, r, 200, NULL);
}

enum MHD_Result login_redirect(struct MHD_Connection *c, struct req *r, const char *to, const char *set_cookie)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (resp == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, to);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (set_cookie != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
	}
	return http_queue(c, r, 303, resp, 0);
}

enum MHD_Result handle_login(struct MHD_Connection *c, struct req *r, const char *rest)
{
	char token[LB_TOKEN_MAX + 1], name[ADMIN_NAME_MAX + 1], id[LB_TOKEN_LEN + 1], set[200], hash[65];
	enum MHD_Result ret;
	int rc;

	if (check_origin(c, r, 0, &ret) < 0) {
		return ret;
	}
	rc = r->body == NULL || form_field(r->body, "token", token, sizeof(token)) < 0 ?
		     -ENOENT :
		     admin_token_find(&srv.store, token, name);
	if (rc == -ENOENT || rc == -EINVAL) {
		return login_page(c, r, 401, "That is not a valid admin token.");
	}
	if (rc < 0) {
		return login_page(c, r, 503, "The token cannot be checked now: the database does not answer.");
	}
	token_hash(token, hash);
	if (login_new(name, hash, id) < 0) {
		return http_text(c, r, 500, "cannot make a login: no randomness");
	}
	snprintf(set, sizeof(set), LOGIN_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", id,
		 LOGIN_SECONDS, r->tls ? "; Secure" : "");
	fprintf(stderr, "lifeboatd: admin %s signed in from %s\n", name, r->client);
	return login_redirect(c, r, "/", set);
}

enum MHD_Result handle_logout(struct MHD_Connection *c, struct req *r, const char *rest)
{
	const char *id = cookie(c);
	char name[ADMIN_NAME_MAX + 1];
	enum MHD_Result ret;

	/* signing out is no harm a page elsewhere could do: only an Origin
	 * or Referer of another site (or null) is refused */
	if (check_origin(c, r, 0, &ret) < 0) {
		return ret;
	}
	if (id != NULL && login_find(id, name, NULL, 1) == 0) {
		fprintf(stderr, "lifeboatd: admin %s signed out\n", name);
	}
	return login_redirect(c, r, "/login", LOGIN_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}
