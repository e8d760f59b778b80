/* Lifeboat rescue agent: PID 1 of the rescue initramfs.
 * main() only orchestrates; every step is a small function elsewhere. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "cmdline.h"
#include "config.h"
#include "log.h"
#include "netpolicy.h"
#include "iface.h"
#include "proc.h"
#include "report_send.h"
#include "sockaddr.h"
#include "ssh.h"
#include "state.h"
#include "toolbox.h"

#ifndef LIFEBOAT_VERSION
#define LIFEBOAT_VERSION "unknown"
#endif

#define MAX_CONSOLES 4
#define SHUTDOWN_REPORT_MS 3000

static int reporter = -1; /* service id of `lifeboat report` */

static const struct mount_desc {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
	const char *if_exists; /* mounted only when this path exists */
} early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", NULL },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=000", NULL },
	{ "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", NULL },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", NULL },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", NULL },
	/* UEFI variables, for efibootmgr (booted through UEFI only) */
	{ "efivarfs", "/sys/firmware/efi/efivars", "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
	  "/sys/firmware/efi" },
};

static struct hostkey hostkeys[] = {
	{ .type = "ed25519", .path = "/etc/dropbear/dropbear_ed25519_host_key" },
	{ .type = "ecdsa", .path = "/etc/dropbear/dropbear_ecdsa_host_key" },
};

static void mount_early(void)
{
	size_t i;

	for (i = 0; i < sizeof(early_mounts) / sizeof(early_mounts[0]); i++) {
		const struct mount_desc *m = &early_mounts[i];

		if (m->if_exists != NULL && access(m->if_exists, F_OK) != 0) {
			continue;
		}
		mkdir(m->target, 0755);
		if (mount(m->source, m->target, m->type, m->flags, m->data) < 0 && errno != EBUSY) {
			lb_error("cannot mount %s on %s: %s", m->type, m->target, strerror(errno));
		}
	}
}

