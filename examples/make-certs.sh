#!/usr/bin/env bash
# Makes the certificates the TLS examples use, as the seed describes them:
# a self-signed server certificate (CN=localhost) and a self-signed client
# certificate, each with its key, and both as .pfx files (no passphrase).
#   bash examples/make-certs.sh        -> examples/certs/
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/certs"
[ -f "$dir/.complete" ] && exit 0
mkdir -p "$dir"
cd "$dir"
for who in server client; do
  cn=localhost; [ $who = client ] && cn=client
  openssl genrsa -out $who-key.pem 2048 2>/dev/null
  openssl req -new -sha256 -key $who-key.pem -out $who-csr.pem \
    -subj "/O=luatls examples/CN=$cn" 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth,clientAuth\n' "$cn" > $who.ext
  openssl x509 -req -in $who-csr.pem -signkey $who-key.pem -days 3650 \
    -extfile $who.ext -out $who-cert.pem 2>/dev/null
  openssl pkcs12 -export -in $who-cert.pem -inkey $who-key.pem \
    -certfile $who-cert.pem -out $who.pfx -passout pass: 2>/dev/null
  rm -f $who-csr.pem $who.ext
done
touch .complete
echo "certificates in $dir"
