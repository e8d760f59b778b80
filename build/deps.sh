#!/bin/sh
# Dependency bootstrap: installs the Debian packages listed in LIST (default
# build/deps.txt) that are missing, and adds a deb-src entry for the suite
# when none exists. As non-root it prints the exact commands to run and fails.
#   build/deps.sh [LIST]
set -eu

here=$(dirname "$0")
list=${1:-$here/deps.txt}
suite=${DEBIAN_SUITE:-bookworm}
srcfile=/etc/apt/sources.list.d/lifeboat-deb-src.sources

missing=""
for pkg in $(grep -v '^#' "$list"); do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $pkg"
done

# A deb-src entry for the suite: a one-line "deb-src URI SUITE ..." or a
# deb822 stanza whose Types include deb-src and whose Suites include SUITE.
have_src() {
	grep -qsE "^deb-src[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+$suite([[:space:]]|\$)" \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			/^[[:space:]]*$/ { if (src && hit) found = 1; src = hit = 0; next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb-src") src = 1 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
			END { if (src && hit) found = 1; exit !found }' "$f" && return 0
	done
	return 1
}

need_src=0
have_src || need_src=1

[ -z "$missing" ] && [ $need_src = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "lifeboat: cannot install build dependencies: not root. Run as root:" >&2
	if [ $need_src = 1 ]; then
		echo "  printf 'Types: deb-src\\nURIs: http://deb.debian.org/debian\\nSuites: $suite $suite-updates\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' > $srcfile" >&2
	fi
	echo "  apt-get update" >&2
	[ -n "$missing" ] && echo "  apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

if [ $need_src = 1 ]; then
	uri=$(sh "$here/debian-mirror.sh")
	echo "  DEPS    adding deb-src entry $srcfile ($uri $suite)"
	tmp="$srcfile.tmp"
	printf 'Types: deb-src\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" "$suite" "$suite" > "$tmp"
	mv "$tmp" "$srcfile"
fi

echo "  DEPS    apt-get update"
apt-get update -qq
if [ -n "$missing" ]; then
	echo "  DEPS    installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
