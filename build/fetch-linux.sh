#!/bin/sh
# Extracts Debian's linux-source tarball into the cache (pristine tree;
# the kernel is built out of tree with O=).
#   build/fetch-linux.sh CACHE PKG PINNED_VERSION
set -eu
cache=$1 pkg=$2 pinned=$3
tarball=/usr/src/$pkg.tar.xz
pkgver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
if [ -z "$pkgver" ] || [ ! -f "$tarball" ]; then
	echo "lifeboat: cannot find $tarball: install $pkg (make deps)" >&2
	exit 1
fi
if [ "$pkgver" != "$pinned" ]; then
	echo "lifeboat: warning: $pkg is $pkgver, build/versions.mk pins $pinned" >&2
fi
dest="$cache/src/linux-$pkgver"
[ -f "$dest/.lifeboat-ok" ] && { echo "$dest"; exit 0; }
mkdir -p "$cache/src"
rm -rf "$dest" "$dest.tmp"
mkdir "$dest.tmp"
echo "  EXTRACT $pkg $pkgver" >&2
tar -xJf "$tarball" -C "$dest.tmp" --strip-components=1
touch "$dest.tmp/.lifeboat-ok"
mv "$dest.tmp" "$dest"
echo "$dest"
