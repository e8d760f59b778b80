#!/bin/sh
# make ca: a small CA and a server certificate for lifeboatd, for admins
# without a PKI. openssl does the crypto. RSA 2048 and SHA-256, because
# every iPXE build verifies those (and the ROMs pin this CA: make rom
# TRUST=DIR/ca.crt). An existing CA in DIR is kept; the server certificate
# is made again (so new names can be added).
#   sh server/mkca.sh DIR NAME...     (NAME: DNS names and IPv4 addresses)
set -eu
dir=$1
shift
[ $# -gt 0 ] || { echo "lifeboat: cannot make a server certificate: give its names: make ca CA_NAMES='boot.example 192.0.2.5'" >&2; exit 2; }
umask 077
mkdir -p "$dir"
san=""
# An address goes in as IP: (browsers, iPXE, curl) and also as DNS: with
# the same text, because the agent's TLS library (BearSSL) matches the URL's
# host against DNS names only. An IPv6 address goes in as IP: alone (a DNS
# name has no colons): agents checking by the CA reach such a lifeboatd by
# a name; agents booted over HTTPS check the pinned certificate instead.
for n in "$@"; do
	case $n in
	*:*) san="$san${san:+,}IP:$n" ;;
	*[!0-9.]*) san="$san${san:+,}DNS:$n" ;;
	*) san="$san${san:+,}IP:$n,DNS:$n" ;;
	esac
done
if [ ! -f "$dir/ca.crt" ]; then
	openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/CN=Lifeboat CA $(hostname)" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	echo "  CA      $dir/ca.crt (new; keep $dir/ca.key safe: it signs what every ROM and agent trusts)"
else
	echo "  CA      $dir/ca.crt (kept)"
fi
openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$dir/server.key.tmp" -out "$dir/server.csr" \
	-subj "/CN=$1" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
	"$san" > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -sha256 \
	-days 825 -extfile "$dir/server.ext" -out "$dir/server.crt.tmp" 2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext"
mv "$dir/server.key.tmp" "$dir/server.key"
mv "$dir/server.crt.tmp" "$dir/server.crt"
chmod 0644 "$dir/ca.crt" "$dir/server.crt"
echo "  CERT    $dir/server.crt for $san"
echo "  lifeboatd.conf: tls_port = 8443, tls_cert = $dir/server.crt, tls_key = $dir/server.key"
