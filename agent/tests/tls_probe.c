/* The agent's HTTP(S) client on the host, for test-qemu/test_agent_tls.py:
 *   tls_probe URL [--ca FILE] [--pin sha256:HEX] [--token T] [--post BODY]
 * prints "status N" and the body, or "error: ..." and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tls.h"

int main(int argc, char **argv)
{
	static struct tls_trust trust;
	static struct http_response resp;
	static char pem[65536];
	const char *token = NULL, *post = NULL;
	struct url u;
	char err[700] = "";
	int i, rc;

	if (argc < 2 || url_parse(argv[1], &u, err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: tls_probe URL [--ca FILE] [--pin PIN] [--token T] [--post BODY] %s\n", err);
		return 2;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ca") == 0) {
			FILE *f = fopen(argv[i + 1], "re");
			size_t n;

			if (f == NULL) {
				perror(argv[i + 1]);
				return 2;
			}
			n = fread(pem, 1, sizeof(pem) - 1, f);
			pem[n] = '\0';
			fclose(f);
			if (tls_trust_add_pem(&trust, pem, argv[i + 1], err, sizeof(err)) < 0) {
				printf("error: %s\n", err);
				return 1;
			}
		} else if (strcmp(argv[i], "--pin") == 0) {
			if (tls_pin_parse(argv[i + 1], trust.pin, err, sizeof(err)) < 0) {
				printf("error: %s\n", err);
				return 1;
			}
			trust.have_pin = 1;
		} else if (strcmp(argv[i], "--token") == 0) {
			token = argv[i + 1];
		} else if (strcmp(argv[i], "--post") == 0) {
			post = argv[i + 1];
		}
	}
	rc = http_request(post ? "POST" : "GET", &u, &trust, NULL, token, post ? "application/json" : NULL, post,
			  post ? strlen(post) : 0, 10000, &resp, err, sizeof(err));
	if (rc < 0) {
		printf("error: %s (%s)\n", err, strerror(-rc));
		return 1;
	}
	printf("status %d\n%s", resp.status, resp.body);
	return 0;
}
