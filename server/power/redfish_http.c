#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/buf.h"
#include "core/json.h"
#include "power/redfish_http.h"

#define BODY_MAX (1024 * 1024)

struct sink {
	struct buf body;
	struct rf_reply *rep;
	char *token;      /* the login's X-Auth-Token, or NULL */
	size_t token_len;
};

static size_t take_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;

	return buf_append(&s->body, data, size * nmemb, BODY_MAX) == 0 ? size * nmemb : 0;
}

/* "Name: value\r\n" into out when the header is name */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t len)
{
	size_t k = strlen(name), v = 0;

	if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':') {
		return;
	}
	for (v = k + 1; v < n && (line[v] == ' ' || line[v] == '\t'); v++) {
	}
	while (n > v && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ')) {
		n--;
	}
	snprintf(out, len, "%.*s", (int)(n - v), line + v);
}

static size_t take_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	header_value(data, n, "ETag", s->rep->etag, sizeof(s->rep->etag));
	header_value(data, n, "Location", s->rep->location, sizeof(s->rep->location));
	if (s->token != NULL) {
		header_value(data, n, "X-Auth-Token", s->token, s->token_len);
	}
	return n;
}

/* libcurl's failures an admin can act on */
static int say_curl(struct rf *r, CURLcode c, const char *what)
{
	switch (c) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
		snprintf(r->err, r->errlen, "%s: %s: the BMC's certificate did not check out (%s; give its CA with --ca "
			 "or its key with --pin)", r->b->address, what, curl_easy_strerror(c));
		return -EPROTO;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(r->err, r->errlen, "%s: %s: no answer from the BMC (%s)", r->b->address, what,
			 curl_easy_strerror(c));
		return -EHOSTUNREACH;
	default:
		snprintf(r->err, r->errlen, "%s: %s: %s", r->b->address, what, curl_easy_strerror(c));
		return -EIO;
	}
}

/* A path the BMC gave (@odata.id, Location, a target) as a path on the
 * configured BMC: an absolute URL keeps only its path (a URL elsewhere
 * never gets our token or credentials), anything else must be a path;
 * NULL when it is not one (or holds what a URL or a header must not). */
static const char *on_this_bmc(const char *path)
{
	size_t i;

	if (strncasecmp(path, "https://", 8) == 0 || strncasecmp(path, "http://", 7) == 0) {
		path = strchr(path + (path[4] == ':' ? 7 : 8), '/');
		if (path == NULL) {
			return NULL;
		}
	}
	if (path[0] != '/' || path[1] == '/') {
		return NULL;
	}
	for (i = 0; path[i] != '\0'; i++) {
		if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f || path[i] == '#') {
			return NULL;
		}
	}
	return path;
}

int rf_etag_ok(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "W/", 2) == 0) {
		s += 2;
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		return 0;
	}
	for (s++, n -= 2; n > 0; s++, n--) {
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e || *s == '"') {
			return 0;
		}
	}
	return 1;
}

/* A session token we may put in a header line: visible ASCII only. */
static int token_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e) {
			return 0;
		}
	}
	return 1;
}

