#!/bin/sh
# Builds Dropbear as one static multi-call binary with musl
# (dropbear, dropbearkey, dbclient, scp). Public-key login only: password
# authentication is compiled out (musl has no crypt(), and we want none).
#   build/dropbear.sh SRC OBJDIR MUSL_INCLUDE JOBS
set -eu
src=$1 obj=$2 inc=$3 jobs=$4
rm -rf "$obj"
mkdir -p "$obj"
cp -a "$src/." "$obj/"
cd "$obj"
cat > localoptions.h <<'OPT'
/* Lifeboat: public-key logins only. */
#define DROPBEAR_SVR_PASSWORD_AUTH 0
#define DROPBEAR_SVR_PAM_AUTH 0
#define DROPBEAR_CLI_PASSWORD_AUTH 0
#define DROPBEAR_CLI_INTERACT_AUTH 0
#define DROPBEAR_SVR_PUBKEY_AUTH 1
#define DSS_PRIV_FILENAME "/etc/dropbear/dropbear_dss_host_key"
#define RSA_PRIV_FILENAME "/etc/dropbear/dropbear_rsa_host_key"
#define ECDSA_PRIV_FILENAME "/etc/dropbear/dropbear_ecdsa_host_key"
#define ED25519_PRIV_FILENAME "/etc/dropbear/dropbear_ed25519_host_key"
#define DROPBEAR_PATH_SSH_PROGRAM "/bin/dbclient"
#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_ROOT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define SFTPSERVER_PATH "/usr/libexec/sftp-server"
OPT
CC=musl-gcc CFLAGS="-Os -isystem $inc" ./configure --enable-static --disable-zlib \
	--enable-bundled-libtom --disable-lastlog --disable-utmp --disable-utmpx \
	--disable-wtmp --disable-wtmpx --disable-pututline --disable-pututxline \
	--disable-loginfunc --disable-syslog --host=x86_64-linux-musl --build=x86_64-linux-gnu
make -j"$jobs" PROGRAMS="dropbear dropbearkey dbclient scp" MULTI=1 STATIC=1
strip -o dropbearmulti.stripped dropbearmulti
