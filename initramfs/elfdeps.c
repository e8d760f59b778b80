#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfdeps.h"

static const char *const host_default_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/lib", "/usr/lib", NULL,
};

const struct elf_search elf_search_host = {
	.ldconf = "/etc/ld.so.conf",
	.default_dirs = host_default_dirs,
};

struct elf_info {
	int cls;          /* ELFCLASS32 / ELFCLASS64 */
	int machine;
	char *interp;
	char **needed;
	size_t nneeded;
	char *rpath;
	char *runpath;
};

static void elf_info_free(struct elf_info *ei)
{
	size_t i;

	free(ei->interp);
	for (i = 0; i < ei->nneeded; i++) {
		free(ei->needed[i]);
	}
	free(ei->needed);
	free(ei->rpath);
	free(ei->runpath);
	memset(ei, 0, sizeof(*ei));
}

int elf_is_elf(const char *path)
{
	unsigned char id[SELFMAG];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		return -errno;
	}
	n = read(fd, id, sizeof(id));
	close(fd);
	return n == SELFMAG && memcmp(id, ELFMAG, SELFMAG) == 0;
}

/* Generic accessors over 32/64-bit structures. */
#define FIELD(cls, p, T, f) ((cls) == ELFCLASS64 ? ((const Elf64_##T *)(p))->f : ((const Elf32_##T *)(p))->f)

static int in_bounds(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_off(const unsigned char *b, size_t size, int cls, uint64_t phoff,
			unsigned int phnum, unsigned int phentsize, uint64_t vaddr, uint64_t *off)
{
	unsigned int i;

	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = b + phoff + (uint64_t)i * phentsize;

		if (FIELD(cls, ph, Phdr, p_type) != PT_LOAD) {
			continue;
		}
		uint64_t va = FIELD(cls, ph, Phdr, p_vaddr), fsz = FIELD(cls, ph, Phdr, p_filesz);

		if (vaddr >= va && vaddr - va < fsz) {
			*off = FIELD(cls, ph, Phdr, p_offset) + (vaddr - va);
			return 0;
		}
	}
	return -EINVAL;
}

static char *strtab_get(const unsigned char *b, size_t size, uint64_t strtab, uint64_t strsz, uint64_t idx)
{
	const char *s = NULL;
	size_t max;

	if (idx >= strsz || !in_bounds(size, strtab, strsz)) {
		return NULL;
	}
	s = (const char *)b + strtab + idx;
	max = (size_t)(strsz - idx);
	if (strnlen(s, max) == max) {
		return NULL;
	}
	return strdup(s);
}

static int parse_dynamic(const unsigned char *b, size_t size, int cls, uint64_t phoff, unsigned int phnum,
			 unsigned int phentsize, uint64_t dynoff, uint64_t dynsz, struct elf_info *ei)
{
	size_t entsz = cls == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t strtab_va = 0, strsz = 0, strtab = 0, i, n = dynsz / entsz;
	size_t nneeded = 0;

	if (!in_bounds(size, dynoff, dynsz)) {
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *d = b + dynoff + i * entsz;
		int64_t tag = FIELD(cls, d, Dyn, d_tag);

		if (tag == DT_NULL) {
			break;
		}
		if (tag == DT_STRTAB) {
			strtab_va = FIELD(cls, d, Dyn, d_un.d_ptr);
		} else if (tag == DT_STRSZ) {
			strsz = FIELD(cls, d, Dyn, d_un.d_val);
		} else if (tag == DT_NEEDED) {
			nneeded++;
		}
	}
	if (strtab_va == 0 || vaddr_to_off(b, size, cls, phoff, phnum, phentsize, strtab_va, &strtab) < 0) {
		return nneeded == 0 ? 0 : -EINVAL;
	}
	ei->needed = calloc(nneeded + 1, sizeof(char *));
	if (ei->needed == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *d = b + dynoff + i * entsz;
		int64_t tag = FIELD(cls, d, Dyn, d_tag);
		uint64_t val = FIELD(cls, d, Dyn, d_un.d_val);
		char *s = NULL;

		if (tag == DT_NULL) {
			break;
		}
		if (tag != DT_NEEDED && tag != DT_RPATH && tag != DT_RUNPATH) {
			continue;
		}
		s = strtab_get(b, size, strtab, strsz, val);
		if (s == NULL) {
			return -EINVAL;
		}
		if (tag == DT_NEEDED) {
			ei->needed[ei->nneeded++] = s;
		} else if (tag == DT_RPATH) {
			free(ei->rpath);
			ei->rpath = s;
		} else {
			free(ei->runpath);
			ei->runpath = s;
		}
	}
	return 0;
}

