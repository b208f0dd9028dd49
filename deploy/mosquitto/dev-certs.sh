#!/bin/sh
# A development CA and the certificates signed by it: the broker's (for its TLS listener) and, if asked,
# clients' (for a listener with `require_certificate true`). For a test bench or a pilot, not for
# production: there, use your organisation's CA or Let's Encrypt (see deploy/mosquitto/tls.md).
#
#   deploy/mosquitto/dev-certs.sh DIR [--host NAME]... [--ip ADDRESS]... [--client NAME]...
#
# DIR/ca.crt, ca.key          the CA (made once: an existing one in DIR is reused, so clients can be added)
# DIR/server.crt, server.key  the broker's, valid for localhost, 127.0.0.1 and every --host and --ip
# DIR/NAME.crt, NAME.key      a client's, CN=NAME (e.g. the collector's user, mlf-collector)
# Keys are EC P-256, readable by their owner only; certificates last 825 days, the CA 10 years.
set -eu

usage() {
    echo "usage: $0 DIR [--host NAME]... [--ip ADDRESS]... [--client NAME]..." >&2
    exit 2
}

[ $# -ge 1 ] || usage
dir=$1
shift
names="DNS:localhost,IP:127.0.0.1"
cn=localhost
clients=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case $1 in
        --host)
            [ "$cn" != localhost ] || cn=$2
            names="$names,DNS:$2"
            ;;
        --ip) names="$names,IP:$2" ;;
        --client) clients="$clients $2" ;;
        *) usage ;;
    esac
    shift 2
done

mkdir -p "$dir"
umask 077
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f ca.crt ] || [ ! -f ca.key ]; then
    key ca.key
    openssl req -x509 -new -key ca.key -out ca.crt -days 3650 -subj "/CN=Mettiamoci la faccia development CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt, signed by the CA
sign() {
    key "$1.key"
    printf '%s\n' "basicConstraints=CA:FALSE" "$3" >"$1.ext"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -extfile "$1.ext" \
        -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
    chmod 644 "$1.crt"
}

sign server "/CN=$cn" "subjectAltName=$names
extendedKeyUsage=serverAuth"
for client in $clients; do
    sign "$client" "/CN=$client" "extendedKeyUsage=clientAuth"
done
chmod 644 ca.crt
echo "in $(pwd): ca.crt, server.crt (valid for $names)${clients:+, client certificates for:$clients}"
