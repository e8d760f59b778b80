#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"

struct nl_req {
	struct nlmsghdr hdr;
	char body[512];
};

static void nl_put_attr(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)&req->hdr + NLMSG_ALIGN(req->hdr.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0) {
		memcpy(RTA_DATA(rta), data, len);
	}
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Sends req and waits for the kernel's ack. Returns 0 or -errno. */
static int nl_transact(struct nl_req *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *h = NULL;
	ssize_t n;
	int fd, rc = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		return -errno;
	}
	req->hdr.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->hdr.nlmsg_seq = 1;
	if (sendto(fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err_send;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto err_recv;
	}
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
	}
err_recv:
err_send:
	close(fd);
	return rc;
}

/* Starts an RTM_NEWLINK request for ifindex (0: a new link). */
static struct ifinfomsg *nl_newlink_init(struct nl_req *req, int ifindex)
{
	struct ifinfomsg *ifi = NULL;

	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	req->hdr.nlmsg_type = RTM_NEWLINK;
	ifi = NLMSG_DATA(&req->hdr);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

int nl_link_up(int ifindex)
{
	struct nl_req req;
	struct ifinfomsg *ifi = nl_newlink_init(&req, ifindex);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_transact(&req);
}

/* Starts an RTM_NEWADDR request: family's address of alen bytes. */
static void nl_newaddr_init(struct nl_req *req, int family, int ifindex, const void *addr, size_t alen,
			    unsigned int prefix, unsigned char flags)
{
	struct ifaddrmsg *ifa = NULL;

	memset(req, 0, sizeof(*req));
	req->hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	req->hdr.nlmsg_type = RTM_NEWADDR;
	req->hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = NLMSG_DATA(&req->hdr);
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_flags = flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	nl_put_attr(req, IFA_LOCAL, addr, alen);
	nl_put_attr(req, IFA_ADDRESS, addr, alen);
}

int nl_addr_add(int ifindex, struct in_addr addr, unsigned int prefix)
{
	struct nl_req req;
	struct in_addr brd;

	nl_newaddr_init(&req, AF_INET, ifindex, &addr, sizeof(addr), prefix, 0);
	if (prefix < 31) {
		brd.s_addr = addr.s_addr | htonl(0xffffffffu >> prefix);
		nl_put_attr(&req, IFA_BROADCAST, &brd, sizeof(brd));
	}
	return nl_transact(&req);
}

int nl_addr6_add(int ifindex, const struct in6_addr *addr, unsigned int prefix)
{
	struct nl_req req;

	/* iPXE used this address a moment ago, or the admin gave it: no
	 * duplicate detection, so it works at once */
	nl_newaddr_init(&req, AF_INET6, ifindex, addr, sizeof(*addr), prefix, IFA_F_NODAD);
	return nl_transact(&req);
}

/* A default route of family via gw (glen bytes) out of ifindex. */
static int nl_route_default(int family, int ifindex, const void *gw, size_t glen)
{
	struct nl_req req;
	struct rtmsg *rtm = NULL;
	unsigned int oif = (unsigned int)ifindex;

	memset(&req, 0, sizeof(req));
	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	req.hdr.nlmsg_type = RTM_NEWROUTE;
	req.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = NLMSG_DATA(&req.hdr);
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	nl_put_attr(&req, RTA_GATEWAY, gw, glen);
	nl_put_attr(&req, RTA_OIF, &oif, sizeof(oif));
	return nl_transact(&req);
}

int nl_route_add_default(int ifindex, struct in_addr gw)
{
	return nl_route_default(AF_INET, ifindex, &gw, sizeof(gw));
}

int nl_route6_add_default(int ifindex, const struct in6_addr *gw)
{
	return nl_route_default(AF_INET6, ifindex, gw, sizeof(*gw));
}

/* The IPv6 flags of a link (IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_FLAGS,
 * as `ip -6 link` would need): which router advertisement came. */
int nl_ipv6_flags(int ifindex, unsigned int *flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nl_req req;
	char buf[16384];
	struct nlmsghdr *h = NULL;
	ssize_t n;
	int fd, rc = -ENOENT;

	nl_newlink_init(&req, ifindex);
	req.hdr.nlmsg_type = RTM_GETLINK;
	req.hdr.nlmsg_flags = NLM_F_REQUEST;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		return -errno;
	}
	if (sendto(fd, &req, req.hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
		rc = -errno;
		goto err_io;
	}
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		struct rtattr *a = NULL, *af = NULL, *f = NULL;
		int alen, aflen, flen;

		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
		if (h->nlmsg_type != RTM_NEWLINK) {
			continue;
		}
		alen = (int)IFLA_PAYLOAD(h);
		for (a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type != IFLA_AF_SPEC) {
				continue;
			}
			aflen = (int)RTA_PAYLOAD(a);
			for (af = RTA_DATA(a); RTA_OK(af, aflen); af = RTA_NEXT(af, aflen)) {
				if (af->rta_type != AF_INET6) {
					continue;
				}
				flen = (int)RTA_PAYLOAD(af);
				for (f = RTA_DATA(af); RTA_OK(f, flen); f = RTA_NEXT(f, flen)) {
					if (f->rta_type == IFLA_INET6_FLAGS && RTA_PAYLOAD(f) >= sizeof(*flags)) {
						memcpy(flags, RTA_DATA(f), sizeof(*flags));
						rc = 0;
					}
				}
			}
		}
		break;
	}
err_io:
	close(fd);
	return rc;
}

int nl_link_set_mtu(int ifindex, unsigned int mtu)
{
	struct nl_req req;

	nl_newlink_init(&req, ifindex);
	nl_put_attr(&req, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_transact(&req);
}

/* Opens a nested attribute; returns it so its length can be fixed. */
static struct rtattr *nl_nest_begin(struct nl_req *req, unsigned short type)
{
	struct rtattr *rta = (struct rtattr *)((char *)&req->hdr + NLMSG_ALIGN(req->hdr.nlmsg_len));

	nl_put_attr(req, type, NULL, 0);
	return rta;
}

static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)&req->hdr + req->hdr.nlmsg_len - (char *)nest);
}

int nl_vlan_add(int parent_index, const char *name, unsigned int vid)
{
	struct nl_req req;
	struct rtattr *linkinfo = NULL, *data = NULL;
	unsigned int link = (unsigned int)parent_index;
	unsigned short id = (unsigned short)vid;

	nl_newlink_init(&req, 0);
	req.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nl_put_attr(&req, IFLA_LINK, &link, sizeof(link));
	nl_put_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nl_nest_begin(&req, IFLA_LINKINFO);
	nl_put_attr(&req, IFLA_INFO_KIND, "vlan", 4);
	data = nl_nest_begin(&req, IFLA_INFO_DATA);
	nl_put_attr(&req, IFLA_VLAN_ID, &id, sizeof(id));
	nl_nest_end(&req, data);
	nl_nest_end(&req, linkinfo);
	return nl_transact(&req);
}