/* Reads the headers of one ELF file: class, machine, interpreter, dynamic
 * section. -ENOEXEC when not ELF, -EINVAL when malformed. */
static int elf_read(const char *path, struct elf_info *ei)
{
	struct stat st;
	unsigned char *b = NULL;
	uint64_t phoff, dynoff = 0, dynsz = 0;
	unsigned int phnum, phentsize, i;
	size_t size;
	int fd, cls, rc = -EINVAL;

	memset(ei, 0, sizeof(*ei));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto err_stat;
	}
	size = (size_t)st.st_size;
	if (size < EI_NIDENT) {
		rc = -ENOEXEC;
		goto err_stat;
	}
	b = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (b == MAP_FAILED) {
		rc = -errno;
		goto err_stat;
	}
	if (memcmp(b, ELFMAG, SELFMAG) != 0) {
		rc = -ENOEXEC;
		goto err_parse;
	}
	cls = b[EI_CLASS];
	if ((cls != ELFCLASS64 && cls != ELFCLASS32) || b[EI_DATA] != ELFDATA2LSB ||
	    size < (cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
		goto err_parse;
	}
	ei->cls = cls;
	ei->machine = FIELD(cls, b, Ehdr, e_machine);
	phoff = FIELD(cls, b, Ehdr, e_phoff);
	phnum = FIELD(cls, b, Ehdr, e_phnum);
	phentsize = FIELD(cls, b, Ehdr, e_phentsize);
	if (phentsize != (cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    !in_bounds(size, phoff, (uint64_t)phnum * phentsize)) {
		goto err_parse;
	}
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = b + phoff + (uint64_t)i * phentsize;
		uint32_t type = FIELD(cls, ph, Phdr, p_type);
		uint64_t off = FIELD(cls, ph, Phdr, p_offset), fsz = FIELD(cls, ph, Phdr, p_filesz);

		if (type == PT_INTERP) {
			if (!in_bounds(size, off, fsz) || fsz == 0 || fsz > PATH_MAX ||
			    memchr(b + off, '\0', fsz) == NULL) {
				goto err_parse;
			}
			ei->interp = strdup((const char *)b + off);
			if (ei->interp == NULL) {
				rc = -ENOMEM;
				goto err_parse;
			}
		} else if (type == PT_DYNAMIC) {
			dynoff = off;
			dynsz = fsz;
		}
	}
	if (dynsz > 0 && (rc = parse_dynamic(b, size, cls, phoff, phnum, phentsize, dynoff, dynsz, ei)) < 0) {
		goto err_parse;
	}
	munmap(b, size);
	close(fd);
	return 0;

err_parse:
	munmap(b, size);
err_stat:
	close(fd);
	elf_info_free(ei);
	return rc;
}

/* ---- search path ------------------------------------------------------- */

struct strv {
	char **v;
	size_t n, cap;
};

static int strv_push(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(str);
	return s->v[s->n] == NULL ? -ENOMEM : (s->n++, 0);
}

static void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i]);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Reads ld.so.conf with its "include" globs (relative to its directory). */
static void ldconf_read(const char *path, struct strv *dirs, int depth)
{
	char line[PATH_MAX + 16];
	FILE *f = NULL;

	if (depth > 8 || (f = fopen(path, "re")) == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end = NULL;

		line[strcspn(line, "#\r\n")] = '\0';
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
			*--end = '\0';
		}
		if (*p == '\0') {
			continue;
		}
		if (strncmp(p, "include", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
			char pattern[PATH_MAX];
			glob_t g;
			size_t i;

			p += 8;
			while (*p == ' ' || *p == '\t') {
				p++;
			}
			if (*p == '/') {
				snprintf(pattern, sizeof(pattern), "%s", p);
			} else {
				const char *slash = strrchr(path, '/');

				snprintf(pattern, sizeof(pattern), "%.*s/%s",
					 slash ? (int)(slash - path) : 1, slash ? path : ".", p);
			}
			if (glob(pattern, 0, NULL, &g) == 0) {
				for (i = 0; i < g.gl_pathc; i++) {
					ldconf_read(g.gl_pathv[i], dirs, depth + 1);
				}
				globfree(&g);
			}
			continue;
		}
		if (*p == '/') {
			strv_push(dirs, p);
		}
	}
	fclose(f);
}

