#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "fileio.h"
#include "ssh.h"
#include "state.h"

#define BAKED_KEYS "/etc/lifeboat/authorized_keys"
#define KEYGEN_TIMEOUT_MS 60000

/* Lines already written, to write each key once ("\nline\n" ...). */
struct written {
	char text[65536];
	size_t len;
};

static int put_key(FILE *out, struct written *w, const char *line)
{
	size_t n = strlen(line);
	char probe[4100];

	if (n == 0 || line[0] == '#' || n + 2 >= sizeof(probe)) {
		return 0;
	}
	snprintf(probe, sizeof(probe), "\n%s\n", line);
	if (w->len > 0 && strstr(w->text, probe) != NULL) {
		return 0;
	}
	if (w->len == 0) {
		w->text[w->len++] = '\n';
		w->text[w->len] = '\0';
	}
	if (w->len + n + 2 < sizeof(w->text)) {
		memcpy(w->text + w->len, line, n);
		w->len += n;
		w->text[w->len++] = '\n';
		w->text[w->len] = '\0';
	}
	fprintf(out, "%s\n", line);
	return 1;
}

static int copy_key_file(FILE *out, struct written *w, const char *path)
{
	char line[4096];
	FILE *in = fopen(path, "re");
	int n = 0;

	if (in == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		n += put_key(out, w, line);
	}
	fclose(in);
	return n;
}

/* authorized_keys has one writer, PID 1, here: the reporter leaves what it
 * fetched in the state directory and sends SIGHUP (two writers renaming
 * over each other lost the fetched keys). */
int ssh_install_keys(const struct config *cfg)
{
	static struct written w;
	struct atomic_file af;
	size_t i;
	int n = 0, rc;

	w.len = 0;
	w.text[0] = '\0';
	mkdir("/root", 0700);
	mkdir("/root/.ssh", 0700);
	chmod("/root", 0700);
	chmod("/root/.ssh", 0700);
	rc = fileio_atomic_open(&af, SSH_AUTH_KEYS, 0600);
	if (rc < 0) {
		return rc;
	}
	for (i = 0; i < cfg->nsshkeys; i++) {
		n += put_key(af.f, &w, cfg->sshkeys[i]);
	}
	n += copy_key_file(af.f, &w, BAKED_KEYS);
	n += copy_key_file(af.f, &w, STATE_DIR "/" SSH_FETCHED_KEYS);
	rc = fileio_atomic_commit(&af);
	return rc < 0 ? rc : n;
}

/* Reads "ssh-xxx AAAA... root@host" and "Fingerprint: SHA256:..." from
 * the output of dropbearkey -y. */
static int parse_pubkey_output(char *out, struct hostkey *k)
{
	char *line = NULL, *save = NULL;

	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Fingerprint: ", 13) == 0) {
			snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", line + 13);
		} else if (strncmp(line, "ssh-", 4) == 0 || strncmp(line, "ecdsa-", 6) == 0) {
			char *sp = strchr(line, ' ');

			/* drop dropbearkey's "root@host" comment */
			sp = sp == NULL ? NULL : strchr(sp + 1, ' ');
			if (sp != NULL) {
				*sp = '\0';
			}
			snprintf(k->pubkey, sizeof(k->pubkey), "%s", line);
		}
	}
	return k->fingerprint[0] != '\0' && k->pubkey[0] != '\0' ? 0 : -EINVAL;
}

static int make_hostkey(struct hostkey *k)
{
	char out[2048];
	char *gen[] = { "/usr/bin/dropbearkey", "-t", (char *)k->type, "-f", (char *)k->path, NULL };
	char *show[] = { "/usr/bin/dropbearkey", "-y", "-f", (char *)k->path, NULL };
	int rc;

	unlink(k->path);
	rc = proc_run(gen, out, sizeof(out), KEYGEN_TIMEOUT_MS);
	if (rc != 0) {
		lb_error("cannot generate %s host key: dropbearkey %s", k->type,
		       rc == -ETIMEDOUT ? "timed out" : "failed");
		return rc < 0 ? rc : -EIO;
	}
	rc = proc_run(show, out, sizeof(out), KEYGEN_TIMEOUT_MS);
	if (rc != 0 || parse_pubkey_output(out, k) < 0) {
		lb_error("cannot read %s host key fingerprint", k->type);
		return -EIO;
	}
	k->ok = 1;
	return 0;
}

/* The reporter (another process) reads the "hostkeys" state file at any
 * time, and lifeboatd pins the keys of the first report that carries
 * any: so the file appears once, whole, after every key is made. Written
 * key by key, a report sent between the ed25519 and the ecdsa key pinned
 * one key, and the next report's two keys put the session in conflict. */
int ssh_make_hostkeys(struct hostkey *keys, size_t n)
{
	char all[4096] = "";
	size_t i, used = 0;
	int made = 0;

	mkdir("/etc/dropbear", 0700);
	for (i = 0; i < n; i++) {
		if (make_hostkey(&keys[i]) == 0) {
			/* "type base64 fingerprint", for the status report */
			int w = snprintf(all + used, sizeof(all) - used, "%s %s\n", keys[i].pubkey, keys[i].fingerprint);

			if (w > 0 && (size_t)w < sizeof(all) - used) {
				used += (size_t)w;
			} else {
				all[used] = '\0'; /* leave a key out rather than cut one */
			}
			made++;
		}
	}
	state_write("hostkeys", all);
	return made;
}

int ssh_start(const struct hostkey *keys, size_t n)
{
	static char *argv[16];
	size_t i;
	int k = 0;

	argv[k++] = "/usr/sbin/dropbear";
	argv[k++] = "-F";  /* foreground: supervised by us; logs go to the console */
	/* No -s/-g: password authentication is compiled out of our dropbear
	 * (build/dropbear.sh), so there is no password login to disable. */
	argv[k++] = "-P";
	argv[k++] = "/run/dropbear.pid";
	for (i = 0; i < n && k < 14; i++) {
		if (keys[i].ok) {
			argv[k++] = "-r";
			argv[k++] = (char *)keys[i].path;
		}
	}
	argv[k] = NULL;
	return proc_service_add("dropbear", argv, NULL);
}
