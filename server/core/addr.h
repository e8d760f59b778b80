/* IP addresses of either family as text: the one place that knows what
 * lifeboatd accepts (listen =, boot queries, stored documents) and how it
 * writes them (canonical text, so a session's bound address compares
 * with strcmp; brackets around IPv6 in URLs). Pure: no sockets opened. */
#ifndef LIFEBOAT_ADDR_H
#define LIFEBOAT_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* INET6_ADDRSTRLEN: room for any address lifeboatd stores or compares */
#define ADDR_TEXT_MAX 46

/* A strict dotted quad (no leading zeros, which some parsers read as
 * octal) into out. 0 or -EINVAL. */
int addr_parse_ipv4(const char *s, char out[16]);

/* An IPv6 address without brackets, zone or prefix, in canonical text
 * (RFC 5952, what inet_ntop writes); an IPv4-mapped one is refused (a
 * host that means IPv4 says so). 0 or -EINVAL. */
int addr_parse_ipv6(const char *s, char out[ADDR_TEXT_MAX]);

/* Either family: AF_INET or AF_INET6, or -EINVAL. */
int addr_parse(const char *s, char out[ADDR_TEXT_MAX]);

/* 1 when s is an IPv6 link-local address (fe80::/10). */
int addr_is_link_local6(const char *s);

/* The listen address: an IPv4 or IPv6 address, the latter optionally in
 * brackets; "::" listens on both families (IPv6 socket, IPV6_V6ONLY off).
 * Fills ss and its length (port 0), and bare (may be NULL) with the text
 * without brackets. 0 or -EINVAL. */
int addr_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char bare[ADDR_TEXT_MAX]);

/* 1 for 0.0.0.0 and :: (no agent can be sent there). */
int addr_is_wildcard(const char *s);

/* A peer's address as text; IPv4-mapped IPv6 (a dual-stack listener's
 * IPv4 peers) as the dotted quad, so one machine has one name whichever
 * socket it came in on. 0 or -EAFNOSUPPORT. */
int addr_from_sockaddr(const struct sockaddr *sa, char out[ADDR_TEXT_MAX]);

/* host as it goes into a URL or ssh's known_hosts with a port: IPv6 in
 * brackets, anything else as it is. */
void addr_url_host(const char *host, char *out, size_t len);

#endif