/* One request as it is (no re-login). */
static int request(struct rf *r, const char *method, const char *path, json_object *body, const char *if_match,
		   char *token_out, struct rf_reply *out)
{
	CURL *c = r->curl;
	struct curl_slist *h = NULL;
	struct sink s = { .body = { .p = NULL }, .rep = out, .token = token_out,
			  .token_len = token_out != NULL ? sizeof(r->token) : 0 };
	char url[1024], line[400];
	uint64_t now = lb_mono_ms();
	const char *text = body != NULL ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	CURLcode rc;
	long left = r->deadline > now ? (long)(r->deadline - now) : 0;

	out->status = 0;
	out->body = NULL;
	out->etag[0] = out->location[0] = '\0';
	if (left <= 0) {
		snprintf(r->err, r->errlen, "%s: %s %s: no answer from the BMC in time", r->b->address, method, path);
		return -EHOSTUNREACH;
	}
	path = on_this_bmc(path);
	if (path == NULL) {
		snprintf(r->err, r->errlen, "%s: %s: the BMC named a place that is not a path on it", r->b->address, method);
		return -EIO;
	}
	snprintf(url, sizeof(url), "%s%s", r->b->address, path);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "OData-Version: 4.0");
	h = curl_slist_append(h, "Accept-Encoding: identity");
	h = curl_slist_append(h, "Expect:");
	if (text != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	if (if_match != NULL && rf_etag_ok(if_match)) {
		snprintf(line, sizeof(line), "If-Match: %s", if_match);
		h = curl_slist_append(h, line);
	}
	if (token_out == NULL && r->token[0] != '\0') {
		snprintf(line, sizeof(line), "X-Auth-Token: %s", r->token);
		h = curl_slist_append(h, line);
	}
	if (text == NULL && strcmp(method, "POST") == 0) {
		/* an action without parameters (EjectMedia): Content-Length: 0,
		 * no form Content-Type (a BMC may want a length: 411) */
		h = curl_slist_append(h, "Content-Type:");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (text != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text != NULL ? text : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, text != NULL ? (long)strlen(text) : 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* no body, no form Content-Type (a DELETE) */
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
			 strcmp(method, text != NULL || strcmp(method, "POST") == 0 ? "POST" : "GET") == 0 ? NULL : method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left < 10000 ? left : 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	if (r->basic) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, r->b->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->b->password);
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && s.body.too_big)) {
		free(s.body.p);
		snprintf(line, sizeof(line), "%s %s", method, path);
		return say_curl(r, rc, line);
	}
	if (s.body.too_big) {
		free(s.body.p);
		snprintf(r->err, r->errlen, "%s: %s %s: an answer over %d bytes", r->b->address, method, path, BODY_MAX);
		return -EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = s.body.p != NULL ? json_tokener_parse(s.body.p) : NULL;
	free(s.body.p);
	return 0;
}

void rf_reply_free(struct rf_reply *out)
{
	json_object_put(out->body);
	out->body = NULL;
}

const char *rf_message_id(const struct rf_reply *rep)
{
	json_object *e = jget(rep->body, "error"), *info = NULL;

	if (!json_object_object_get_ex(e != NULL ? e : rep->body, "@Message.ExtendedInfo", &info) ||
	    !json_object_is_type(info, json_type_array) || json_object_array_length(info) == 0) {
		return "";
	}
	return jstr(json_object_array_get_idx(info, 0), "MessageId");
}

/* The BMC's words for a message: printable ASCII, at most len - 1. */
static void clean_words(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++) {
		out[i] = (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f ? in[i] : '?';
	}
	out[i] = '\0';
}

int rf_refused(struct rf *r, const char *what, const struct rf_reply *rep)
{
	json_object *e = jget(rep->body, "error"), *info = NULL;
	const char *raw = jstr(e, "message");
	char words[300];

	if (json_object_object_get_ex(e != NULL ? e : rep->body, "@Message.ExtendedInfo", &info) &&
	    json_object_is_type(info, json_type_array) && json_object_array_length(info) > 0) {
		json_object *m = json_object_array_get_idx(info, 0);

		raw = jstr(m, "Message")[0] ? jstr(m, "Message") : jstr(m, "MessageId");
	}
	clean_words(raw, words, sizeof(words));
	if (rep->status == 401 || rep->status == 403) {
		snprintf(r->err, r->errlen, "%s: %s: the BMC refused %s (%ld%s%s)", r->b->address, what,
			 rep->status == 401 ? "the credentials" : "it: that user may not do it", rep->status,
			 words[0] ? ": " : "", words);
		return -EACCES;
	}
	snprintf(r->err, r->errlen, "%s: %s: the BMC answered %ld%s%s", r->b->address, what, rep->status,
		 words[0] ? ": " : "", words);
	return -EIO;
}

