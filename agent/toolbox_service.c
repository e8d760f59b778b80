#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "fileio.h"
#include "cmdline.h"
#include "config.h"
#include "http.h"
#include "linktree.h"
#include "log.h"
#include "loopmount.h"
#include "phase.h"
#include "state.h"
#include "tls.h"
#include "toolbox.h"
#include "wire.h"

/* The toolbox service, `lifeboat toolbox` (toolbox.h). */

#define RETRY_MIN_S 5u
#define RETRY_MAX_S 60u
#define FETCH_TIMEOUT_MS (10u * 60u * 1000u)

int toolbox_wanted(void)
{
	return access(LB_PATH_TOOLBOX_SHA256, F_OK) == 0;
}

/* ---- mechanism ------------------------------------------------------------ */

static void hex_format(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	}
}

/* The SHA-256 of what fd holds, read from its start. */
static int hash_fd(int fd, uint8_t out[32])
{
	static char buf[65536];
	br_sha256_context h;
	ssize_t r;

	br_sha256_init(&h);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		return -errno;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		br_sha256_update(&h, buf, (size_t)r);
	}
	br_sha256_out(&h, out);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sink_to_fd(void *ctx, const char *p, size_t n)
{
	return write_all(*(int *)ctx, p, n);
}

/* Downloads url into TOOLBOX_DOWNLOAD (RAM: /run is a tmpfs); its
 * descriptor, or -errno with err set (the partial file removed). */
static int fetch(const struct config *cfg, const struct tls_trust *trust, char *err, size_t errlen)
{
	struct url u;
	unsigned long long got = 0;
	int fd, rc;

	rc = url_parse(cfg->toolbox_url, &u, err, errlen);
	if (rc < 0) {
		return rc;
	}
	unlink(TOOLBOX_DOWNLOAD);
	fd = open(TOOLBOX_DOWNLOAD, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd < 0) {
		rc = -errno;
		lb_err(err, errlen, "cannot create " TOOLBOX_DOWNLOAD ": %s", strerror(errno));
		return rc;
	}
	rc = http_get_stream(&u, trust, NULL, FETCH_TIMEOUT_MS, TOOLBOX_MAX_BYTES, sink_to_fd, &fd, &got, err,
			     errlen);
	if (rc < 0) {
		goto err_get;
	}
	lb_log("toolbox: %llu bytes from %s", got, cfg->toolbox_url);
	return fd;
err_get:
	close(fd);
	unlink(TOOLBOX_DOWNLOAD);
	return rc;
}

/* ---- the service ---------------------------------------------------------- */

struct attempt {
	const struct config *cfg;
	const struct tls_trust *trust;
	int have_ca;
	uint8_t want[32];
	char source[600];
	int mounted; /* checked and mounted: a later try only links */
};

/* The phase says the toolbox's state only once SSH is up: "error" or
 * "shutting-down" stay what they are. */
static void set_tools_phase(const char *phase)
{
	char now[64];

	state_read("phase", now, sizeof(now));
	now[strcspn(now, "\n")] = '\0';
	if (lb_phase_ssh_up(now) && strcmp(now, phase) != 0) {
		lb_log("phase %s", phase);
		state_set_phase(phase);
	}
}

/* Opens the toolbox from where the policy says. Its descriptor, or -errno
 * with err set. */
static int open_source(struct attempt *a, char *err, size_t errlen)
{
	int fd;

	switch (toolbox_pick_source(access(LB_PATH_TOOLBOX_INITRD, F_OK) == 0, a->cfg->toolbox_url)) {
	case TOOLBOX_INITRD:
		snprintf(a->source, sizeof(a->source), "the second initrd (" LB_PATH_TOOLBOX_INITRD ")");
		fd = open(LB_PATH_TOOLBOX_INITRD, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			lb_err(err, errlen, "cannot open " LB_PATH_TOOLBOX_INITRD ": %s", strerror(-fd));
		}
		return fd;
	case TOOLBOX_URL:
		snprintf(a->source, sizeof(a->source), "%s", a->cfg->toolbox_url);
		if (config_url_allowed(a->cfg, a->cfg->toolbox_url, a->have_ca, err, errlen) < 0) {
			return -EPERM;
		}
		state_write("tools", "fetching\n");
		return fetch(a->cfg, a->trust, err, errlen);
	case TOOLBOX_NONE:
		break;
	}
	snprintf(a->source, sizeof(a->source), "nowhere");
	lb_err(err, errlen, "no toolbox: no second initrd brought one and there is no " LB_KARG_TOOLBOX "= URL");
	return -ENOENT;
}

