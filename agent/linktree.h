/* Putting a mounted tree's files into the root file system as symbolic
 * links: how the toolbox's /usr/sbin/lvm or /lib/x86_64-linux-gnu/libc.so.6
 * appear where programs look for them, next to the image's own files, with
 * every directory a real, writable one (LVM writes /etc/lvm/backup). */
#ifndef LIFEBOAT_LINKTREE_H
#define LIFEBOAT_LINKTREE_H

#include <stddef.h>

struct link_counts {
	unsigned int linked; /* links made */
	unsigned int kept;   /* names dst had already: left as they were */
};

/* For every entry below src: a directory is made below dst (one there
 * already, or a link to one, is used as it is); anything else gets a link
 * at the same name below dst pointing to the entry in src, unless dst has
 * that name already (the image's own files win; counted as kept). Running
 * it again links only what is missing. 0, or -errno with the path in
 * err (ELOOP: deeper than 64 levels). */
int link_tree(const char *src, const char *dst, struct link_counts *n, char *err, size_t errlen);

#endif
