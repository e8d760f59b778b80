#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>

#include "core/json.h"
#include "core/media.h"

const char *media_refusal(json_object *media, const struct session *s, const char *key, long long now)
{
	const char *state = jstr(media, "state");

	if (media == NULL || !token_matches(jstr(media, "key_sha256"), key)) {
		return "no such rescue ISO";
	}
	if (jint(media, "session") != s->id || session_effective(s, now, NULL) != SS_ACTIVE) {
		return "its rescue session ended";
	}
	if (strcmp(state, "ejected") == 0) {
		return "it was ejected";
	}
	if (strcmp(state, "inserting") != 0 && strcmp(state, "inserted") != 0) {
		return "it was never inserted";
	}
	if (now >= jint(media, "expires")) {
		return "its time is up";
	}
	return NULL;
}

void media_token(const char *key, char token[LB_TOKEN_LEN + 1])
{
	static const char alphabet[] = LB_TOKEN_CHARS;
	static const char domain[] = "lifeboat media token\n"; /* not the token_hash of anything */
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	size_t i;

	_Static_assert(SHA256_DIGEST_SIZE >= LB_TOKEN_LEN, "a byte per symbol");
	sha256_init(&ctx);
	sha256_update(&ctx, sizeof(domain) - 1, (const uint8_t *)domain);
	sha256_update(&ctx, strlen(key), (const uint8_t *)key);
	sha256_digest(&ctx, sizeof(d), d);
	for (i = 0; i < LB_TOKEN_LEN; i++) {
		token[i] = alphabet[d[i] & 63]; /* 64 symbols: no bias */
	}
	token[LB_TOKEN_LEN] = '\0';
}

/* A streaming search: the mark, then its run of '#'. The file is read
 * once in blocks; a mark across two blocks is found (the tail is kept). */
int media_iso_scan(FILE *f, struct media_iso *m)
{
	static const char mark[] = LB_MEDIA_MARK;
	const size_t ml = sizeof(mark) - 1;
	char buf[65536 + sizeof(mark)];
	size_t have = 0, got, i, run = 0;
	uint64_t base = 0;  /* file offset of buf[0] */
	int in_region = 0;

	memset(m, 0, sizeof(*m));
	m->len = (size_t)-1;
	while ((got = fread(buf + have, 1, sizeof(buf) - have, f)) > 0) {
		size_t end = have + got, keep;

		for (i = 0; i < end; i++) {
			if (in_region) {
				if (buf[i] == '#') {
					run++;
					continue;
				}
				if (run < m->len) {
					m->len = run;
				}
				in_region = 0;
			}
			if (i + ml <= end && memcmp(buf + i, mark, ml) == 0) {
				if (m->n == MEDIA_REGIONS_MAX) {
					return -E2BIG;
				}
				m->off[m->n++] = base + i;
				run = ml;
				in_region = 1;
				i += ml - 1;
			} else if (i + ml > end) {
				break; /* maybe a mark's beginning: keep it for the next block */
			}
		}
		keep = end - i;
		memmove(buf, buf + i, keep);
		base += i;
		have = keep;
	}
	if (ferror(f)) {
		return errno != 0 ? -errno : -EIO;
	}
	if (in_region && run < m->len) {
		m->len = run;
	}
	if (m->n == 0) {
		m->len = 0;
		return -ENOENT;
	}
	return 0;
}

void media_iso_overlay(const struct media_iso *m, const char *args, uint64_t off, char *buf, size_t n)
{
	size_t al = strlen(args), r;

	for (r = 0; r < m->n; r++) {
		uint64_t a = m->off[r] > off ? m->off[r] : off;
		uint64_t b = m->off[r] + m->len < off + n ? m->off[r] + m->len : off + n;
		uint64_t p;

		for (p = a; p < b; p++) {
			uint64_t k = p - m->off[r];

			buf[p - off] = k < al ? args[k] : ' ';
		}
	}
}
