/* lifeboatctl: the admin's side of lifeboatd's state directory.
 *   lifeboatctl [--state-dir DIR | --config FILE] COMMAND ...
 * rescue MAC [--once] [--nat], normal MAC, list, show MAC,
 * known-hosts MAC [--host NAME], forget MAC */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "query.h"
#include "store.h"

static struct store store;

static int usage(FILE *f)
{
	fprintf(f, "usage: lifeboatctl [--state-dir DIR | --config FILE] COMMAND\n"
		   "  rescue MAC [--once] [--nat]   boot the rescue system next time (--once: then normal again)\n"
		   "  normal MAC                    boot from the disk\n"
		   "  list                          every host: policy, phase, address, last report\n"
		   "  show MAC                      everything known about a host (JSON)\n"
		   "  known-hosts MAC [--host NAME] known_hosts lines from the reported host keys\n"
		   "  forget MAC                    remove a host\n"
		   "  token MAC                     issue a per-boot token by hand, for a boot without iPXE\n"
		   "  dhcp-config dnsmasq|isc --server URL [--subnet NET] [--tftp-server IP]\n"
		   "                                DHCP configuration to chainload iPXE without flashing\n"
		   "                                (ISO, USB): lifeboat.token=<it> lifeboat.server=<url>\n");
	return f == stdout ? 0 : 2;
}

