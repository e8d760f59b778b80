/* GET /payload/<name>: the files in payload_dir with sendfile (MHD's fd
 * responses), Range, ETag and Last-Modified. Never takes the state lock. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lifeboatd/http.h"
#include "lifeboatd/server.h"
#include "core/range.h"

static int payload_name_ok(const char *n)
{
	size_t l = strlen(n);

	return l > 0 && l < 128 && n[0] != '.' &&
	       strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == l;
}

static enum MHD_Result empty(struct MHD_Connection *c, struct req *r, unsigned int status, const char *header,
			     const char *value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (resp != NULL) {
		MHD_add_response_header(resp, header, value);
	}
	return http_queue(c, r, status, resp, 0);
}

enum MHD_Result handle_payload(struct MHD_Connection *c, struct req *r, const char *name)
{
	char path[700], etag[64], lastmod[64], crange[96];
	const char *inm = NULL;
	struct MHD_Response *resp = NULL;
	struct stat st;
	struct tm tm;
	uint64_t start = 0, end = 0;
	int fd, range;

	if (!payload_name_ok(name)) {
		return http_text(c, r, 404, "no such payload file");
	}
	snprintf(path, sizeof(path), "%s/%s", srv.conf.payload_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return http_text(c, r, 404, "no such payload file");
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return http_text(c, r, 404, "no such payload file");
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtime);
	gmtime_r(&st.st_mtime, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm != NULL && strcmp(inm, etag) == 0) {
		close(fd);
		return empty(c, r, 304, MHD_HTTP_HEADER_ETAG, etag);
	}
	range = range_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE),
			    (uint64_t)st.st_size, &start, &end);
	if (range < 0) {
		close(fd);
		snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)st.st_size);
		return empty(c, r, 416, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
	}
	if (range == 0) {
		start = 0;
		end = st.st_size > 0 ? (uint64_t)st.st_size - 1 : 0;
	}
	resp = MHD_create_response_from_fd_at_offset64(st.st_size == 0 ? 0 : end - start + 1, fd, (uint64_t)start);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (range == 1) {
		snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)end, (unsigned long long)st.st_size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
		return http_queue(c, r, 206, resp, end - start + 1);
	}
	return http_queue(c, r, 200, resp, (uint64_t)st.st_size);
}
