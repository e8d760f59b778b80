#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "inventory.h"
#include "sockaddr.h"

/* Reads a small sysfs/proc file, trimmed; "" when absent. */
static const char *read_trim(const char *path, char *buf, size_t len)
{
	size_t n;

	fileio_read(path, buf, len); /* "" when it cannot be read */
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t')) {
		buf[--n] = '\0';
	}
	return buf + strspn(buf, " \t");
}

static long long read_ll(const char *path, long long dflt)
{
	char buf[64];
	const char *s = read_trim(path, buf, sizeof(buf));
	char *end = NULL;
	long long v;

	if (*s == '\0') {
		return dflt;
	}
	v = strtoll(s, &end, 10);
	return *end == '\0' ? v : dflt;
}

static void kv_sysfs_string(struct json *j, const char *key, const char *path)
{
	char buf[256];
	const char *s = read_trim(path, buf, sizeof(buf));

	json_kv_string(j, key, *s ? s : NULL);
}

static int skip_block(const char *name)
{
	static const char *const prefixes[] = { "loop", "ram", "zram", "fd", "sr", "nbd" };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
			return 1;
		}
	}
	return name[0] == '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted directory entry names (caller frees). */
static int list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e = NULL;
	char **v = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		if (n == cap) {
			char **nv = realloc(v, (size_t)(cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL) {
				break;
			}
			v = nv;
		}
		v[n] = strdup(e->d_name);
		if (v[n] != NULL) {
			n++;
		}
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

/* SCSI/SATA disks: the unit serial number VPD page (0x80): a 4-byte
 * header whose byte 3 is the length, then the serial, blank-padded. */
static const char *read_vpd_serial(const char *disk, char *buf, size_t len)
{
	unsigned char page[256];
	char path[128];
	size_t n, l, i = 0, o = 0;
	FILE *f = NULL;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/block/%s/device/vpd_pg80", disk);
	f = fopen(path, "re");
	if (f == NULL) {
		return buf;
	}
	n = fread(page, 1, sizeof(page), f);
	fclose(f);
	if (n < 4 || page[1] != 0x80) {
		return buf;
	}
	l = page[3] < n - 4 ? page[3] : n - 4;
	while (i < l && page[4 + i] == ' ') {
		i++;
	}
	for (; i < l && o + 1 < len; i++) {
		buf[o++] = (char)page[4 + i];
	}
	while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\0')) {
		o--;
	}
	buf[o] = '\0';
	return buf;
}

static void write_partitions(struct json *j, const char *disk)
{
	char dir[128], path[256];
	char **names = NULL;
	int n, i;

	snprintf(dir, sizeof(dir), "/sys/block/%s", disk);
	n = list_dir(dir, &names);
	json_key(j, "partitions");
	json_array_begin(j);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/partition", dir, names[i]);
		if (access(path, F_OK) != 0) {
			continue;
		}
		json_object_begin(j);
		json_kv_string(j, "name", names[i]);
		snprintf(path, sizeof(path), "%s/%s/size", dir, names[i]);
		json_kv_int(j, "size_bytes", read_ll(path, 0) * 512);
		snprintf(path, sizeof(path), "%s/%s/start", dir, names[i]);
		json_kv_int(j, "start_sector", read_ll(path, 0));
		json_object_end(j);
	}
	json_array_end(j);
	free_list(names, n);
}

static void write_disks(struct json *j)
{
	char **names = NULL, path[256];
	int n = list_dir("/sys/block", &names), i;

	json_key(j, "disks");
	json_array_begin(j);
	for (i = 0; i < n; i++) {
		char serial[256];
		const char *s = NULL;

		if (skip_block(names[i])) {
			continue;
		}
		json_object_begin(j);
		json_kv_string(j, "name", names[i]);
		snprintf(path, sizeof(path), "/sys/block/%s/size", names[i]);
		json_kv_int(j, "size_bytes", read_ll(path, 0) * 512);
		snprintf(path, sizeof(path), "/sys/block/%s/device/model", names[i]);
		kv_sysfs_string(j, "model", path);
		/* virtio-blk has "serial" on the disk, NVMe on the device, SCSI
		 * and SATA in the VPD page 0x80 */
		snprintf(path, sizeof(path), "/sys/block/%s/serial", names[i]);
		s = read_trim(path, serial, sizeof(serial));
		if (*s == '\0') {
			snprintf(path, sizeof(path), "/sys/block/%s/device/serial", names[i]);
			s = read_trim(path, serial, sizeof(serial));
		}
		if (*s == '\0') {
			s = read_vpd_serial(names[i], serial, sizeof(serial));
		}
		json_kv_string(j, "serial", *s ? s : NULL);
		snprintf(path, sizeof(path), "/sys/block/%s/queue/rotational", names[i]);
		json_kv_bool(j, "rotational", read_ll(path, 0) == 1);
		snprintf(path, sizeof(path), "/sys/block/%s/removable", names[i]);
		json_kv_bool(j, "removable", read_ll(path, 0) == 1);
		snprintf(path, sizeof(path), "/sys/block/%s/ro", names[i]);
		json_kv_bool(j, "read_only", read_ll(path, 0) == 1);
		write_partitions(j, names[i]);
		json_object_end(j);
	}
	json_array_end(j);
	free_list(names, n);
}

