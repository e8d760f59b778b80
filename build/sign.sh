#!/bin/sh
# Detached CMS signatures for iPXE's imgverify: DER, binary, no signed
# attributes. Each .sig is written to a temporary and renamed.
#   build/sign.sh KEY CERT FILE...
set -eu
key=$1 cert=$2
shift 2
for f in "$@"; do
	openssl cms -sign -binary -noattr -in "$f" -signer "$cert" -inkey "$key" -outform DER -out "$f.sig.tmp"
	mv "$f.sig.tmp" "$f.sig"
	echo "  SIGN    $f.sig"
done
