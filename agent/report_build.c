#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "http.h"
#include "inventory.h"
#include "log.h"
#include "report_build.h"
#include "ssh.h"
#include "state.h"

#ifndef LIFEBOAT_VERSION
#define LIFEBOAT_VERSION "unknown"
#endif

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define REQUEST_TIMEOUT_MS 10000u
static double uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_history(struct json *j)
{
	char buf[4096], *line = NULL, *save = NULL;

	state_read("history", buf, sizeof(buf));
	json_key(j, "history");
	json_array_begin(j);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp == NULL) {
			continue;
		}
		*sp = '\0';
		json_object_begin(j);
		json_kv_string(j, "phase", line);
		json_key(j, "uptime");
		json_double(j, strtod(sp + 1, NULL), 2);
		json_object_end(j);
	}
	json_array_end(j);
}

/* hostkeys: "type base64 fingerprint" per line */
static void write_ssh(struct json *j)
{
	char buf[4096], *line = NULL, *save = NULL, count[32];

	json_key(j, "ssh");
	json_object_begin(j);
	json_kv_int(j, "port", 22);
	state_read("authorized_keys", count, sizeof(count));
	json_kv_int(j, "authorized_keys", strtol(count, NULL, 10));
	state_read("hostkeys", buf, sizeof(buf));
	json_key(j, "host_keys");
	json_array_begin(j);
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char type[64], key[1024], fp[128];

		if (sscanf(line, "%63s %1023s %127s", type, key, fp) != 3) {
			continue;
		}
		json_object_begin(j);
		json_kv_string(j, "type", type);
		json_kv_string(j, "key", key);
		json_kv_string(j, "fingerprint", fp);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void kv_state_line(struct json *j, const char *key, const char *name)
{
	char buf[1024];

	state_read(name, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	json_kv_string(j, key, buf[0] ? buf : NULL);
}

int report_build(struct json *j, const struct config *cfg, unsigned long seq, const char *phase)
{
	struct utsname u;
	char host[65] = "";

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	json_object_begin(j);
	json_kv_string(j, "format", LB_REPORT_FORMAT);
	json_kv_int(j, "version", REPORT_FORMAT_VERSION);
	json_kv_uint(j, "seq", seq);
	json_kv_string(j, "phase", phase);
	write_history(j);
	json_kv_string(j, "agent_version", LIFEBOAT_VERSION);
	json_kv_string(j, "kernel", u.release);
	json_kv_string(j, "hostname", host);
	json_key(j, "uptime");
	json_double(j, uptime_s(), 2);
	kv_state_line(j, "boot_mac", "bootmac");
	inventory_interfaces(j);
	write_ssh(j);
	inventory_write(j);
	kv_state_line(j, "tools", "tools");
	kv_state_line(j, "error", "error");
	json_object_end(j);
	return j->failed;
}
