#!/bin/sh
# Builds iPXE with ipxe/embed.ipxe embedded, from the user's own iPXE tree
# (iPXE is not in Debian's source archive here; we never ship its code).
# The tree is copied, not modified.
#   build/ipxe-rom.sh IPXE_SRC OUTDIR SERVER "PCI_IDS" [HTTPS] [TRUST] [IPV6]
# LIFEBOAT_ROM_NO_EFI=1 skips ipxe.efi (tests).
set -eu
src=$1 out=$2 server=$3 ids=$4 https=${5:-} trust=${6:-} ipv6=${7:-1}
if [ ! -f "$src/src/Makefile" ] || [ ! -d "$src/src/config" ]; then
	echo "lifeboat: cannot build iPXE: $src is not an iPXE tree (want src/Makefile)." >&2
	echo "  Get one: git clone https://github.com/ipxe/ipxe && make rom IPXE_SRC=\$PWD/ipxe SERVER=..." >&2
	exit 1
fi
case $server in
http://*|https://*) ;;
*) echo "lifeboat: cannot build iPXE: SERVER '$server' is not an http(s):// URL (make rom SERVER=http://host:port)" >&2; exit 1 ;;
esac
if [ -n "$(printf '%s' "$server" | tr -d 'A-Za-z0-9.:/_[]-')" ]; then
	echo "lifeboat: cannot build iPXE: SERVER '$server' has characters a script cannot carry" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")/.." && pwd)
work="$out/build"
mkdir -p "$work" "$out"
rsync -a --delete --exclude '/src/bin*' "$src/" "$work/ipxe/"
sed "s|@SERVER@|$server|" "$here/ipxe/embed.ipxe" > "$work/embed.ipxe"
local_h="$work/ipxe/src/config/local/general.h"
# IPv6 (SLAAC, DHCPv6, IPv6 URLs): iPXE leaves it out of BIOS builds by
# default, for size; a ROM that must work on an IPv6-only network needs it
# (IPV6=0 leaves it out: the embedded script then gets no ip6)
case $ipv6 in
0|no) echo "#undef NET_PROTO_IPV6" > "$local_h" ;;
*) echo "#define NET_PROTO_IPV6" > "$local_h" ;;
esac
if [ -n "$https" ]; then
	echo "#define DOWNLOAD_PROTO_HTTPS" >> "$local_h"
fi
if [ -n "$trust" ]; then
	echo "#define IMAGE_TRUST_CMD" >> "$local_h"
	abs="$(cd "$(dirname "$trust")" && pwd)/$(basename "$trust")"
	# TRUST pins the root; CERT puts the CA certificate itself into the ROM,
	# so a signature made with just the signer's certificate can be chained
	trust_arg="TRUST=$abs CERT=$abs"
else
	trust_arg=""
fi
targets="bin/undionly.kpxe"
for id in $ids; do
	targets="$targets bin/$id.rom"
done
make -C "$work/ipxe/src" -j"$(nproc)" EMBED="$work/embed.ipxe" $trust_arg $targets
if [ -z "${LIFEBOAT_ROM_NO_EFI:-}" ]; then
	# ipxe.efi (all drivers) and snponly.efi (the UEFI firmware's own NIC
	# driver), for chainloading from a stock UEFI PXE ROM
	make -C "$work/ipxe/src" -j"$(nproc)" EMBED="$work/embed.ipxe" $trust_arg bin-x86_64-efi/ipxe.efi \
		bin-x86_64-efi/snponly.efi
	targets="$targets bin-x86_64-efi/ipxe.efi bin-x86_64-efi/snponly.efi"
fi
for t in $targets; do
	cp "$work/ipxe/src/$t" "$out/"
done
