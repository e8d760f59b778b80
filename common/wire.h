/* Wire-format constants shared by the agent (agent/) and the boot server
 * (server/): one place for what both sides of the HTTP interface must
 * agree on. Only #defines: the agent includes it under musl. */
#ifndef LIFEBOAT_WIRE_H
#define LIFEBOAT_WIRE_H

/* A per-boot token (lifeboat.token=, Authorization: Bearer): 8 to 256 of
 * these characters. lifeboatd issues 32 from the first 64 (no bias). */
#define LB_TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
#define LB_TOKEN_ISSUE_CHARS 64
#define LB_TOKEN_MIN 8
#define LB_TOKEN_MAX 256
#define LB_TOKEN_LEN 32

/* Paths under lifeboat.server= */
#define LB_PATH_REPORT "/api/v1/status"
#define LB_PATH_KEYS "/api/v1/keys/"

/* TLS between agent and lifeboatd: the CA certificates make CA=ca.crt
 * builds into the image, and the kernel argument lifeboatd adds to boot
 * scripts it served over HTTPS: lifeboat.tlspin=sha256:<64 hex>, the
 * SHA-256 of its certificate (DER), as openssl x509 -fingerprint shows. */
#define LB_PATH_AGENT_CA "/etc/lifeboat/ca.crt"
#define LB_KARG_TLSPIN "lifeboat.tlspin"
#define LB_TLSPIN_PREFIX "sha256:"

/* IPv6 for the agent (the kernel's ip= has none): auto (SLAAC and
 * DHCPv6, the default), off, or ADDRESS/PREFIX[,GATEWAY[,DNS]]. */
#define LB_KARG_IP6 "lifeboat.ip6"

/* The address lifeboatd bound the session to (the boot request's
 * source): the agent talks to lifeboatd from it, or at least in its
 * family, so a name with both A and AAAA records cannot make a dual-stack
 * machine report from an address the session is not bound to. */
#define LB_KARG_BOUND "lifeboat.bound"
/* The UDP port at lifeboat.server's address where the kernel's console
 * lines go (netconsole, set up by the agent once the network is up). */
#define LB_KARG_NETCONSOLE "lifeboat.netconsole"

/* Status report: format name, version, the largest body accepted. */
#define LB_REPORT_FORMAT "lifeboat-status"
#define LB_REPORT_VERSION 1
#define LB_REPORT_MAX_BYTES (256 * 1024)

/* The rescue system's logs (POST LB_PATH_LOGS?kind=..., text/plain, the
 * session's token): batches of /dev/kmsg, where the agent writes its own
 * lines too, as dmesg shows them ("kmsg"), and a diagnostic bundle on
 * tools-failed or error ("bundle"). */
#define LB_PATH_LOGS "/api/v1/logs"
#define LB_LOGS_MAX_BYTES (64 * 1024)
#define LB_LOGS_MAX_TEXT "65536"

/* The agent's phases, in the order they normally come. */
#define LB_PHASES "booted", "network-up", "ssh-ready", "tools-ready", "tools-failed", "error", "shutting-down"
#define LB_PHASE_SSH_READY "ssh-ready"
#define LB_PHASE_TOOLS_READY "tools-ready"
#define LB_PHASE_TOOLS_FAILED "tools-failed"
/* The phases in which SSH is up: the toolbox comes after it, so an agent
 * may go from network-up straight to tools-ready between two reports. */
#define LB_PHASES_SSH_UP LB_PHASE_SSH_READY, LB_PHASE_TOOLS_READY, LB_PHASE_TOOLS_FAILED

/* The toolbox (docs/building.md#the-toolbox-ssh-first-then-every-tool): a squashfs the agent mounts after
 * SSH is up, only when its SHA-256 (64 hex digits, built into the image)
 * matches. It comes from the second initrd when there is one, else from
 * the URL lifeboatd passes (its payload URL + LB_TOOLBOX_FILE). */
#define LB_PATH_TOOLBOX_SHA256 "/etc/lifeboat/toolbox.sha256"
#define LB_PATH_TOOLBOX_INITRD "/lifeboat/toolbox.squashfs"
#define LB_KARG_TOOLBOX "lifeboat.toolbox"
#define LB_TOOLBOX_FILE "toolbox.squashfs"

/* Virtual media (server/core/media.h): the mark that starts the region
 * of the kernel arguments in the media ISO's isolinux.cfg and grub.cfg,
 * and the path lifeboatd serves a session's ISO under (/media/<key>/). */
#define LB_MEDIA_MARK "@@LIFEBOAT-SESSION-ARGUMENTS@@"
#define LB_PATH_MEDIA "/media/"
#define LB_MEDIA_FILE "lifeboat.iso"

#endif