/* The kernel gives init no stdio when the initramfs has no /dev/console. */
static void console_attach(void)
{
	int fd;

	if (fcntl(2, F_GETFD) >= 0) {
		return;
	}
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

static char *read_small_file(const char *path)
{
	static char buf[4096];
	int rc = fileio_read(path, buf, sizeof(buf));

	if (rc < 0 && rc != -EFBIG) {
		return NULL;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void report_bad_argument(const char *msg)
{
	lb_error("%s", msg);
}

static void config_load(struct cmdline *cl, struct config *cfg)
{
	char err[256];
	const char *text = read_small_file("/proc/cmdline");
	int bad;

	if (text == NULL) {
		lb_error("cannot read /proc/cmdline: %s; using defaults", strerror(errno));
		text = "";
	}
	if (cmdline_parse(text, cl, err, sizeof(err)) < 0) {
		lb_error("cannot parse the kernel command line fully: %s", err);
	}
	bad = config_from_cmdline(cl, cfg, report_bad_argument);
	if (bad > 0) {
		lb_log("%d kernel argument%s ignored (see above); continuing with defaults for %s",
		       bad, bad == 1 ? "" : "s", bad == 1 ? "it" : "them");
	}
}

static const struct config *keys_cfg;

/* authorized_keys and its count for the reports: at setup, and again on
 * SIGHUP when the reporter has fetched keys. */
static int keys_install(void)
{
	int nkeys = ssh_install_keys(keys_cfg);
	char count[16];

	snprintf(count, sizeof(count), "%d", nkeys < 0 ? 0 : nkeys);
	state_write("authorized_keys", count);
	if (nkeys < 0) {
		lb_error("cannot write /root/.ssh/authorized_keys: %s", strerror(-nkeys));
	}
	return nkeys;
}

static void keys_reload(void)
{
	int n = keys_install();

	if (n >= 0) {
		lb_log("%d SSH public key%s now installed for root", n, n == 1 ? "" : "s");
	}
}

static int ssh_setup(const struct config *cfg)
{
	int nkeys, made;

	keys_cfg = cfg;
	proc_set_reload_hook(keys_reload);
	nkeys = keys_install();
	if (nkeys < 0) {
		/* said by keys_install */
	} else if (nkeys == 0 && cfg->keys_url[0] != '\0') {
		lb_log("no SSH key yet: fetching them from %s in the background", cfg->keys_url);
	} else if (nkeys == 0) {
		lb_log("**************************************************************");
		lb_log("NO SSH KEY: nobody can log in over SSH. Pass lifeboat.sshkey=\"...\"");
		lb_log("or build with make KEYS=path/to/authorized_keys.");
		lb_log("**************************************************************");
	} else {
		lb_log("%d SSH public key%s installed for root", nkeys, nkeys == 1 ? "" : "s");
	}
	made = ssh_make_hostkeys(hostkeys, sizeof(hostkeys) / sizeof(hostkeys[0]));
	if (made == 0) {
		lb_error("cannot start dropbear: no host key could be generated");
		return -EIO;
	}
	if (ssh_start(hostkeys, sizeof(hostkeys) / sizeof(hostkeys[0])) < 0) {
		lb_error("cannot start dropbear: too many services");
		return -ENOSPC;
	}
	return 0;
}

/* One line per address, IPv4 first, with the ssh command for it (a
 * link-local IPv6 address needs its link: ssh root@fe80::1%eth0). */
static void print_addresses(const struct ifaddrs *ifa, int family)
{
	const struct ifaddrs *p = NULL;
	char addr[INET6_ADDRSTRLEN];

	for (p = ifa; p != NULL; p = p->ifa_next) {
		const void *a = NULL;
		int link_local;

		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != family || (p->ifa_flags & IFF_LOOPBACK)) {
			continue;
		}
		a = sockaddr_addr(p->ifa_addr, family);
		link_local = family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a);
		inet_ntop(family, a, addr, sizeof(addr));
		lb_log("  %-8s %s    ssh root@%s%s%s", p->ifa_name, addr, addr, link_local ? "%" : "",
		       link_local ? p->ifa_name : "");
	}
}

static void print_summary(void)
{
	struct ifaddrs *ifa = NULL;
	size_t i;

	lb_log("==================================================================");
	lb_log("Lifeboat rescue system %s", LIFEBOAT_VERSION);
	if (getifaddrs(&ifa) == 0) {
		print_addresses(ifa, AF_INET);
		print_addresses(ifa, AF_INET6);
		freeifaddrs(ifa);
	}
	for (i = 0; i < sizeof(hostkeys) / sizeof(hostkeys[0]); i++) {
		if (hostkeys[i].ok) {
			lb_log("  host key %-8s %s", hostkeys[i].type, hostkeys[i].fingerprint);
		}
	}
	lb_log("==================================================================");
}

static void consoles_start(void)
{
	static char tty[MAX_CONSOLES][32];
	static char *const shell_argv[] = { "/bin/sh", "-l", NULL };
	const char *active = read_small_file("/sys/class/tty/console/active");
	char list[256], *tok = NULL, *save = NULL;
	int n = 0;

	snprintf(list, sizeof(list), "%s", active != NULL && active[0] ? active : "console");
	for (tok = strtok_r(list, " ", &save); tok != NULL && n < MAX_CONSOLES;
	     tok = strtok_r(NULL, " ", &save)) {
		snprintf(tty[n], sizeof(tty[n]), "/dev/%s", tok);
		proc_service_add("console shell", shell_argv, tty[n]);
		n++;
	}
}

static int cli_status(void)
{
	static const char *const files[] = { "phase", "tools", "reported", "error", "reporter", "bootmac", "history" };
	char buf[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (state_read(files[i], buf, sizeof(buf)) == 0 && buf[0] != '\0') {
			printf("%-9s %s%s", files[i], strchr(buf, '\n') && strchr(buf, '\n')[1] ? "\n" : "", buf);
			if (buf[0] == '\0' || buf[strlen(buf) - 1] != '\n') {
				printf("\n");
			}
		}
	}
	return 0;
}

/* `lifeboat reboot|poweroff|halt|status` from a shell; `lifeboat report`
 * and `lifeboat toolbox` are the services PID 1 starts. */
static int cli_main(int argc, char **argv)
{
	static const struct { const char *cmd; int sig; } cmds[] = {
		{ "reboot", SIGTERM }, { "poweroff", SIGUSR2 }, { "halt", SIGUSR1 },
	};
	static const struct { const char *cmd; int (*run)(void); } runs[] = {
		{ "status", cli_status }, { "report", report_main }, { "toolbox", toolbox_main },
	};
	size_t i;

	for (i = 0; argc == 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].cmd) == 0) {
			if (kill(1, cmds[i].sig) < 0) {
				fprintf(stderr, "lifeboat: cannot signal init: %s\n", strerror(errno));
				return 1;
			}
			return 0;
		}
	}
	for (i = 0; argc == 2 && i < sizeof(runs) / sizeof(runs[0]); i++) {
		if (strcmp(argv[1], runs[i].cmd) == 0) {
			return runs[i].run();
		}
	}
	fprintf(stderr, "usage: lifeboat reboot|poweroff|halt|status\n");
	return 2;
}