/* Leading one bits of a netmask of n bytes. */
static int mask_prefix(const unsigned char *m, size_t n)
{
	size_t i;
	int prefix = 0;

	for (i = 0; i < n && m[i] == 0xff; i++) {
		prefix += 8;
	}
	for (int bit = 7; i < n && bit >= 0 && (m[i] & (1u << bit)); bit--) {
		prefix++;
	}
	return prefix;
}

/* The addresses of family on ifname as "address/prefix" under key:
 * "ipv4", or "ipv6" (link-local ones too: the admin on the same link may
 * use them, the boot server knows to skip them). */
static void write_family(struct json *j, const struct ifaddrs *ifa, const char *ifname, int family, const char *key)
{
	const struct ifaddrs *p = NULL;
	char addr[INET6_ADDRSTRLEN + 4], buf[INET6_ADDRSTRLEN];
	size_t mlen = family == AF_INET ? 4 : 16;

	json_key(j, key);
	json_array_begin(j);
	for (p = ifa; p != NULL; p = p->ifa_next) {
		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != family || strcmp(p->ifa_name, ifname) != 0) {
			continue;
		}
		inet_ntop(family, sockaddr_addr(p->ifa_addr, family), buf, sizeof(buf));
		if (p->ifa_netmask != NULL) {
			snprintf(addr, sizeof(addr), "%s/%d", buf, mask_prefix(sockaddr_addr(p->ifa_netmask, family), mlen));
		} else {
			snprintf(addr, sizeof(addr), "%s", buf);
		}
		json_string(j, addr);
	}
	json_array_end(j);
}

static void write_addresses(struct json *j, const char *ifname)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) != 0) {
		ifa = NULL;
	}
	write_family(j, ifa, ifname, AF_INET, "ipv4");
	write_family(j, ifa, ifname, AF_INET6, "ipv6");
	if (ifa != NULL) {
		freeifaddrs(ifa);
	}
}

void inventory_interfaces(struct json *j)
{
	char **names = NULL, path[256];
	int n = list_dir("/sys/class/net", &names), i;

	json_key(j, "interfaces");
	json_array_begin(j);
	for (i = 0; i < n; i++) {
		/* Ethernet only (VLANs included): no lo, sit0 or tunnels */
		snprintf(path, sizeof(path), "/sys/class/net/%s/type", names[i]);
		if (read_ll(path, -1) != 1) {
			continue;
		}
		json_object_begin(j);
		json_kv_string(j, "name", names[i]);
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", names[i]);
		kv_sysfs_string(j, "mac", path);
		snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", names[i]);
		kv_sysfs_string(j, "state", path);
		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", names[i]);
		json_kv_bool(j, "carrier", read_ll(path, 0) == 1);
		snprintf(path, sizeof(path), "/sys/class/net/%s/speed", names[i]);
		json_key(j, "speed_mbps");
		{
			long long sp = read_ll(path, -1);

			if (sp > 0) {
				json_int(j, sp);
			} else {
				json_null(j);
			}
		}
		snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", names[i]);
		json_kv_int(j, "mtu", read_ll(path, 0));
		write_addresses(j, names[i]);
		json_object_end(j);
	}
	json_array_end(j);
	free_list(names, n);
}

static void write_memory_cpus(struct json *j)
{
	char line[256], model[200] = "";
	long long mem_kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "MemTotal: %lld kB", &mem_kb) == 1) {
				break;
			}
		}
		fclose(f);
	}
	json_kv_int(j, "memory_bytes", mem_kb * 1024);
	f = fopen("/proc/cpuinfo", "re");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	json_key(j, "cpus");
	json_object_begin(j);
	json_kv_int(j, "count", sysconf(_SC_NPROCESSORS_ONLN));
	json_kv_string(j, "model", model[0] ? model : NULL);
	json_object_end(j);
}

static void write_dmi(struct json *j)
{
	static const struct { const char *key, *file; } fields[] = {
		{ "vendor", "sys_vendor" }, { "product", "product_name" }, { "serial", "product_serial" },
		{ "uuid", "product_uuid" }, { "board_vendor", "board_vendor" }, { "board_name", "board_name" },
		{ "bios_version", "bios_version" },
	};
	char path[128];
	size_t i;

	json_key(j, "dmi");
	json_object_begin(j);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", fields[i].file);
		kv_sysfs_string(j, fields[i].key, path);
	}
	json_object_end(j);
}

void inventory_write(struct json *j)
{
	json_key(j, "inventory");
	json_object_begin(j);
	write_disks(j);
	write_memory_cpus(j);
	write_dmi(j);
	json_object_end(j);
}