/* POST .../SessionService/Sessions; Basic auth where there is none. */
static int login(struct rf *r)
{
	json_object *creds = json_object_new_object();
	struct rf_reply rep = { .status = 0 };
	int rc;

	json_object_object_add(creds, "UserName", json_object_new_string(r->b->user));
	json_object_object_add(creds, "Password", json_object_new_string(r->b->password));
	r->token[0] = r->session[0] = '\0';
	rc = request(r, "POST", "/redfish/v1/SessionService/Sessions", creds, NULL, r->token, &rep);
	json_object_put(creds);
	if (rc < 0) {
		return rc;
	}
	if ((rep.status == 200 || rep.status == 201) && r->token[0] != '\0') {
		if (!token_ok(r->token) || strlen(r->token) >= sizeof(r->token) - 1) {
			memset(r->token, 0, sizeof(r->token));
			snprintf(r->err, r->errlen, "%s: cannot log in: the BMC's session token is not one we can send",
				 r->b->address);
			rf_reply_free(&rep);
			return -EIO;
		}
		/* the session to delete at the end: Location, or the body's own id */
		snprintf(r->session, sizeof(r->session), "%s",
			 rep.location[0] ? rep.location : jstr(rep.body, "@odata.id"));
		rf_reply_free(&rep);
		return 0;
	}
	if (rep.status == 404 || rep.status == 405 || rep.status == 501) {
		r->basic = 1; /* no session service: every request carries the credentials */
		rf_reply_free(&rep);
		return 0;
	}
	rc = rf_refused(r, "cannot log in", &rep);
	rf_reply_free(&rep);
	return rc;
}

int rf_call(struct rf *r, const char *method, const char *path, json_object *body, const char *if_match,
	    struct rf_reply *out)
{
	int rc = request(r, method, path, body, if_match, NULL, out);

	if (rc == 0 && out->status == 401 && !r->basic) {
		/* the session expired (or the BMC dropped it): once more */
		rf_reply_free(out);
		rc = login(r);
		if (rc == 0) {
			rc = request(r, method, path, body, if_match, NULL, out);
		}
	}
	return rc;
}

/* The CA as a file for libcurl (GnuTLS builds take no in-memory CA). */
static int write_ca(struct rf *r)
{
	int fd = -1;
	size_t n = strlen(r->b->ca);

	snprintf(r->ca_path, sizeof(r->ca_path), "/tmp/lifeboat-bmc-ca.XXXXXX");
	fd = mkstemp(r->ca_path);
	if (fd < 0) {
		int rc = -errno;

		snprintf(r->err, r->errlen, "cannot write the BMC's CA: %s", strerror(-rc));
		r->ca_path[0] = '\0';
		return rc;
	}
	if (write(fd, r->b->ca, n) != (ssize_t)n) {
		close(fd);
		snprintf(r->err, r->errlen, "cannot write the BMC's CA: short write");
		return -EIO;
	}
	close(fd);
	return 0;
}

int rf_open(struct rf *r, const struct bmc *b, unsigned int ms, char *err, size_t errlen)
{
	CURL *c = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	r->b = b;
	r->err = err;
	r->errlen = errlen;
	r->deadline = lb_mono_ms() + ms;
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(err, errlen, "cannot talk to %s: libcurl failed", b->address);
		return -ENOMEM;
	}
	r->curl = c;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* straight to the BMC, whatever https_proxy says */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (b->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (b->pin[0] != '\0' && b->ca[0] == '\0') {
		/* the pinned key is the trust: no CA to name it */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, b->pin);
	} else {
		if (b->ca[0] != '\0') {
			rc = write_ca(r);
			if (rc < 0) {
				rf_close(r);
				return rc;
			}
			curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_path);
			curl_easy_setopt(c, CURLOPT_CAPATH, NULL); /* that CA alone, not the system's as well */
		}
		if (b->pin[0] != '\0') {
			curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, b->pin);
		}
	}
	rc = login(r);
	if (rc < 0) {
		rf_close(r);
	}
	return rc;
}

void rf_close(struct rf *r)
{
	struct rf_reply rep = { .status = 0 };

	if (r->curl != NULL && r->session[0] != '\0' && r->token[0] != '\0') {
		/* a few seconds more for the logout even when the work used up the time */
		if (r->deadline < lb_mono_ms() + 3000) {
			r->deadline = lb_mono_ms() + 3000;
		}
		if (request(r, "DELETE", r->session, NULL, NULL, NULL, &rep) == 0) {
			rf_reply_free(&rep);
		}
	}
	if (r->curl != NULL) {
		curl_easy_cleanup(r->curl);
		r->curl = NULL;
	}
	if (r->ca_path[0] != '\0') {
		unlink(r->ca_path);
		r->ca_path[0] = '\0';
	}
	memset(r->token, 0, sizeof(r->token));
}
