#!/bin/sh
# Writes a hybrid BIOS/UEFI ISO (CD and USB stick):
#   iso/mkiso.sh rescue OUTPUT.iso BZIMAGE INITRAMFS "ARGS" "STATIC_IP" [TOOLBOX.cpio]
#       boots straight into the rescue system; BIOS: isolinux, UEFI: GRUB;
#       the toolbox (out/toolbox.cpio) goes in as a second initrd
#   iso/mkiso.sh media OUTPUT.iso BZIMAGE INITRAMFS MARK
#       lifeboatd's virtual-media ISO (server/core/media.h): one entry
#       whose kernel arguments are MARK and 1400 '#', the region lifeboatd
#       overwrites with a session's arguments when a BMC fetches it; no
#       toolbox (it comes over HTTP, as after a network boot)
#   iso/mkiso.sh net OUTPUT.iso SERVER_URL
#       BIOS only: Debian's ipxe.lkrn runs a script that fetches the payload
#       from lifeboatd (SERVER_URL/chain.ipxe)
# Menu entries (rescue): default (console on tty0 and ttyS0), serial console
# only, static addressing (ip= from STATIC_IP, editable: TAB in isolinux,
# 'e' in GRUB).
set -eu
kind=$1 out=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/stage"
mkdir -p "$stage/isolinux" "$stage/boot/grub"
bios=/usr/lib/syslinux/modules/bios
cp /usr/lib/ISOLINUX/isolinux.bin "$bios/ldlinux.c32" "$stage/isolinux/"

if [ "$kind" = net ]; then
	server=$3
	case $server in
	http://*|https://*) ;;
	*) echo "lifeboat: cannot write the network ISO: SERVER '$server' is not an http:// URL" >&2; exit 1 ;;
	esac
	cp /usr/lib/ipxe/ipxe.lkrn "$stage/boot/"
	cat > "$stage/boot/lifeboat.ipxe" <<IPXE
#!ipxe
# Lifeboat network ISO: DHCP, then ask the boot server; a bounded number
# of tries, then the next boot device.
set tries:int32 0
:retry
inc tries
iseq \${tries} 6 && goto give_up ||
dhcp && chain $server/chain.ipxe && exit 0 ||
echo Lifeboat: no boot server at $server (try \${tries} of 5); retrying in \${tries}0 s
sleep \${tries}0
goto retry
:give_up
echo Lifeboat: giving up: booting from the next device
exit 1
IPXE
	cat > "$stage/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT lifeboat-net
PROMPT 0
LABEL lifeboat-net
  KERNEL /boot/ipxe.lkrn
  INITRD /boot/lifeboat.ipxe
CFG
	xorriso -as mkisofs -quiet -o "$out.tmp" -V LIFEBOAT_NET -J -r \
		-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
		-c isolinux/boot.cat -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
		"$stage"
	mv "$out.tmp" "$out"
	exit 0
fi

if [ "$kind" = media ]; then
	bzimage=$3 initramfs=$4 mark=$5
	cp "$bzimage" "$stage/boot/bzImage"
	cp "$initramfs" "$stage/boot/initramfs.cpio.xz"
	touch "$stage/boot/lifeboat.id"
	region=$mark$(printf '%1400s' '' | tr ' ' '#')
	cat > "$stage/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT lifeboat
PROMPT 0
LABEL lifeboat
  KERNEL /boot/bzImage
  INITRD /boot/initramfs.cpio.xz
  APPEND console=tty0 console=ttyS0,115200n8 $region
CFG
	cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=0
menuentry "Lifeboat rescue (virtual media)" {
	linux /boot/bzImage console=tty0 console=ttyS0,115200n8 $region
	initrd /boot/initramfs.cpio.xz
}
CFG
else
bzimage=$3 initramfs=$4 args=${5:-} static=${6:-192.0.2.10::192.0.2.1:255.255.255.0::eth0:off} toolbox=${7:-}
cp "$bzimage" "$stage/boot/bzImage"
cp "$initramfs" "$stage/boot/initramfs.cpio.xz"
initrds=/boot/initramfs.cpio.xz
if [ -n "$toolbox" ]; then
	cp "$toolbox" "$stage/boot/toolbox.cpio"
	initrds=$initrds,/boot/toolbox.cpio
fi
ginitrds=$(echo "$initrds" | tr ',' ' ')
touch "$stage/boot/lifeboat.id"
both="console=tty0 console=ttyS0,115200n8"
serial="console=ttyS0,115200n8"

# menu.c32, not DISPLAY: syslinux 6 writes a DISPLAY file to the screen
# only, so on a serial-over-LAN console without the BIOS's redirection the
# menu text never showed; menu.c32 draws itself on the SERIAL port too.
cp "$bios/menu.c32" "$bios/libutil.c32" "$stage/isolinux/"
cat > "$stage/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
UI menu.c32
MENU TITLE Lifeboat rescue system
PROMPT 0
TIMEOUT 30
DEFAULT lifeboat
LABEL lifeboat
  MENU LABEL DHCP on every link, consoles tty0 and ttyS0
  KERNEL /boot/bzImage
  INITRD $initrds
  APPEND $both $args
LABEL serial
  MENU LABEL Serial console on ttyS0 only
  KERNEL /boot/bzImage
  INITRD $initrds
  APPEND $serial $args
LABEL static
  MENU LABEL A static address (Tab to edit ip=)
  KERNEL /boot/bzImage
  INITRD $initrds
  APPEND $both ip=$static $args
CFG

# GRUB's lexer takes the quotes off and GRUB quotes an argument with
# blanks again as a whole ("key=value with blanks"), which the kernel and
# the agent read the same way: pass the arguments as they are
gargs=$args
cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=3
set default=0
menuentry "Lifeboat rescue (DHCP, consoles tty0 and ttyS0)" {
	linux /boot/bzImage $both $gargs
	initrd $ginitrds
}
menuentry "Lifeboat rescue, serial console only" {
	linux /boot/bzImage $serial $gargs
	initrd $ginitrds
}
menuentry "Lifeboat rescue, static address (e to edit ip=)" {
	linux /boot/bzImage $both ip=$static $gargs
	initrd $ginitrds
}
CFG
fi

# The EFI loader finds the ISO's file system (CD or USB) by a marker file
cat > "$work/embed.cfg" <<'CFG'
search --no-floppy --set=root --file /boot/lifeboat.id
set prefix=($root)/boot/grub
configfile ($root)/boot/grub/grub.cfg
CFG
grub-mkimage -O x86_64-efi -o "$work/BOOTX64.EFI" -c "$work/embed.cfg" -p /boot/grub \
	part_gpt part_msdos iso9660 fat linux normal serial terminal search search_fs_file \
	configfile echo test boot efi_gop efi_uga all_video
mkfs.vfat -C "$stage/boot/grub/efi.img" 4096 >/dev/null
mmd -i "$stage/boot/grub/efi.img" ::/EFI ::/EFI/BOOT
mcopy -i "$stage/boot/grub/efi.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mkdir -p "$stage/EFI/BOOT"
cp "$work/BOOTX64.EFI" "$stage/EFI/BOOT/"

xorriso -as mkisofs -quiet -o "$out.tmp" -V LIFEBOAT -J -r \
	-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
	-c isolinux/boot.cat -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
	-eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot -isohybrid-gpt-basdat \
	"$stage"
mv "$out.tmp" "$out"