/* Expands $ORIGIN / ${ORIGIN}, $LIB, $PLATFORM in one path list entry. */
static void expand_dst(const char *in, const char *origin, int cls, char *out, size_t outlen)
{
	static const struct { const char *name; int braced; } toks[] = {
		{ "ORIGIN", 0 }, { "LIB", 0 }, { "PLATFORM", 0 },
	};
	size_t o = 0;

	while (*in != '\0' && o + 1 < outlen) {
		const char *val = NULL;
		size_t skip = 0, i;

		if (*in == '$') {
			for (i = 0; i < sizeof(toks) / sizeof(toks[0]) && val == NULL; i++) {
				size_t l = strlen(toks[i].name);

				if (strncmp(in + 1, toks[i].name, l) == 0) {
					skip = 1 + l;
				} else if (in[1] == '{' && strncmp(in + 2, toks[i].name, l) == 0 && in[2 + l] == '}') {
					skip = 3 + l;
				} else {
					continue;
				}
				val = i == 0 ? origin : i == 1 ? (cls == ELFCLASS64 ? "lib64" : "lib") : "x86_64";
			}
		}
		if (val != NULL) {
			size_t l = strlen(val);

			if (o + l >= outlen) {
				break;
			}
			memcpy(out + o, val, l);
			o += l;
			in += skip;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

/* Looks for name in a ':'-separated list; sets found. */
static int search_list(const char *list, const char *origin, const char *name, int cls, int machine,
		       char *found, size_t foundlen);

static int candidate_ok(const char *path, int cls, int machine)
{
	struct elf_info ei;
	int ok;

	if (access(path, R_OK) != 0 || elf_read(path, &ei) < 0) {
		return 0;
	}
	ok = ei.cls == cls && ei.machine == machine;
	elf_info_free(&ei);
	return ok;
}

static int try_dir(const char *dir, const char *name, int cls, int machine, char *found, size_t foundlen)
{
	if (*dir == '\0') {
		dir = ".";
	}
	if ((size_t)snprintf(found, foundlen, "%s/%s", dir, name) >= foundlen) {
		return 0;
	}
	return candidate_ok(found, cls, machine);
}

static int search_list(const char *list, const char *origin, const char *name, int cls, int machine,
		       char *found, size_t foundlen)
{
	char copy[4096], dir[PATH_MAX], *tok = NULL, *save = NULL;

	if (list == NULL) {
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
		expand_dst(tok, origin, cls, dir, sizeof(dir));
		if (try_dir(dir, name, cls, machine, found, foundlen)) {
			return 1;
		}
	}
	return 0;
}

/* ---- closure ----------------------------------------------------------- */

struct resolver {
	const struct elf_search *s;
	struct strv ldconf_dirs;
	int cls, machine;
	char *exe_rpath;      /* the executable's DT_RPATH (when it has no RUNPATH) */
	char exe_origin[PATH_MAX];
	struct strv queue;    /* host paths still to scan */
	struct elf_deps *out;
};

static int deps_has(const struct elf_deps *d, const char *dest)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].dest, dest) == 0) {
			return 1;
		}
	}
	return 0;
}

static int deps_add(struct elf_deps *d, const char *dest, const char *src)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct elf_dep *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL) {
			return -ENOMEM;
		}
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].dest = strdup(dest);
	d->v[d->n].src = realpath(src, NULL);
	if (d->v[d->n].dest == NULL || d->v[d->n].src == NULL) {
		free(d->v[d->n].dest);
		free(d->v[d->n].src);
		return d->v[d->n].src == NULL ? -errno : -ENOMEM;
	}
	d->n++;
	return 0;
}

