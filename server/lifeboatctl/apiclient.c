#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "lifeboatctl/apiclient.h"

#define ANSWER_MAX (16u << 20)

/* 1 when host (as libcurl's URL parser gives it: an IPv6 address in
 * brackets) is this machine's loopback: localhost, 127.0.0.0/8 or ::1,
 * judged on the parsed address, never on a prefix of the text. */
static int loopback(const char *host)
{
	char bare[64];
	struct in_addr a4;
	struct in6_addr a6;
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0) {
		return 1;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		return (ntohl(a4.s_addr) >> 24) == 127;
	}
	if (n > 2 && n < sizeof(bare) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = '\0';
		return inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return 0;
}

/* The URL's host, parsed by libcurl (the parser that will connect), and
 * whether it says a user: --server takes none (a URL such as
 * http://127.0.0.1@evil.example is evil.example). 0 or -EINVAL. */
static int server_host(const char *url, char *host, size_t len, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *h = NULL, *user = NULL;
	int rc = -EINVAL;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(err, errlen, "cannot use --server '%s': not a URL", url);
	} else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		snprintf(err, errlen, "cannot use --server '%s': a user in the URL (the admin token authenticates)", url);
	} else if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || strlen(h) >= len) {
		snprintf(err, errlen, "cannot use --server '%s': no host in it", url);
	} else {
		snprintf(host, len, "%s", h);
		rc = 0;
	}
	curl_free(h);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

static int read_token(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("LIFEBOAT_TOKEN");
	char buf[256] = "";
	FILE *f = NULL;

	if (path == NULL && env == NULL) {
		snprintf(err, errlen, "no admin token: give --token-file FILE or set LIFEBOAT_TOKEN "
				      "(lifeboatctl admin-token add NAME on the boot server makes one)");
		return -ENOENT;
	}
	if (path != NULL) {
		f = fopen(path, "re");
		if (f == NULL) {
			snprintf(err, errlen, "cannot read --token-file %s: %s", path, strerror(errno));
			return -errno;
		}
		if (fgets(buf, sizeof(buf), f) == NULL) {
			buf[0] = '\0';
		}
		fclose(f);
	} else {
		snprintf(buf, sizeof(buf), "%s", env);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strncmp(buf, "lba_", 4) != 0 || strlen(buf) >= len ||
	    strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(buf)) {
		snprintf(err, errlen, "the admin token in %s is not one (lba_...)", path ? path : "LIFEBOAT_TOKEN");
		return -EINVAL;
	}
	snprintf(out, len, "%s", buf);
	return 0;
}

int apiclient_setup(struct apiclient *ac, const char *url, const char *token_file, const char *cacert, char *err,
		    size_t errlen)
{
	char host[160];
	size_t n;

	memset(ac, 0, sizeof(*ac));
	n = strlen(url);
	if (n == 0 || n >= sizeof(ac->url) || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
		snprintf(err, errlen, "cannot use --server '%s': want https://host[:port]", url);
		return -EINVAL;
	}
	snprintf(ac->url, sizeof(ac->url), "%s", url);
	while (n > 0 && ac->url[n - 1] == '/') {
		ac->url[--n] = '\0';
	}
	if (server_host(ac->url, host, sizeof(host), err, errlen) < 0) {
		return -EINVAL;
	}
	if (strncmp(url, "http://", 7) == 0 && !loopback(host)) {
		snprintf(err, errlen, "refusing to send the admin token in clear to %s: use https://", ac->url);
		return -EINVAL;
	}
	if (cacert != NULL) {
		snprintf(ac->cacert, sizeof(ac->cacert), "%s", cacert);
	}
	return read_token(token_file, ac->token, sizeof(ac->token), err, errlen);
}

void apiclient_setup_local(struct apiclient *ac, const char *socket_path)
{
	memset(ac, 0, sizeof(*ac));
	snprintf(ac->url, sizeof(ac->url), "http://localhost");
	snprintf(ac->unix_path, sizeof(ac->unix_path), "%s", socket_path);
}

const char *apiclient_name(const struct apiclient *ac)
{
	return ac->unix_path[0] != '\0' ? ac->unix_path : ac->url;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	return buf_append(ctx, data, size * nmemb, ANSWER_MAX) == 0 ? size * nmemb : 0;
}

