#!/bin/sh
# Prints the URI of the Debian archive this machine's apt uses (the first
# URIs/deb entry whose path ends in /debian), or deb.debian.org.
{ grep -rhsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
  awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; break } }' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  echo http://deb.debian.org/debian; } | grep -E '/debian/?$' | head -n1
