/* ELF dependency closure, resolved the way glibc's dynamic loader does
 * (like dracut's inst_binary): PT_INTERP, then DT_NEEDED searched in the
 * needing object's DT_RPATH (when it has no DT_RUNPATH, and the
 * executable's), DT_RUNPATH, the ld.so.conf directories, then the default
 * directories; a candidate must match the executable's ELF class and
 * machine. $ORIGIN, $LIB and $PLATFORM are expanded. */
#ifndef LIFEBOAT_ELFDEPS_H
#define LIFEBOAT_ELFDEPS_H

#include <stddef.h>

struct elf_search {
	const char *ldconf;               /* "/etc/ld.so.conf"; NULL: none */
	const char *const *default_dirs;  /* NULL-terminated */
};

extern const struct elf_search elf_search_host;

/* One file to install: the path the loader will look for (dest) and the
 * host file that holds its contents (src, symlinks resolved). */
struct elf_dep {
	char *dest;
	char *src;
};

struct elf_deps {
	struct elf_dep *v;
	size_t n, cap;
};

/* 1 when path is an ELF file, 0 when not, -errno when unreadable. */
int elf_is_elf(const char *path);

/* Appends the interpreter and every library binary needs, recursively,
 * without duplicates. A static binary adds nothing. Returns 0, or -ENOENT
 * with err naming the library that cannot be resolved and who needs it,
 * or another -errno. */
int elf_closure(const char *binary, const struct elf_search *s, struct elf_deps *out,
		char *err, size_t errlen);

void elf_deps_free(struct elf_deps *d);

#endif
