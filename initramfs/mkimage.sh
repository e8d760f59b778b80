#!/bin/sh
# TEMPORARY image writer (until initramfs/ has its C writer): builds a
# gen_init_cpio manifest, runs the kernel's usr/gen_init_cpio (device nodes
# and uid 0 without root) and compresses with legacy .lzma whose dictionary
# fits a small-RAM boot (the kernel allocates the header's dictionary size).
#   initramfs/mkimage.sh OUTPUT GEN_INIT_CPIO BUSYBOX DROPBEARMULTI AGENT ROOTFS [KEYS]
set -eu
out=$1 gen=$2 busybox=$3 dropbear=$4 agent=$5 rootfs=$6 keys=${7:-}
list="$out.list"
mtime=${SOURCE_DATE_EPOCH:-$(date +%s)}

{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /etc /etc/dropbear /etc/lifeboat \
		/dev /proc /sys /run /tmp /var /var/empty /root /root/.ssh /lib; do
		case $d in
		/root|/root/.ssh|/etc/dropbear) echo "dir $d 0700 0 0" ;;
		/tmp) echo "dir $d 1777 0 0" ;;
		*) echo "dir $d 0755 0 0" ;;
		esac
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /init $agent 0755 0 0"
	echo "slink /usr/bin/lifeboat /init 0777 0 0"
	echo "file /bin/busybox $busybox 0755 0 0"
	"$busybox" --list-full | sort | while read -r applet; do
		[ "$applet" = bin/busybox ] && continue
		echo "slink /$applet /bin/busybox 0777 0 0"
	done
	echo "file /usr/bin/dropbearmulti $dropbear 0755 0 0"
	echo "slink /usr/sbin/dropbear /usr/bin/dropbearmulti 0777 0 0"
	for p in dropbearkey dbclient scp; do
		echo "slink /usr/bin/$p /usr/bin/dropbearmulti 0777 0 0"
	done
	(cd "$rootfs" && find . -type f | sort) | while read -r f; do
		p=${f#.}
		case $p in
		/etc/shadow) mode=0600 ;;
		*) mode=$(stat -c %a "$rootfs/$f") ;;
		esac
		echo "file $p $rootfs/$f $mode 0 0"
	done
	if [ -n "$keys" ]; then
		echo "file /etc/lifeboat/authorized_keys $keys 0600 0 0"
	fi
} > "$list.tmp"
mv "$list.tmp" "$list"

"$gen" -t "$mtime" "$list" > "$out.cpio.tmp"
size=$(stat -c %s "$out.cpio.tmp")
# dictionary: the cpio's size rounded up to a power of two, 1..16 MiB
dict=1
while [ $((dict * 1048576)) -lt "$size" ] && [ $dict -lt 16 ]; do dict=$((dict * 2)); done
xz --format=lzma --lzma1=preset=9e,dict=${dict}MiB -T1 -c "$out.cpio.tmp" > "$out.tmp"
rm -f "$out.cpio.tmp"
mv "$out.tmp" "$out"
