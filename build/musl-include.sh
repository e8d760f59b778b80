#!/bin/sh
# musl-gcc does not see the kernel UAPI headers. Make a directory holding
# only symlinks to them, for -isystem (never /usr/include itself: glibc's
# headers break musl builds).
set -eu
dir=$1
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
for h in /usr/include/linux /usr/include/x86_64-linux-gnu/asm /usr/include/asm-generic /usr/include/mtd; do
	[ -d "$h" ] || { echo "lifeboat: cannot find kernel headers $h: install linux-libc-dev" >&2; exit 1; }
	ln -s "$h" "$dir.tmp/$(basename "$h")"
done
rm -rf "$dir"
mv "$dir.tmp" "$dir"
