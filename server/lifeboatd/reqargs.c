/* What the control API's handlers read off a request alike (reqargs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lifeboatd/reqargs.h"

void req_who(const struct req *r, char *by, size_t len)
{
	snprintf(by, len, "%s %s", r->local ? "local user" : "admin", r->admin[0] ? r->admin : "?");
}

#define SINCE_MAX (366LL * 86400)

int req_since(struct MHD_Connection *c, long long *seconds)
{
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	char *end = NULL;

	*seconds = 0;
	if (since == NULL) {
		return 0;
	}
	errno = 0;
	*seconds = strtoll(since, &end, 10);
	if (errno != 0 || end == since || *end != '\0' || *seconds < 1 || *seconds > SINCE_MAX) {
		return -EINVAL;
	}
	return 0;
}
