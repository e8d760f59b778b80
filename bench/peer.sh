#!/bin/sh
# `make bench-peer`: the peer we compare with, built the way an admin gets
# SSH in an initramfs today: Debian 12's kernel + initramfs-tools +
# dropbear-initramfs, installed by debootstrap into a chroot, the initrd
# made with SOURCE_DATE_EPOCH and the defaults (MODULES=most). Cached: DEST
# holds vmlinuz, initrd.img, the key pair baked in, versions.txt.
#   bench/peer.sh DEST SOURCE_DATE_EPOCH
set -eu
dest=$1
epoch=$2
here=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm

if [ "$(id -u)" != 0 ]; then
	echo "lifeboat: cannot build the benchmark peer: debootstrap and chroot need root" >&2
	exit 1
fi

work="$dest.tmp"
root="$work/chroot"
cleanup() {
	for m in dev/pts dev proc sys; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
	done
}
trap cleanup EXIT INT TERM
cleanup
rm -rf "$work"
mkdir -p "$work/out"

mirror=$(sh "$here/build/debian-mirror.sh")
security=$(grep -rhsE '^URIs:.*debian-security/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2; exit}')
[ -n "$security" ] || security=http://security.debian.org/debian-security

echo "  PEER    debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
	tail -n 20 "$work/debootstrap.log" >&2
	echo "lifeboat: cannot build the benchmark peer: debootstrap failed (log: $work/debootstrap.log)" >&2
	exit 1
}
cat > "$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SRC
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

in_root() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		SOURCE_DATE_EPOCH="$epoch" LANG=C.UTF-8 "$@"
}
echo "  PEER    apt-get install linux-image-amd64 initramfs-tools dropbear-initramfs"
{
	in_root apt-get update &&
	in_root apt-get install -y --no-install-recommends linux-image-amd64 initramfs-tools dropbear-initramfs
} > "$work/install.log" 2>&1 || {
	tail -n 20 "$work/install.log" >&2
	echo "lifeboat: cannot build the benchmark peer: apt-get install failed (log: $work/install.log)" >&2
	exit 1
}

# The key the benchmark logs in with; the initrd is made again with it.
ssh-keygen -q -t ed25519 -N '' -C lifeboat-bench-peer -f "$work/out/id_ed25519"
install -m 0600 "$work/out/id_ed25519.pub" "$root/etc/dropbear/initramfs/authorized_keys"
kver=$(ls "$root/lib/modules" | head -n1)
echo "  PEER    update-initramfs -k $kver (SOURCE_DATE_EPOCH=$epoch)"
in_root update-initramfs -u -k "$kver" > "$work/initramfs.log" 2>&1 || {
	tail -n 20 "$work/initramfs.log" >&2
	echo "lifeboat: cannot build the benchmark peer: update-initramfs failed (log: $work/initramfs.log)" >&2
	exit 1
}
cp "$root/boot/vmlinuz-$kver" "$work/out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/out/initrd.img"
in_root dpkg-query -W -f='${Package} ${Version}\n' "linux-image-$kver" initramfs-tools \
	dropbear-initramfs dropbear-bin busybox klibc-utils > "$work/out/versions.txt"
grep -E '^(MODULES|BUSYBOX|COMPRESS)=' "$root/etc/initramfs-tools/initramfs.conf" >> "$work/out/versions.txt" || true
cleanup
rm -rf "$root"
mv "$work/out" "$work.out"
rm -rf "$dest" "$work"
mv "$work.out" "$dest"
echo "  PEER    $dest: vmlinuz $(stat -c %s "$dest/vmlinuz") + initrd.img $(stat -c %s "$dest/initrd.img") bytes"
