#!/bin/sh
# Fetches one Debian package at a pinned version with apt-get download
# (the host's sources, checked against its keyring like any download) and
# unpacks it into the cache: a tool the tests run, never installed (the
# prometheus package would also start a Prometheus server).
#   build/fetch-tool.sh CACHE PKG VERSION
# Leaves $CACHE/tools/PKG_VERSION/ (the package's files).
set -eu
cache=$1 pkg=$2 ver=$3
dest="$cache/tools/${pkg}_$ver"
[ -f "$dest/.lifeboat-ok" ] && exit 0
mkdir -p "$cache/dl/tools"
echo "  FETCH   $pkg $ver (unpacked, not installed)"
(cd "$cache/dl/tools" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg=$ver" >/dev/null) || {
	echo "lifeboat: cannot fetch $pkg=$ver. Available:" >&2
	apt-cache madison "$pkg" >&2 || true
	exit 1
}
# apt names the file without the epoch
deb=$(ls "$cache/dl/tools/${pkg}_${ver#*:}_"*.deb | head -n 1)
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
touch "$dest.tmp/.lifeboat-ok"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