static void record_error(const char *msg)
{
	state_write("error", msg);
}

static void set_phase(const char *phase)
{
	lb_log("phase %s", phase);
	state_set_phase(phase);
	proc_service_signal(reporter, SIGUSR1);
}

/* Before going down: report shutting-down, waiting a bounded time. */
static void on_shutdown(const char *what)
{
	uint64_t deadline = lb_mono_ms() + SHUTDOWN_REPORT_MS;
	char sent[64];

	set_phase("shutting-down");
	if (reporter < 0) {
		return;
	}
	while (lb_mono_ms() < deadline) {
		state_read("reported", sent, sizeof(sent));
		if (strcmp(sent, "shutting-down") == 0) {
			lb_log("%s: shutting-down reported", what);
			return;
		}
		usleep(100 * 1000);
	}
	lb_log("%s: the shutting-down report did not go out within %d s", what, SHUTDOWN_REPORT_MS / 1000);
}

static void reporter_start(const struct config *cfg)
{
	static char *const argv[] = { "/init", "report", NULL };

	if (cfg->server[0] == '\0' && cfg->keys_url[0] == '\0') {
		lb_log("no lifeboat.server: status is not reported");
		return;
	}
	reporter = proc_service_add("reporter", argv, NULL);
	if (cfg->server[0] != '\0') {
		lb_log("reporting status to %s every %u s (in the background)", cfg->server, cfg->heartbeat);
	}
}

/* SSH first: the toolbox comes after it, in the background. */
static void toolbox_start(void)
{
	static char *const argv[] = { "/init", "toolbox", NULL };

	if (!toolbox_wanted()) {
		return; /* the minimal profile */
	}
	if (proc_service_add("toolbox", argv, NULL) < 0) {
		lb_error("cannot start the toolbox service: too many services");
		return;
	}
	lb_log("toolbox: getting it in the background (lifeboat status says how it goes)");
}

static void record_bootif(const struct config *cfg)
{
	char mac[18];

	if (cfg->have_bootif) {
		state_write("bootmac", iface_mac_str(cfg->bootif, mac));
	}
}

int main(int argc, char **argv)
{
	struct cmdline cl = { 0 };
	struct config cfg = config_defaults;
	int net_ok, ssh_ok, proc_rc;

	if (getpid() != 1) {
		return cli_main(argc, argv);
	}
	console_attach();
	proc_rc = proc_init(0);
	mount_early();
	console_attach();
	if (proc_rc < 0) {
		/* proc_init's policy: go on with the fallback, and say so */
		lb_error("cannot read signals through a signalfd: %s; %s", strerror(-proc_rc),
			 proc_rc == -EINVAL || proc_rc == -EPERM ? "children are reaped every second"
								 : "reading them with sigtimedwait instead");
	}
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "linux", 0);
	lb_set_error_sink(record_error);
	lb_log_to_kmsg(1);
	proc_set_shutdown_hook(on_shutdown);
	lb_log("agent %s starting", LIFEBOAT_VERSION);
	sethostname("lifeboat", 8);
	state_set_phase("booted");
	config_load(&cl, &cfg);
	record_bootif(&cfg);
	reporter_start(&cfg);
	net_ok = netpolicy_setup(&cfg) == 0;
	set_phase(net_ok ? "network-up" : "error");
	ssh_ok = ssh_setup(&cfg) == 0;
	if (ssh_ok && net_ok) {
		set_phase("ssh-ready");
	} else if (!ssh_ok) {
		set_phase("error");
	}
	print_summary();
	lb_log("ready");
	toolbox_start();
	consoles_start();
	for (;;) {
		proc_sleep(60000);
	}
}
