#!/bin/sh
# Builds BearSSL as a static library with musl for the agent's TLS client
# (reports and key fetches over HTTPS). The way Debian's rules do it: one
# conf file included after conf/Unix.mk; only the static library is made.
# Sections per function, so the agent's --gc-sections keeps only what it
# calls (a TLS 1.2 client with ECDHE/RSA, AES-GCM and ChaCha20, X.509).
# The same script builds a host copy (gcc) for the agent's unit tests.
#   build/bearssl.sh SRC OBJDIR CC "CFLAGS" JOBS
set -eu
src=$1 obj=$2 cc=$3 cflags=$4 jobs=$5
rm -rf "$obj"
mkdir -p "$obj"
cp -a "$src/." "$obj/"
cd "$obj"
cat > conf/lifeboat.mk <<CONF
include conf/Unix.mk
BUILD = build
CC = $cc
CFLAGS = -W -Wall $cflags -ffunction-sections -fdata-sections
TOOLS = no
TESTS = no
DLL = no
CONF
make -j"$jobs" CONF=lifeboat lib
test -f build/libbearssl.a
