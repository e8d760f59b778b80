/* Agent configuration from the kernel command line: one table of known
 * arguments (config.c), defaults in one designated initialiser. */
#ifndef LIFEBOAT_CONFIG_H
#define LIFEBOAT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "ip6conf.h"
#include "ipconf.h"

#define CONFIG_MAX_SSHKEYS 16

struct config {
	struct ipconf ip;           /* ip= */
	int have_ip;
	struct ip6conf ip6;         /* lifeboat.ip6=, default auto */
	uint8_t bootif[6];          /* BOOTIF= */
	int have_bootif;
	const char *sshkeys[CONFIG_MAX_SSHKEYS]; /* lifeboat.sshkey=, point into the cmdline */
	size_t nsshkeys;
	unsigned int carrier_timeout; /* lifeboat.carrier_timeout= seconds */
	unsigned int dhcp_timeout;    /* lifeboat.dhcp_timeout= seconds */
	char server[512];             /* lifeboat.server= base URL for reports */
	char token[257];              /* lifeboat.token= per-boot token */
	char bound[46];               /* lifeboat.bound= the session's address, or "" */
	char keys_url[512];           /* lifeboat.keys= URL of authorized keys */
	char toolbox_url[512];        /* lifeboat.toolbox= URL of the toolbox squashfs */
	uint8_t tlspin[32];           /* lifeboat.tlspin= SHA-256 of lifeboatd's certificate */
	int have_tlspin;
	unsigned int heartbeat;       /* lifeboat.heartbeat= seconds */
	unsigned int vlan;            /* lifeboat.vlan= 802.1Q id, 0: none */
	unsigned int mtu;             /* lifeboat.mtu=, 0: leave as is */
	unsigned int netconsole;      /* lifeboat.netconsole= UDP port at the server's address, 0: none */
};

extern const struct config config_defaults;

/* Called once per rejected argument with a complete message. */
typedef void (*config_report_fn)(const char *msg);

/* Fills cfg from cl (starting from config_defaults). A bad argument is
 * reported and leaves its default in place; the rest still apply.
 * Returns the number of rejected arguments. */
int config_from_cmdline(const struct cmdline *cl, struct config *cfg,
			config_report_fn report);

/* Reads /proc/cmdline into cl and cfg (agent/config_read.c), saying
 * nothing about bad arguments: for the services PID 1 starts, after PID 1
 * said them. 0, or -errno when it cannot be read (cfg has the defaults). */
int config_read_quietly(struct cmdline *cl, struct config *cfg);

/* Whether the agent may use url (lifeboat.server=, .keys= or .toolbox=):
 * once TLS is configured (a CA in the image, a pin, or any https URL) a
 * plain http:// URL is refused, never used as a fallback; an https URL
 * needs a CA or a pin to check the certificate with. 0, or -EPERM with
 * the reason. */
int config_url_allowed(const struct config *cfg, const char *url, int have_ca, char *err, size_t errlen);

/* Validates one OpenSSH public key line: "<type> <base64> [comment]". */
int config_check_sshkey(const char *key, char *err, size_t errlen);

#endif
