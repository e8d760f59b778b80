#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "core/script.h"
#include "common/wire.h"

static int safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._~:/?=&%+,@-[]", c) != NULL;
}

int ipxe_safe_word(const char *s)
{
	if (s == NULL || *s == '\0') {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (!safe_char(*s)) {
			return 0;
		}
	}
	return 1;
}

int ipxe_safe_words(const char *s)
{
	if (s == NULL) {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (!safe_char(*s) && *s != ' ') {
			return 0;
		}
	}
	return 1;
}

struct out {
	char *p;
	size_t len, cap;
	int overflow;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

static int check(const char *what, const char *v, int words, char *err, size_t errlen)
{
	if (words ? ipxe_safe_words(v) : ipxe_safe_word(v)) {
		return 0;
	}
	snprintf(err, errlen, "%s has characters that cannot go into an iPXE script", what);
	return -EINVAL;
}

/* ip= for the agent: static when iPXE told us address, netmask and
 * gateway (all validated IPv4), else DHCP. */
static void ip_argument(const struct boot_query *q, char *buf, size_t len)
{
	if (q->ip[0] && q->netmask[0]) {
		snprintf(buf, len, "ip=%s::%s:%s::::%s", q->ip, q->gateway, q->netmask, q->dns);
	} else {
		snprintf(buf, len, "ip=dhcp");
	}
}

/* lifeboat.ip6= for the agent: the IPv6 address iPXE used (SLAAC or
 * DHCPv6), so the agent reports from the address the session is bound
 * to; else automatic (SLAAC and DHCPv6). A link-local address is no
 * configuration: every link has one. */
static void ip6_argument(const struct boot_query *q, char *buf, size_t len)
{
	if (q->ip6[0] && q->len6 != 0 && !addr_is_link_local6(q->ip6)) {
		snprintf(buf, len, LB_KARG_IP6 "=%s/%u%s%s", q->ip6, q->len6, q->gateway6[0] ? "," : "", q->gateway6);
	} else {
		snprintf(buf, len, LB_KARG_IP6 "=auto");
	}
}

/* What the agent reads on its command line (docs/agent.md), for a boot
 * script and for a session's ISO alike: every value checked first. */
static int emit_agent_args(struct out *o, const struct agent_args *a, char *err, size_t errlen)
{
	char bootif[24];
	int i;

	if (check("mac", a->mac, 0, err, errlen) < 0 || check("public_url", a->public_url, 0, err, errlen) < 0 ||
	    check("payload_url", a->payload_url, 0, err, errlen) < 0 || check("token", a->token, 0, err, errlen) < 0 ||
	    check("kernel arguments", a->extra_args, 1, err, errlen) < 0 || check("ip argument", a->ip, 0, err, errlen) < 0 ||
	    check("ip6 argument", a->ip6, 0, err, errlen) < 0 ||
	    (a->tls_pin != NULL && check("tls pin", a->tls_pin, 0, err, errlen) < 0) ||
	    (a->bound != NULL && check("bound address", a->bound, 0, err, errlen) < 0)) {
		return -EINVAL;
	}
	snprintf(bootif, sizeof(bootif), "01-%s", a->mac);
	for (i = 0; bootif[i] != '\0'; i++) {
		if (bootif[i] == ':') {
			bootif[i] = '-';
		}
	}
	/* the toolbox comes after SSH, from the same place as the payload */
	emit(o, "%s%sBOOTIF=%s %s %s lifeboat.server=%s lifeboat.token=%s%s%s lifeboat.keys=%s" LB_PATH_KEYS
		"%s lifeboat.heartbeat=%u " LB_KARG_TOOLBOX "=%s/" LB_TOOLBOX_FILE "%s%s",
	     a->extra_args, a->extra_args[0] ? " " : "", bootif, a->ip, a->ip6, a->public_url, a->token,
	     a->bound ? " " LB_KARG_BOUND "=" : "", a->bound ? a->bound : "", a->public_url, a->mac, a->heartbeat,
	     a->payload_url, a->tls_pin ? " " LB_KARG_TLSPIN "=" : "", a->tls_pin ? a->tls_pin : "");
	if (a->netconsole != 0) {
		emit(o, " " LB_KARG_NETCONSOLE "=%u", a->netconsole);
	}
	return 0;
}

int script_media_args(const struct agent_args *a, char *out, size_t outlen, char *err, size_t errlen)
{
	struct out o = { .p = out, .len = 0, .cap = outlen };

	if (outlen == 0) {
		return -ENOSPC;
	}
	out[0] = '\0';
	if (emit_agent_args(&o, a, err, errlen) < 0) {
		return -EINVAL;
	}
	if (o.overflow) {
		snprintf(err, errlen, "the kernel arguments are longer than %zu bytes", outlen - 1);
		return -ENOSPC;
	}
	return (int)o.len;
}

int script_render(enum decision d, const struct render_ctx *c, char *out, size_t outlen, char *err,
		  size_t errlen)
{
	struct out o = { .p = out, .len = 0, .cap = outlen };
	char ip[96], ip6[128];
	const char *mac = c->q->mac, *claimed = boot_claimed_address(c->q, c->source_ip ? c->source_ip : "");

	if (outlen == 0) {
		return -ENOSPC;
	}
	out[0] = '\0';
	if (check("mac", mac, 0, err, errlen) < 0 || check("policy", c->policy, 0, err, errlen) < 0) {
		return -EINVAL;
	}
	emit(&o, "#!ipxe\n");
	switch (d) {
	case DECIDE_NORMAL:
		emit(&o, "echo Lifeboat: %s has policy %s: booting from the next device\n", mac, c->policy);
		emit(&o, "exit 0\n");
		break;
	case DECIDE_IP_MISMATCH:
		if (check("source address", c->source_ip, 0, err, errlen) < 0 ||
		    check("ip", claimed[0] ? claimed : "none", 0, err, errlen) < 0) {
			return -EINVAL;
		}
		emit(&o, "echo Lifeboat: refusing rescue for %s: the request came from %s but iPXE says %s=%s\n", mac,
		     c->source_ip, claimed == c->q->ip6 ? "ip6" : "ip", claimed[0] ? claimed : "none");
		emit(&o, "echo Lifeboat: (behind NAT? set nat for this host or the server) booting from the next device\n");
		emit(&o, "exit 0\n");
		break;
	case DECIDE_CONFLICT:
		emit(&o, "echo Lifeboat: refusing rescue for %s: its rescue session is contested by another address\n", mac);
		emit(&o, "echo Lifeboat: the admin must check and re-arm it: booting from the next device\n");
		emit(&o, "exit 0\n");
		break;
	case DECIDE_BUSY:
		emit(&o, "echo Lifeboat: refusing rescue for %s: too many new hosts have not reported yet\n", mac);
		emit(&o, "exit 0\n");
		break;
	case DECIDE_RESCUE: {
		struct agent_args a = { .mac = mac, .ip = ip, .ip6 = ip6, .public_url = c->public_url,
					.tls_pin = c->tls_pin, .payload_url = c->payload_url, .token = c->token,
					.extra_args = c->extra_args, .heartbeat = c->heartbeat, .netconsole = c->netconsole,
					.bound = c->source_ip };

		ip_argument(c->q, ip, sizeof(ip));
		ip6_argument(c->q, ip6, sizeof(ip6));
		if (check("source address", c->source_ip, 0, err, errlen) < 0 ||
		    check("payload_url", c->payload_url, 0, err, errlen) < 0) {
			return -EINVAL;
		}
		emit(&o, "echo Lifeboat: %s has policy %s: booting the rescue system\n", mac, c->policy);
		emit(&o, "kernel %s/bzImage initrd=initramfs.cpio.xz ", c->payload_url);
		if (emit_agent_args(&o, &a, err, errlen) < 0) {
			return -EINVAL;
		}
		emit(&o, " || goto failed\n");
		emit(&o, "initrd %s/initramfs.cpio.xz || goto failed\n", c->payload_url);
		if (c->signed_payload) {
			/* needs an iPXE built with IMAGE_TRUST_CMD and TRUST= (make rom) */
			emit(&o, "imgverify bzImage %s/bzImage.sig || goto failed\n", c->payload_url);
			emit(&o, "imgverify initramfs.cpio.xz %s/initramfs.cpio.xz.sig || goto failed\n",
			     c->payload_url);
		}
		emit(&o, "boot || goto failed\n");
		emit(&o, ":failed\n");
		emit(&o, "echo Lifeboat: cannot boot the rescue system: booting from the next device\n");
		emit(&o, "exit 1\n");
		break;
	}
	}
	if (o.overflow) {
		snprintf(err, errlen, "script longer than %zu bytes", outlen);
		return -ENOSPC;
	}
	return (int)o.len;
}

/* The request for boot.ipxe with what iPXE knows of this machine: from
 * /chain.ipxe, and again from the wait script (replacing itself, so
 * waiting nests no image in iPXE's memory). */
static void emit_boot_request(struct out *o, const char *public_url, int replace)
{
	/* SMBIOS strings go hex-encoded: every iPXE version can, and a '&' or
	 * blank in a serial number then arrives as data (older :uristring
	 * leaves '&' alone) */
	/* ip6, len6, gateway6: what an iPXE with IPv6 configured (SLAAC or
	 * DHCPv6); empty in one without IPv6, which lifeboatd reads as absent */
	emit(o, "chain %s%s/boot.ipxe?mac=${netX/mac}&ip=${netX/ip}&netmask=${netX/netmask}&gateway=${netX/gateway}"
		"&dns=${netX/dns}&ip6=${netX/ip6}&len6=${netX/len6}&gateway6=${netX/gateway6}&uuid=${uuid}"
		"&smbios=hex&serial=${serial:hexhyp}&product=${product:hexhyp}"
		"&manufacturer=${manufacturer:hexhyp}&platform=${platform}&buildarch=${buildarch}",
	     replace ? "--replace " : "", public_url);
}

int script_render_chain(const char *public_url, char *out, size_t outlen, char *err, size_t errlen)
{
	struct out o = { .p = out, .len = 0, .cap = outlen };

	if (check("public_url", public_url, 0, err, errlen) < 0) {
		return -EINVAL;
	}
	emit(&o, "#!ipxe\n");
	emit_boot_request(&o, public_url, 0);
	emit(&o, " || goto failed\n");
	emit(&o, "exit 0\n");
	emit(&o, ":failed\n");
	emit(&o, "echo Lifeboat: cannot reach the boot server: booting from the next device\n");
	emit(&o, "exit 1\n");
	if (o.overflow) {
		snprintf(err, errlen, "script longer than %zu bytes", outlen);
		return -ENOSPC;
	}
	return (int)o.len;
}

int script_render_wait(const char *public_url, const char *mac, unsigned int seconds, char *out, size_t outlen,
		       char *err, size_t errlen)
{
	struct out o = { .p = out, .len = 0, .cap = outlen };

	if (check("public_url", public_url, 0, err, errlen) < 0 || check("mac", mac, 0, err, errlen) < 0) {
		return -EINVAL;
	}
	emit(&o, "#!ipxe\n");
	emit(&o, "echo Lifeboat: the boot server cannot decide for %s now: its database is not available\n", mac);
	emit(&o, "echo Lifeboat: asking again every %u s; Ctrl-C boots from the next device\n", seconds);
	emit(&o, ":wait\n");
	emit(&o, "sleep %u || goto cancelled\n", seconds);
	emit_boot_request(&o, public_url, 1);
	emit(&o, " || goto wait\n");
	emit(&o, ":cancelled\n");
	emit(&o, "echo Lifeboat: booting from the next device\n");
	emit(&o, "exit 0\n");
	if (o.overflow) {
		snprintf(err, errlen, "script longer than %zu bytes", outlen);
		return -ENOSPC;
	}
	return (int)o.len;
}