/* One try: open, check, mount, link. 0, or -errno with err set. */
static int try_once(struct attempt *a, char *err, size_t errlen)
{
	struct link_counts n;
	uint8_t got[32];
	char dev[32], hgot[65], hwant[65];
	int fd, rc;

	if (a->mounted) {
		goto link;
	}
	fd = open_source(a, err, errlen);
	if (fd < 0) {
		return fd;
	}
	rc = hash_fd(fd, got);
	if (rc < 0) {
		lb_err(err, errlen, "cannot read the toolbox from %s: %s", a->source, strerror(-rc));
		goto err_check;
	}
	if (memcmp(got, a->want, sizeof(got)) != 0) {
		hex_format(got, 32, hgot);
		hex_format(a->want, 32, hwant);
		lb_err(err, errlen, "refusing the toolbox from %s: its SHA-256 is %s, the image expects %s", a->source,
		       hgot, hwant);
		rc = -EBADMSG;
		goto err_check;
	}
	rc = loop_mount_ro(fd, TOOLBOX_MOUNT, "squashfs", dev, sizeof(dev));
	if (rc < 0) {
		lb_err(err, errlen, "cannot mount the toolbox from %s on " TOOLBOX_MOUNT ": %s", a->source,
		       strerror(-rc));
		goto err_check;
	}
	close(fd);
	a->mounted = 1;
link:
	rc = link_tree(TOOLBOX_MOUNT, "/", &n, err, errlen);
	if (rc < 0) {
		return rc; /* the next try links what is missing */
	}
	lb_log("toolbox: checked (SHA-256), mounted on " TOOLBOX_MOUNT " from %s; %u files linked into /, %u "
	       "names the image has itself kept",
	       a->source, n.linked, n.kept);
	return 0;
err_check:
	close(fd);
	if (strcmp(a->source, a->cfg->toolbox_url) == 0) {
		unlink(TOOLBOX_DOWNLOAD); /* RAM back */
	}
	return rc;
}

static unsigned int jittered(unsigned int s)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		r = (unsigned int)time(NULL);
	}
	return s * 1000 / 2 + r % (s * 1000 / 2 + 1);
}

static void fail_forever(const char *why)
{
	char line[800];

	lb_log("toolbox: %s", why);
	snprintf(line, sizeof(line), "failed: %s\n", why);
	state_write("tools", line);
	set_tools_phase(LB_PHASE_TOOLS_FAILED);
	for (;;) {
		pause();
	}
}

int toolbox_main(void)
{
	static struct tls_trust trust;
	static struct cmdline cl;
	static struct config cfg;
	struct attempt a = { .cfg = &cfg, .trust = &trust };
	char text[128], err[700] = "", line[800], last[700] = "";
	unsigned int wait_s = RETRY_MIN_S, failures = 0;

	lb_log_to_kmsg(0); /* its lines reach lifeboatd with the kernel's */
	config_read_quietly(&cl, &cfg);
	http_pin_sources(STATE_DIR, cfg.bound);
	if (fileio_read(LB_PATH_TOOLBOX_SHA256, text, sizeof(text)) < 0) {
		fail_forever("cannot read " LB_PATH_TOOLBOX_SHA256);
	}
	if (toolbox_parse_sha256(text, a.want, err, sizeof(err)) < 0) {
		snprintf(line, sizeof(line), "cannot use " LB_PATH_TOOLBOX_SHA256 ": %s", err);
		fail_forever(line);
	}
	if (tls_trust_load(&trust, cfg.have_tlspin ? cfg.tlspin : NULL, LB_PATH_AGENT_CA, &a.have_ca, err,
			   sizeof(err)) < 0) {
		snprintf(line, sizeof(line), "cannot use " LB_PATH_AGENT_CA ": %s; no toolbox from the network", err);
		cfg.toolbox_url[0] = '\0';
		if (access(LB_PATH_TOOLBOX_INITRD, F_OK) != 0) {
			fail_forever(line);
		}
	}
	for (;;) {
		int rc = try_once(&a, err, sizeof(err));

		if (rc == 0) {
			snprintf(line, sizeof(line), "ready from %s\n", a.source);
			state_write("tools", line);
			set_tools_phase(LB_PHASE_TOOLS_READY);
			if (failures > 0) {
				lb_log("toolbox: ready after %u failed attempt%s", failures, failures == 1 ? "" : "s");
			}
			for (;;) {
				pause();
			}
		}
		if (rc == -ENOENT && strcmp(a.source, "nowhere") == 0) {
			fail_forever(err);
		}
		failures++;
		snprintf(line, sizeof(line), "failed: %s\n", err);
		state_write("tools", line);
		set_tools_phase(LB_PHASE_TOOLS_FAILED);
		/* said once, then every 10th time or when the reason changes */
		if (failures % 10 == 1 || strcmp(err, last) != 0) {
			lb_log("toolbox: %s; retrying in about %u s (SSH works meanwhile, with BusyBox)", err, wait_s);
		}
		snprintf(last, sizeof(last), "%s", err);
		usleep(jittered(wait_s) * 1000u);
		wait_s = wait_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : wait_s * 2;
	}
}