static int need_mac(const char *s, char mac[18])
{
	if (s == NULL || parse_mac(s, mac) < 0) {
		fprintf(stderr, "lifeboatctl: cannot use '%s': not a MAC address aa:bb:cc:dd:ee:ff\n", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

/* Merges fields into the host's file (a new host when unknown), under
 * the store's lock. 0, or 1 with the reason on stderr. */
static int update_host(const char *mac, json_object *fields)
{
	json_object *h = NULL;
	char err[600];
	int rc;

	store_lock(&store);
	h = store_load(&store, mac);
	if (h == NULL) {
		h = store_new_host(mac, "normal");
	}
	json_object_object_foreach(fields, key, val) {
		json_object_object_add(h, key, json_object_get(val));
	}
	rc = store_save(&store, mac, h, err, sizeof(err));
	store_unlock(&store);
	json_object_put(h);
	json_object_put(fields);
	if (rc < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 1;
	}
	return 0;
}

static int set_policy(const char *mac, const char *policy, int nat)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "policy", json_object_new_string(policy));
	if (nat >= 0) {
		json_object_object_add(f, "nat", json_object_new_boolean(nat));
	}
	if (update_host(mac, f) != 0) {
		return 1;
	}
	printf("%s: policy %s%s\n", mac, policy, nat == 1 ? " (nat: no source-address check)" : "");
	return 0;
}

static const char *first_ipv4(json_object *h, char *buf, size_t len)
{
	json_object *rep = NULL, *ifs = NULL;
	size_t i;

	buf[0] = '\0';
	if (!json_object_object_get_ex(h, "report", &rep) || !json_object_object_get_ex(rep, "interfaces", &ifs)) {
		return buf;
	}
	for (i = 0; i < json_object_array_length(ifs); i++) {
		json_object *ips = NULL;

		if (json_object_object_get_ex(json_object_array_get_idx(ifs, i), "ipv4", &ips) &&
		    json_object_array_length(ips) > 0) {
			snprintf(buf, len, "%s", json_object_get_string(json_object_array_get_idx(ips, 0)));
			buf[strcspn(buf, "/")] = '\0';
			return buf;
		}
	}
	return buf;
}

static void list_one(json_object *h, void *ctx)
{
	json_object *t = NULL;
	char ip[64], age[32] = "never";

	(void)ctx;
	if (json_object_object_get_ex(h, "report_time", &t)) {
		snprintf(age, sizeof(age), "%llds ago", (long long)(time(NULL) - json_object_get_int64(t)));
	}
	printf("%-17s  %-11s  %-13s  %-15s  %s\n", jstr(h, "mac"), jstr(h, "policy"),
	       jstr(h, "phase")[0] ? jstr(h, "phase") : "-", first_ipv4(h, ip, sizeof(ip))[0] ? ip : "-", age);
}

static int known_hosts(const char *mac, const char *host)
{
	json_object *h = store_load(&store, mac), *rep = NULL, *ssh = NULL, *keys = NULL;
	char ip[64];
	size_t i;

	if (h == NULL) {
		fprintf(stderr, "lifeboatctl: cannot find host %s\n", mac);
		return 1;
	}
	if (!json_object_object_get_ex(h, "report", &rep) || !json_object_object_get_ex(rep, "ssh", &ssh) ||
	    !json_object_object_get_ex(ssh, "host_keys", &keys) || json_object_array_length(keys) == 0) {
		fprintf(stderr, "lifeboatctl: cannot write known_hosts for %s: no report with host keys yet\n", mac);
		json_object_put(h);
		return 1;
	}
	if (host == NULL) {
		host = first_ipv4(h, ip, sizeof(ip));
		if (host[0] == '\0') {
			fprintf(stderr, "lifeboatctl: cannot tell %s's address: give --host NAME\n", mac);
			json_object_put(h);
			return 1;
		}
	}
	for (i = 0; i < json_object_array_length(keys); i++) {
		json_object *k = json_object_array_get_idx(keys, i);
		const char *type = jstr(k, "type"), *key = jstr(k, "key");

		/* the report is the agent's word: write only what looks like a key */
		if (strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789-@.") != strlen(type) || type[0] == '\0' ||
		    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != strlen(key) ||
		    key[0] == '\0') {
			continue;
		}
		printf("%s %s %s\n", host, type, key);
	}
	json_object_put(h);
	return 0;
}

static int issue_token(const char *mac)
{
	json_object *f = NULL;
	char token[33];

	if (store_new_token(token) < 0) {
		fprintf(stderr, "lifeboatctl: cannot make a token: no randomness\n");
		return 1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "token", json_object_new_string(token));
	if (update_host(mac, f) != 0) {
		return 1;
	}
	printf("%s\n", token);
	return 0;
}

/* dnsmasq as proxyDHCP beside the existing DHCP server, or ISC dhcpd:
 * PXE ROMs get iPXE over TFTP, iPXE itself (option 175 / user class
 * "iPXE": no loop) gets lifeboatd's chain script. */
static int dhcp_config(int argc, char **argv, int i)
{
	const char *kind = NULL, *server = NULL, *subnet = "192.0.2.0", *tftp = NULL;
	char ip[16];

	if (i >= argc) {
		return usage(stderr);
	}
	kind = argv[i++];
	for (; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--server") == 0) {
			server = argv[i + 1];
		} else if (strcmp(argv[i], "--subnet") == 0) {
			subnet = argv[i + 1];
		} else if (strcmp(argv[i], "--tftp-server") == 0) {
			tftp = argv[i + 1];
		} else {
			return usage(stderr);
		}
	}
	if (i != argc || server == NULL) {
		fprintf(stderr, "lifeboatctl: dhcp-config needs --server http://lifeboatd:port\n");
		return 2;
	}
	if ((strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) ||
	    strspn(server, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/-_") != strlen(server)) {
		fprintf(stderr, "lifeboatctl: cannot use --server '%s': want http://host:port\n", server);
		return 2;
	}
	if (parse_ipv4(subnet, ip) < 0 || (tftp != NULL && parse_ipv4(tftp, ip) < 0)) {
		fprintf(stderr, "lifeboatctl: cannot use --subnet/--tftp-server: want IPv4 addresses\n");
		return 2;
	}
	if (strcmp(kind, "dnsmasq") == 0) {
		printf("# Lifeboat: dnsmasq as proxyDHCP next to your DHCP server (which keeps handing\n"
		       "# out addresses). PXE ROMs get iPXE by TFTP; iPXE (it sends option 175) gets\n"
		       "# lifeboatd's script, so it does not load itself again.\n"
		       "port=0\n"
		       "log-dhcp\n"
		       "dhcp-range=%s,proxy\n"
		       "dhcp-match=set:ipxe,175\n"
		       "enable-tftp\n"
		       "tftp-root=/srv/tftp\n"
		       "# BIOS: undionly.kpxe; UEFI x86-64: snponly.efi (both from Debian's ipxe package)\n"
		       "pxe-service=tag:!ipxe,x86PC,\"Lifeboat (iPXE)\",undionly.kpxe\n"
		       "pxe-service=tag:!ipxe,X86-64_EFI,\"Lifeboat (iPXE)\",snponly.efi\n"
		       "pxe-service=tag:ipxe,x86PC,\"Lifeboat\",%s/chain.ipxe\n"
		       "pxe-service=tag:ipxe,X86-64_EFI,\"Lifeboat\",%s/chain.ipxe\n",
		       subnet, server, server);
		return 0;
	}
	if (strcmp(kind, "isc") == 0) {
		printf("# Lifeboat: ISC dhcpd. PXE ROMs get iPXE by TFTP; iPXE (user class \"iPXE\")\n"
		       "# gets lifeboatd's script, so it does not load itself again.\n"
		       "option client-arch code 93 = unsigned integer 16;\n"
		       "%s%s%s"
		       "if exists user-class and option user-class = \"iPXE\" {\n"
		       "    filename \"%s/chain.ipxe\";\n"
		       "} elsif option client-arch = 00:07 or option client-arch = 00:09 {\n"
		       "    filename \"snponly.efi\";   # UEFI x86-64\n"
		       "} else {\n"
		       "    filename \"undionly.kpxe\"; # BIOS\n"
		       "}\n",
		       tftp ? "next-server " : "", tftp ? tftp : "", tftp ? ";\n" : "", server);
		return 0;
	}
	fprintf(stderr, "lifeboatctl: cannot write DHCP configuration for '%s': want dnsmasq or isc\n", kind);
	return 2;
}

int main(int argc, char **argv)
{
	const char *state = getenv("LIFEBOAT_STATE_DIR"), *cmd = NULL;
	char mac[18], err[700];
	struct conf c = conf_defaults;
	int i = 1;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--state-dir") == 0) {
			state = argv[i + 1];
		} else if (strcmp(argv[i], "--config") == 0) {
			FILE *f = fopen(argv[i + 1], "re");

			if (f == NULL || conf_parse_file(f, argv[i + 1], &c, err, sizeof(err)) < 0) {
				fprintf(stderr, "lifeboatctl: cannot use config %s\n", f ? err : argv[i + 1]);
				return 2;
			}
			fclose(f);
			state = c.state_dir;
		} else {
			return usage(stderr);
		}
	}
	if (i >= argc) {
		return usage(stderr);
	}
	cmd = argv[i++];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		return usage(stdout);
	}
	if (strcmp(cmd, "dhcp-config") == 0) {
		return dhcp_config(argc, argv, i);
	}
	if (store_open(&store, state ? state : conf_defaults.state_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 2;
	}
	if (strcmp(cmd, "rescue") == 0) {
		int once = 0, nat = -1;

		if (need_mac(i < argc ? argv[i] : NULL, mac) < 0) {
			return 2;
		}
		for (i++; i < argc; i++) {
			if (strcmp(argv[i], "--once") == 0) {
				once = 1;
			} else if (strcmp(argv[i], "--nat") == 0) {
				nat = 1;
			} else {
				return usage(stderr);
			}
		}
		return set_policy(mac, once ? "rescue-once" : "rescue", nat);
	}
	if (strcmp(cmd, "normal") == 0 && i + 1 == argc) {
		return need_mac(argv[i], mac) < 0 ? 2 : set_policy(mac, "normal", -1);
	}
	if (strcmp(cmd, "list") == 0 && i == argc) {
		printf("%-17s  %-11s  %-13s  %-15s  %s\n", "MAC", "POLICY", "PHASE", "ADDRESS", "LAST REPORT");
		return store_each(&store, list_one, NULL) < 0 ? 1 : 0;
	}
	if (strcmp(cmd, "show") == 0 && i + 1 == argc) {
		json_object *h = NULL;

		if (need_mac(argv[i], mac) < 0) {
			return 2;
		}
		h = store_load(&store, mac);
		if (h == NULL) {
			fprintf(stderr, "lifeboatctl: cannot find host %s\n", mac);
			return 1;
		}
		json_object_object_del(h, "token");
		printf("%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(h);
		return 0;
	}
	if (strcmp(cmd, "known-hosts") == 0 && (i + 1 == argc || (i + 3 == argc && strcmp(argv[i + 1], "--host") == 0))) {
		if (need_mac(argv[i], mac) < 0) {
			return 2;
		}
		return known_hosts(mac, i + 3 == argc ? argv[i + 2] : NULL);
	}
	if (strcmp(cmd, "token") == 0 && i + 1 == argc) {
		return need_mac(argv[i], mac) < 0 ? 2 : issue_token(mac);
	}
	if (strcmp(cmd, "forget") == 0 && i + 1 == argc) {
		if (need_mac(argv[i], mac) < 0) {
			return 2;
		}
		if (store_forget(&store, mac) < 0) {
			fprintf(stderr, "lifeboatctl: cannot forget %s: no such host\n", mac);
			return 1;
		}
		printf("%s: forgotten\n", mac);
		return 0;
	}
	return usage(stderr);
}