static void dirname_of(const char *path, char *out, size_t outlen)
{
	char *abs = realpath(path, NULL);
	const char *p = abs ? abs : path;
	const char *slash = strrchr(p, '/');

	if (slash == NULL) {
		snprintf(out, outlen, ".");
	} else if (slash == p) {
		snprintf(out, outlen, "/");
	} else {
		snprintf(out, outlen, "%.*s", (int)(slash - p), p);
	}
	free(abs);
}

static int resolve_one(struct resolver *r, const struct elf_info *needer, const char *needer_path,
		       const char *name, char *found, size_t foundlen)
{
	char origin[PATH_MAX];
	size_t i;

	if (strchr(name, '/') != NULL) {
		snprintf(found, foundlen, "%s", name);
		return candidate_ok(found, r->cls, r->machine);
	}
	dirname_of(needer_path, origin, sizeof(origin));
	if (needer->runpath == NULL) {
		if (search_list(needer->rpath, origin, name, r->cls, r->machine, found, foundlen) ||
		    search_list(r->exe_rpath, r->exe_origin, name, r->cls, r->machine, found, foundlen)) {
			return 1;
		}
	} else if (search_list(needer->runpath, origin, name, r->cls, r->machine, found, foundlen)) {
		return 1;
	}
	for (i = 0; i < r->ldconf_dirs.n; i++) {
		if (try_dir(r->ldconf_dirs.v[i], name, r->cls, r->machine, found, foundlen)) {
			return 1;
		}
	}
	for (i = 0; r->s->default_dirs != NULL && r->s->default_dirs[i] != NULL; i++) {
		if (try_dir(r->s->default_dirs[i], name, r->cls, r->machine, found, foundlen)) {
			return 1;
		}
	}
	return 0;
}

static int scan(struct resolver *r, const char *path, int is_exe, char *err, size_t errlen)
{
	struct elf_info ei;
	char found[PATH_MAX];
	size_t i;
	int rc = elf_read(path, &ei);

	if (rc < 0) {
		snprintf(err, errlen, "cannot read ELF headers of %s: %s", path,
			 rc == -EINVAL ? "malformed ELF" : strerror(-rc));
		return rc;
	}
	if (is_exe) {
		r->cls = ei.cls;
		r->machine = ei.machine;
		dirname_of(path, r->exe_origin, sizeof(r->exe_origin));
		if (ei.runpath == NULL && ei.rpath != NULL) {
			r->exe_rpath = strdup(ei.rpath);
		}
		if (ei.interp != NULL && !deps_has(r->out, ei.interp)) {
			if (access(ei.interp, R_OK) != 0) {
				snprintf(err, errlen, "cannot find ELF interpreter %s of %s", ei.interp, path);
				rc = -ENOENT;
				goto out;
			}
			if ((rc = deps_add(r->out, ei.interp, ei.interp)) < 0) {
				goto out;
			}
		}
	}
	for (i = 0; i < ei.nneeded; i++) {
		if (!resolve_one(r, &ei, path, ei.needed[i], found, sizeof(found))) {
			snprintf(err, errlen, "cannot resolve library %s needed by %s", ei.needed[i], path);
			rc = -ENOENT;
			goto out;
		}
		if (deps_has(r->out, found) || (r->out->n > 0 && strcmp(found, r->out->v[0].dest) == 0)) {
			continue;
		}
		if ((rc = deps_add(r->out, found, found)) < 0 || (rc = strv_push(&r->queue, found)) < 0) {
			goto out;
		}
	}
out:
	elf_info_free(&ei);
	return rc;
}

int elf_closure(const char *binary, const struct elf_search *s, struct elf_deps *out,
		char *err, size_t errlen)
{
	struct resolver r = { .s = s, .out = out };
	size_t next = 0;
	int rc;

	if (s->ldconf != NULL) {
		ldconf_read(s->ldconf, &r.ldconf_dirs, 0);
	}
	rc = scan(&r, binary, 1, err, errlen);
	while (rc == 0 && next < r.queue.n) {
		rc = scan(&r, r.queue.v[next++], 0, err, errlen);
	}
	strv_free(&r.queue);
	strv_free(&r.ldconf_dirs);
	free(r.exe_rpath);
	return rc;
}

void elf_deps_free(struct elf_deps *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].dest);
		free(d->v[i].src);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
