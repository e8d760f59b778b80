#!/bin/sh
# Fetches Debian's firmware packages (non-free-firmware, pinned version)
# into the cache and unpacks them into one tree, without touching the
# system's apt sources: a private apt configuration under $CACHE/apt-fw
# that knows only bookworm's non-free-firmware component, checked against
# Debian's archive keyring like any apt download.
#   build/fetch-firmware.sh CACHE SUITE VERSION PKG...
# Leaves $CACHE/firmware-VERSION/ (lib/firmware/..., usr/share/doc/PKG/).
set -eu
cache=$1 suite=$2 ver=$3
shift 3
dest="$cache/firmware-$ver"
[ -f "$dest/.lifeboat-ok" ] && exit 0

apt_dir="$cache/apt-fw"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/dl/firmware"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite non-free-firmware" \
	> "$apt_dir/sources.list"
apt() {
	# as root apt downloads unsandboxed anyway: say so instead of warning
	"$@" -q -o APT::Sandbox::User="$(id -un)" -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir" -o Dir::State::status=/dev/null
}
echo "  FETCH   firmware $ver: $* (non-free-firmware)"
apt apt-get update >/dev/null
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for pkg in "$@"; do
	(cd "$cache/dl/firmware" && apt apt-get download "$pkg=$ver" >/dev/null) || {
		echo "lifeboat: cannot fetch $pkg=$ver from $suite's non-free-firmware. Available:" >&2
		apt apt-cache madison "$pkg" >&2 || true
		exit 1
	}
	dpkg-deb -x "$cache/dl/firmware/${pkg}_${ver}_all.deb" "$dest.tmp"
done
touch "$dest.tmp/.lifeboat-ok"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
