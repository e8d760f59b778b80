#!/bin/sh
# Rebuilds IMAGE from the same manifests with copies of the rootfs trees
# whose files carry other timestamps, and checks the result is identical.
#   build/repro-check.sh TOOL IMAGE SCRATCH MANIFEST...
set -eu
tool=$1 image=$2 scratch=$3
shift 3
rm -rf "$scratch/repro" && mkdir -p "$scratch/repro"
cp -r "$ROOTFS" "$scratch/repro/rootfs"
cp -r "$TOOLBOX_ROOTFS" "$scratch/repro/rootfs-toolbox"
find "$scratch/repro" -exec touch -h -d '2001-02-03 04:05:06' {} +
out="$scratch/repro/again.cpio.xz"
ROOTFS="$scratch/repro/rootfs" TOOLBOX_ROOTFS="$scratch/repro/rootfs-toolbox" \
	"$tool" build -o "$out" "$@" >/dev/null
if cmp -s "$image" "$out"; then
	echo "  REPRO   $image: two builds identical ($(stat -c %s "$image") bytes, sha256 $(sha256sum < "$image" | cut -c1-16))"
else
	echo "lifeboat: cannot reproduce $image: a second build differs:" >&2
	"$tool" diff "$image" "$out" >&2 || true
	exit 1
fi
