#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

int addr_parse_ipv4(const char *s, char out[16])
{
	struct in_addr a;
	size_t i, n = strlen(s);

	/* inet_pton alone takes what we want: four decimal parts; refuse
	 * leading zeros, which some parsers read as octal */
	if (n == 0 || n > 15 || inet_pton(AF_INET, s, &a) != 1) {
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '0' && (i == 0 || s[i - 1] == '.') && i + 1 < n && s[i + 1] != '.') {
			return -EINVAL;
		}
	}
	strcpy(out, s);
	return 0;
}

int addr_parse_ipv6(const char *s, char out[ADDR_TEXT_MAX])
{
	struct in6_addr a;

	/* inet_pton takes no zone ("%eth0"), prefix or brackets */
	if (strlen(s) >= ADDR_TEXT_MAX || inet_pton(AF_INET6, s, &a) != 1 || IN6_IS_ADDR_V4MAPPED(&a)) {
		return -EINVAL;
	}
	inet_ntop(AF_INET6, &a, out, ADDR_TEXT_MAX);
	return 0;
}

int addr_parse(const char *s, char out[ADDR_TEXT_MAX])
{
	if (addr_parse_ipv4(s, out) == 0) {
		return AF_INET;
	}
	if (addr_parse_ipv6(s, out) == 0) {
		return AF_INET6;
	}
	return -EINVAL;
}

int addr_is_link_local6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1 && IN6_IS_ADDR_LINKLOCAL(&a);
}

int addr_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char bare[ADDR_TEXT_MAX])
{
	char inner[ADDR_TEXT_MAX];
	size_t n = strlen(s);
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(inner)) {
		return -EINVAL;
	}
	memcpy(inner, s, n);
	inner[n] = '\0';
	if (inet_pton(AF_INET, inner, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, inner, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	if (bare != NULL) {
		strcpy(bare, inner);
	}
	return 0;
}

int addr_is_wildcard(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (addr_listen(s, &ss, &len, NULL) < 0) {
		return 0;
	}
	if (ss.ss_family == AF_INET) {
		return ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	return IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

int addr_from_sockaddr(const struct sockaddr *sa, char out[ADDR_TEXT_MAX])
{
	const struct in6_addr *a6 = NULL;

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, ADDR_TEXT_MAX);
		return 0;
	}
	if (sa->sa_family != AF_INET6) {
		return -EAFNOSUPPORT;
	}
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		inet_ntop(AF_INET, &a6->s6_addr[12], out, ADDR_TEXT_MAX);
	} else {
		inet_ntop(AF_INET6, a6, out, ADDR_TEXT_MAX);
	}
	return 0;
}

void addr_url_host(const char *host, char *out, size_t len)
{
	snprintf(out, len, strchr(host, ':') != NULL && host[0] != '[' ? "[%s]" : "%s", host);
}