/* A handle for one request to path, with the token or the socket, body
 * (JSON) or none; its headers in *hdr (free them). NULL: out of memory. */
static CURL *prepare(const struct apiclient *ac, const char *method, const char *path, const char *body,
		     struct curl_slist **hdr)
{
	char auth[200], url[1200];
	CURL *c = curl_easy_init();

	if (c == NULL) {
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s", ac->url, path);
	if (ac->unix_path[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ac->unix_path);
	} else {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ac->token);
		*hdr = curl_slist_append(*hdr, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (body != NULL) {
		*hdr = curl_slist_append(*hdr, "Content-Type: application/json");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	if (ac->cacert[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_CAINFO, ac->cacert);
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lifeboatctl");
	return c;
}

int apiclient_call(const struct apiclient *ac, const char *method, const char *path, const char *body, long *status,
		   char **out, char *err, size_t errlen)
{
	struct buf a = { .p = NULL };
	struct curl_slist *hdr = NULL;
	CURLcode cc;
	CURL *c = prepare(ac, method, path, body, &hdr);
	int rc = 0;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "cannot reach %s: %s", apiclient_name(ac), a.too_big ? "the answer is too large" :
									  curl_easy_strerror(cc));
		free(a.p);
		rc = -EIO;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*out = a.p ? a.p : strdup("");
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

struct stream {
	CURL *c;
	long status;
	apiclient_piece_fn fn;
	void *ctx;
	int rc;                 /* what fn returned when it stopped the transfer */
	const volatile int *stop;
	struct buf answer;      /* a status other than 200: the server's words */
};

static size_t on_piece(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct stream *s = ctx;
	size_t n = size * nmemb;

	if (s->status == 0) {
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	}
	if (s->status != 200) {
		buf_append(&s->answer, data, n, 4096);
		return n;
	}
	s->rc = s->fn(data, n, s->ctx);
	return s->rc == 0 ? n : 0;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct stream *s = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return s->stop != NULL && *s->stop ? 1 : 0;
}

#define STREAM_SILENCE_S 45L /* lifeboatd's heartbeat comes every 15 s */

int apiclient_stream(const struct apiclient *ac, const char *path, apiclient_piece_fn fn, void *ctx,
		     const volatile int *stop, long *status, char **out, char *err, size_t errlen)
{
	struct stream s = { .fn = fn, .ctx = ctx, .stop = stop, .answer = { .p = NULL } };
	struct curl_slist *hdr = NULL;
	CURLcode cc;
	int rc = 0;

	*out = NULL;
	*status = 0;
	hdr = curl_slist_append(hdr, "Accept: text/event-stream");
	s.c = prepare(ac, "GET", path, NULL, &hdr);
	if (s.c == NULL) {
		curl_slist_free_all(hdr);
		snprintf(err, errlen, "cannot start libcurl");
		return -ENOMEM;
	}
	curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, on_piece);
	curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s.c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s.c, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(s.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s.c, CURLOPT_LOW_SPEED_TIME, STREAM_SILENCE_S);
	cc = curl_easy_perform(s.c);
	if (s.status == 0) {
		curl_easy_getinfo(s.c, CURLINFO_RESPONSE_CODE, &s.status);
	}
	*status = s.status;
	if (cc == CURLE_ABORTED_BY_CALLBACK || (cc == CURLE_WRITE_ERROR && s.rc != 0)) {
		rc = cc == CURLE_WRITE_ERROR ? s.rc : 0; /* stopped by us */
	} else if (s.status != 0 && s.status != 200) {
		*out = s.answer.p != NULL ? s.answer.p : strdup("");
		s.answer.p = NULL;
	} else if (cc == CURLE_OK) {
		snprintf(err, errlen, "%s ended the stream", apiclient_name(ac));
		rc = -ECONNRESET;
	} else {
		snprintf(err, errlen, "cannot follow %s: %s", apiclient_name(ac),
			 cc == CURLE_OPERATION_TIMEDOUT ? "it sent nothing for 45 s" : curl_easy_strerror(cc));
		rc = -EIO;
	}
	free(s.answer.p);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(s.c);
	return rc;
}
