#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "wire.h"
#include "http.h"
#include "log.h"
#include "tls.h"

const struct config config_defaults = {
	.have_ip = 0,
	.have_bootif = 0,
	.nsshkeys = 0,
	.carrier_timeout = 15,
	.dhcp_timeout = 30,
	.server = "",
	.token = "",
	.keys_url = "",
	.toolbox_url = "",
	.heartbeat = 30,
	.vlan = 0,
	.mtu = 0,
};

typedef int (*option_fn)(struct config *cfg, const char *val, char *err, size_t errlen);

struct option_desc {
	const char *key;
	option_fn parse;
};

static int opt_ip(struct config *cfg, const char *val, char *err, size_t errlen)
{
	struct ipconf ic;
	int rc = ipconf_parse(val, &ic, err, errlen);

	if (rc < 0) {
		return rc;
	}
	cfg->ip = ic;
	cfg->have_ip = 1;
	return 0;
}

static int opt_ip6(struct config *cfg, const char *val, char *err, size_t errlen)
{
	struct ip6conf c;
	int rc = ip6conf_parse(val, &c, err, errlen);

	if (rc < 0) {
		return rc;
	}
	cfg->ip6 = c;
	return 0;
}

static int opt_bootif(struct config *cfg, const char *val, char *err, size_t errlen)
{
	uint8_t mac[6];
	int rc = bootif_parse(val, mac, err, errlen);

	if (rc < 0) {
		return rc;
	}
	memcpy(cfg->bootif, mac, sizeof(mac));
	cfg->have_bootif = 1;
	return 0;
}

static const char *const sshkey_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
};

int config_check_sshkey(const char *key, char *err, size_t errlen)
{
	const char *sp = strchr(key, ' ');
	const char *b64 = NULL;
	size_t i, tlen, blen;
	int known = 0;

	for (i = 0; key[i] != '\0'; i++) {
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) {
			lb_err(err, errlen, "control character at offset %zu", i);
			return -EINVAL;
		}
	}
	if (sp == NULL) {
		lb_err(err, errlen, "'%.40s' is not '<type> <base64> [comment]'", key);
		return -EINVAL;
	}
	tlen = (size_t)(sp - key);
	for (i = 0; i < sizeof(sshkey_types) / sizeof(sshkey_types[0]); i++) {
		if (strlen(sshkey_types[i]) == tlen && strncmp(key, sshkey_types[i], tlen) == 0) {
			known = 1;
		}
	}
	if (!known) {
		lb_err(err, errlen, "key type '%.*s' is not supported", (int)(tlen > 40 ? 40 : tlen), key);
		return -EINVAL;
	}
	b64 = sp + 1;
	blen = strcspn(b64, " ");
	if (blen < 16) {
		lb_err(err, errlen, "key data of '%.*s' is missing or too short", (int)tlen, key);
		return -EINVAL;
	}
	for (i = 0; i < blen; i++) {
		char c = b64[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=')) {
			lb_err(err, errlen, "key data has '%c', which is not base64", c);
			return -EINVAL;
		}
	}
	return 0;
}

static int opt_sshkey(struct config *cfg, const char *val, char *err, size_t errlen)
{
	int rc = config_check_sshkey(val, err, errlen);

	if (rc < 0) {
		return rc;
	}
	if (cfg->nsshkeys == CONFIG_MAX_SSHKEYS) {
		lb_err(err, errlen, "more than %d keys", CONFIG_MAX_SSHKEYS);
		return -E2BIG;
	}
	cfg->sshkeys[cfg->nsshkeys++] = val;
	return 0;
}

