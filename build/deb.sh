#!/bin/sh
# make deb: the Debian package of this tree (debian/, debhelper) into
# DEST, then lintian on it: any error or warning fails the build.
set -eu
dest=$1
mkdir -p "$dest"
dest=$(realpath "$dest")
rm -f "$dest"/lifeboat_*.deb "$dest"/lifeboat-dbgsym_*.deb
dpkg-checkbuilddeps
DEB_DESTDIR="$dest" debian/rules binary
debian/rules clean >/dev/null
deb=$(ls "$dest"/lifeboat_*_amd64.deb)
echo "  LINTIAN $deb"
lintian --fail-on error,warning --info "$deb"
echo "  DEB     $deb ($(du -k "$deb" | cut -f1) KiB)"
