#!/bin/sh
# The toolbox image: the cpio lifeboat-image made from the toolbox's
# manifests, unpacked into a staging directory and packed again as a
# squashfs (xz with the x86 BCJ filter, like the initramfs) that the agent
# mounts read-only instead of unpacking it into RAM. Reproducible: every
# entry owned by root and dated EPOCH (SOURCE_DATE_EPOCH), no xattrs.
#   build/toolbox-squashfs.sh TREE.cpio OUT.squashfs EPOCH
set -eu
cpio=$1 out=$2 epoch=$3
stage=$out.stage
rm -rf "$stage"
mkdir -p "$stage"
(cd "$stage" && cpio -idm --quiet --no-absolute-filenames) < "$cpio"
rm -f "$out.tmp"
# (SOURCE_DATE_EPOCH set too makes mksquashfs refuse -mkfs-time and -all-time)
# 256 KiB blocks: 4% smaller than the default 128 KiB; a block is what a
# read decompresses, still small next to the tools that read it
env -u SOURCE_DATE_EPOCH mksquashfs "$stage" "$out.tmp" -noappend -quiet -no-progress -comp xz -Xbcj x86 -b 256K \
	-all-root -no-xattrs -mkfs-time "$epoch" -all-time "$epoch" >/dev/null
rm -rf "$stage"
mv "$out.tmp" "$out"
