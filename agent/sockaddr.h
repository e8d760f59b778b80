/* The address bytes inside a struct sockaddr of family (AF_INET or
 * AF_INET6), for inet_ntop/inet_pton and netmask arithmetic (getifaddrs,
 * getsockname, bind). The family is the caller's: a netmask from
 * getifaddrs need not carry one. */
#ifndef LIFEBOAT_SOCKADDR_H
#define LIFEBOAT_SOCKADDR_H

#include <netinet/in.h>
#include <sys/socket.h>

static inline void *sockaddr_addr(const struct sockaddr *sa, int family)
{
	return family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)sa)->sin6_addr
					 : (void *)&((struct sockaddr_in *)sa)->sin_addr;
}

#endif
