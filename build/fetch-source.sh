#!/bin/sh
# Fetches one Debian source package at a pinned version into the cache and
# leaves a pristine, patched tree at $CACHE/src/<pkg>-<version>/.
#   build/fetch-source.sh CACHE PKG VERSION
# Idempotent: a complete tree (marked by .lifeboat-ok) is left alone.
set -eu
cache=$1 pkg=$2 ver=$3
dest="$cache/src/$pkg-$(echo "$ver" | tr ':' '_')"
[ -f "$dest/.lifeboat-ok" ] && exit 0

dl="$cache/dl/$pkg"
mkdir -p "$dl" "$cache/src"
cd "$dl"
if ! ls ./*.dsc >/dev/null 2>&1; then
	echo "  FETCH   $pkg=$ver (apt-get source)"
	if ! apt-get source --download-only -qq "$pkg=$ver" >/dev/null; then
		echo "lifeboat: cannot fetch source $pkg=$ver: apt-get source failed." >&2
		echo "  Is a deb-src entry for bookworm configured (make deps)? Available:" >&2
		apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: /    /p' >&2
		exit 1
	fi
fi
dsc=$(ls ./*.dsc | head -n1)
echo "  EXTRACT $pkg"
rm -rf "$dest" "$dest.tmp"
dpkg-source --no-check -x "$dsc" "$dest.tmp" >/dev/null
touch "$dest.tmp/.lifeboat-ok"
mv "$dest.tmp" "$dest"