static int parse_seconds(const char *val, unsigned int min, unsigned int max,
			 unsigned int *out, char *err, size_t errlen)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	if (val[0] < '0' || val[0] > '9') {
		lb_err(err, errlen, "'%s' is not a number of seconds", val);
		return -EINVAL;
	}
	v = strtoul(val, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		lb_err(err, errlen, "'%s' is not a number of seconds from %u to %u", val, min, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int opt_carrier_timeout(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return parse_seconds(val, 0, 600, &cfg->carrier_timeout, err, errlen);
}

static int opt_dhcp_timeout(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return parse_seconds(val, 1, 3600, &cfg->dhcp_timeout, err, errlen);
}

static int opt_url(char *dst, size_t dstlen, const char *val, char *err, size_t errlen)
{
	struct url u;
	int rc = url_parse(val, &u, err, errlen);

	if (rc < 0) {
		return rc;
	}
	if (strlen(val) >= dstlen) {
		lb_err(err, errlen, "URL longer than %zu bytes", dstlen - 1);
		return -EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

static int opt_server(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return opt_url(cfg->server, sizeof(cfg->server), val, err, errlen);
}

static int opt_bound(struct config *cfg, const char *val, char *err, size_t errlen)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(val) >= sizeof(cfg->bound) ||
	    (inet_pton(AF_INET, val, &a4) != 1 && inet_pton(AF_INET6, val, &a6) != 1)) {
		lb_err(err, errlen, "'%.60s' is not an IPv4 or IPv6 address", val);
		return -EINVAL;
	}
	strcpy(cfg->bound, val);
	return 0;
}

static int opt_keys(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return opt_url(cfg->keys_url, sizeof(cfg->keys_url), val, err, errlen);
}

static int opt_toolbox(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return opt_url(cfg->toolbox_url, sizeof(cfg->toolbox_url), val, err, errlen);
}

static int opt_tlspin(struct config *cfg, const char *val, char *err, size_t errlen)
{
	int rc = tls_pin_parse(val, cfg->tlspin, err, errlen);

	if (rc == 0) {
		cfg->have_tlspin = 1;
	}
	return rc;
}

static int is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

int config_url_allowed(const struct config *cfg, const char *url, int have_ca, char *err, size_t errlen)
{
	if (is_https(url)) {
		if (!have_ca && !cfg->have_tlspin) {
			lb_err(err, errlen, "refusing %s: nothing to check its certificate with (no CA in "
			       LB_PATH_AGENT_CA ", no " LB_KARG_TLSPIN "=)", url);
			return -EPERM;
		}
		return 0;
	}
	if (have_ca || cfg->have_tlspin || is_https(cfg->server) || is_https(cfg->keys_url) ||
	    is_https(cfg->toolbox_url)) {
		lb_err(err, errlen, "refusing %s in clear: TLS is configured (%s)", url,
		       have_ca ? "a CA in " LB_PATH_AGENT_CA : cfg->have_tlspin ? LB_KARG_TLSPIN "=" : "an https URL");
		return -EPERM;
	}
	return 0;
}

/* Tokens go into an HTTP header: a strict alphabet, no blanks or CR/LF. */
static int opt_token(struct config *cfg, const char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n < LB_TOKEN_MIN || n >= sizeof(cfg->token) ||
	    strspn(val, LB_TOKEN_CHARS) != n) {
		lb_err(err, errlen, "a token is 8 to %zu characters of A-Z a-z 0-9 - . _ ~", sizeof(cfg->token) - 1);
		return -EINVAL;
	}
	strcpy(cfg->token, val);
	return 0;
}

static int opt_heartbeat(struct config *cfg, const char *val, char *err, size_t errlen)
{
	return parse_seconds(val, 1, 86400, &cfg->heartbeat, err, errlen);
}

static int opt_vlan(struct config *cfg, const char *val, char *err, size_t errlen)
{
	unsigned int v = 0;

	if (parse_seconds(val, 1, 4094, &v, NULL, 0) < 0) {
		lb_err(err, errlen, "'%s' is not a VLAN id from 1 to 4094", val);
		return -EINVAL;
	}
	cfg->vlan = v;
	return 0;
}

static int opt_mtu(struct config *cfg, const char *val, char *err, size_t errlen)
{
	unsigned int v = 0;

	if (parse_seconds(val, 576, 9216, &v, NULL, 0) < 0) {
		lb_err(err, errlen, "'%s' is not an MTU from 576 to 9216", val);
		return -EINVAL;
	}
	cfg->mtu = v;
	return 0;
}

static int opt_netconsole(struct config *cfg, const char *val, char *err, size_t errlen)
{
	unsigned int v = 0;

	if (parse_seconds(val, 1, 65535, &v, NULL, 0) < 0) {
		lb_err(err, errlen, "'%s' is not a UDP port from 1 to 65535", val);
		return -EINVAL;
	}
	cfg->netconsole = v;
	return 0;
}

static const struct option_desc options[] = {
	{ "ip", opt_ip },
	{ LB_KARG_IP6, opt_ip6 },
	{ "BOOTIF", opt_bootif },
	{ "lifeboat.sshkey", opt_sshkey },
	{ "lifeboat.carrier_timeout", opt_carrier_timeout },
	{ "lifeboat.dhcp_timeout", opt_dhcp_timeout },
	{ "lifeboat.server", opt_server },
	{ "lifeboat.token", opt_token },
	{ LB_KARG_BOUND, opt_bound },
	{ "lifeboat.keys", opt_keys },
	{ LB_KARG_TOOLBOX, opt_toolbox },
	{ LB_KARG_TLSPIN, opt_tlspin },
	{ "lifeboat.heartbeat", opt_heartbeat },
	{ "lifeboat.vlan", opt_vlan },
	{ "lifeboat.mtu", opt_mtu },
	{ LB_KARG_NETCONSOLE, opt_netconsole },
};

static const struct option_desc *find_option(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strcmp(options[i].key, key) == 0) {
			return &options[i];
		}
	}
	return NULL;
}

int config_from_cmdline(const struct cmdline *cl, struct config *cfg,
			config_report_fn report)
{
	char err[256], msg[512];
	int bad = 0;
	size_t i;

	*cfg = config_defaults;
	for (i = 0; i < cl->count; i++) {
		const struct cmdline_arg *a = &cl->args[i];
		const struct option_desc *opt = find_option(a->key);

		if (opt == NULL) {
			if (strncmp(a->key, "lifeboat.", 9) == 0) {
				snprintf(msg, sizeof(msg), "cannot use argument %s: unknown lifeboat. argument", a->key);
				report(msg);
				bad++;
			}
			continue;
		}
		if (a->val == NULL) {
			snprintf(msg, sizeof(msg), "cannot use argument %s: it needs a value (%s=...)", a->key, a->key);
			report(msg);
			bad++;
			continue;
		}
		err[0] = '\0';
		if (opt->parse(cfg, a->val, err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "cannot use argument %s: %s", a->key, err);
			report(msg);
			bad++;
		}
	}
	return bad;
}
