#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "kmsg.h"
#include "logship.h"
#include "redact.h"
#include "state.h"

#define BATCH_AGE_MS 2000

void logship_open(struct logship *l)
{
	l->len = 0;
	l->lost = 0;
	l->first_ms = 0;
	l->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static void add(struct logship *l, const char *line, size_t n)
{
	if (l->len == 0) {
		l->first_ms = (long long)lb_mono_ms();
	}
	memcpy(l->buf + l->len, line, n);
	l->len += n;
}

void logship_read(struct logship *l)
{
	char rec[8192], line[8300];
	ssize_t n;
	int w;

	while (l->fd >= 0) {
		if (l->lost > 0 && l->len + 80 < sizeof(l->buf)) {
			w = snprintf(line, sizeof(line), "lifeboat: (%lu log records lost before they could be sent)\n",
				     l->lost);
			add(l, line, (size_t)w);
			l->lost = 0;
		}
		if (l->len + sizeof(line) > sizeof(l->buf)) {
			return; /* full: the kernel keeps the rest until the batch went */
		}
		n = read(l->fd, rec, sizeof(rec) - 1); /* one record per read */
		if (n < 0 && errno == EPIPE) {
			l->lost++; /* overwritten before we read it: the next is there */
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return; /* EAGAIN: nothing more now */
		}
		w = kmsg_format(rec, (size_t)n, line, sizeof(line));
		if (w > 0) {
			lb_redact_token(line, (size_t)w);
			add(l, line, (size_t)w);
		}
	}
}

int logship_due(const struct logship *l, long long now_ms)
{
	return l->len > 0 && (l->len >= sizeof(l->buf) * 3 / 4 || now_ms - l->first_ms >= BATCH_AGE_MS);
}

void logship_sent(struct logship *l)
{
	l->len = 0;
}

/* ---- the diagnostic bundle ------------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		n = o->cap > o->len + 1 ? o->cap - o->len - 1 : 0;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* Text as the server takes it: UTF-8, tabs and newlines kept, other
 * bytes as \xNN. */
static void put_text(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[5];

	for (; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(o, esc, 4);
		} else {
			put(o, (const char *)p, 1);
		}
	}
}

static void put_file(struct out *o, const char *title, const char *path)
{
	char buf[16384];
	int n = fileio_read(path, buf, sizeof(buf));

	put(o, "== ", 3);
	put(o, title, strlen(title));
	put(o, "\n", 1);
	if (n < 0 && n != -EFBIG) {
		char why[120];
		int w = snprintf(why, sizeof(why), "(cannot read %s: %s)\n", path, strerror(-n));

		put(o, why, (size_t)w);
		return;
	}
	lb_redact_token(buf, strlen(buf));
	put_text(o, buf);
	if (buf[0] != '\0' && buf[strlen(buf) - 1] != '\n') {
		put(o, "\n", 1);
	}
	if (n == -EFBIG) {
		put(o, "(more: cut at 16 KiB)\n", 22);
	}
}

/* One line per entry of dir: its name and each attribute (a file under
 * it, or a link's target's last part). */
static void put_dir(struct out *o, const char *title, const char *dir, const char *const *attrs, size_t nattrs)
{
	DIR *d = opendir(dir);
	struct dirent *e = NULL;

	put(o, "== ", 3);
	put(o, title, strlen(title));
	put(o, "\n", 1);
	if (d == NULL) {
		put(o, "(none)\n", 7);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char line[1024], path[700], v[256];
		size_t used, i;

		if (e->d_name[0] == '.') {
			continue;
		}
		used = (size_t)snprintf(line, sizeof(line), "%s", e->d_name);
		for (i = 0; i < nattrs && used < sizeof(line); i++) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, attrs[i]);
			n = readlink(path, v, sizeof(v) - 1);
			if (n > 0) {
				v[n] = '\0';
				used += (size_t)snprintf(line + used, sizeof(line) - used, " %s=%s", attrs[i],
							 strrchr(v, '/') ? strrchr(v, '/') + 1 : v);
			} else if (fileio_read(path, v, sizeof(v)) >= 0) {
				v[strcspn(v, "\n")] = '\0';
				used += (size_t)snprintf(line + used, sizeof(line) - used, " %s=%s", attrs[i], v);
			} else {
				used += (size_t)snprintf(line + used, sizeof(line) - used, " %s=-", attrs[i]);
			}
		}
		if (used >= sizeof(line) - 1) {
			used = sizeof(line) - 2;
		}
		line[used++] = '\n';
		line[used] = '\0';
		put_text(o, line);
	}
	closedir(d);
}

size_t logship_bundle(char *p, size_t len)
{
	static const struct {
		const char *title, *path;
	} files[] = {
		{ "the agent's phase", STATE_DIR "/phase" },
		{ "the agent's phases so far", STATE_DIR "/history" },
		{ "the agent's errors", STATE_DIR "/error" },
		{ "the toolbox", STATE_DIR "/tools" },
		{ "the reporter's trouble", STATE_DIR "/reporter" },
		{ "the kernel's command line", "/proc/cmdline" },
		{ "disks and partitions", "/proc/partitions" },
		{ "md arrays", "/proc/mdstat" },
		{ "network interfaces' counters", "/proc/net/dev" },
		{ "IPv4 routes", "/proc/net/route" },
		{ "IPv6 addresses", "/proc/net/if_inet6" },
		{ "IPv6 routes", "/proc/net/ipv6_route" },
		{ "modules", "/proc/modules" },
		{ "mounts", "/proc/mounts" },
		{ "memory", "/proc/meminfo" },
	};
	static const char *const net[] = { "address", "operstate", "carrier", "speed", "device/driver" };
	static const char *const pci[] = { "vendor", "device", "class", "driver" };
	static const char *const block[] = { "size", "device/model", "device/driver" };
	struct out o = { .p = p, .len = 0, .cap = len };
	size_t i;

	if (len == 0) {
		return 0;
	}
	p[0] = '\0';
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		put_file(&o, files[i].title, files[i].path);
	}
	put_dir(&o, "network interfaces (/sys/class/net)", "/sys/class/net", net, sizeof(net) / sizeof(net[0]));
	put_dir(&o, "PCI devices and their drivers (/sys/bus/pci/devices)", "/sys/bus/pci/devices", pci,
		sizeof(pci) / sizeof(pci[0]));
	put_dir(&o, "block devices (/sys/block)", "/sys/block", block, sizeof(block) / sizeof(block[0]));
	return o.len;
}
