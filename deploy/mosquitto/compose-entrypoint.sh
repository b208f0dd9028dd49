#!/bin/sh
# mosquitto in deploy/compose.yaml: prepare what the broker reads, run it, and make it re-read the
# kiosks' password and ACL files whenever the collector rewrites them (the container twin of
# deploy/systemd/mlf-broker-reload.path: the collector needs no right over the broker process).
set -eu

# The image's folders; a test runs this script against a folder of its own (MLF_MOSQUITTO_ROOT).
ROOT=${MLF_MOSQUITTO_ROOT:-/mosquitto}
SECRETS=${MLF_SECRETS_DIR:-/run/secrets}
AUTH=$ROOT/auth                   # shared with the collector (it writes passwd and acl here)
CERTS=$ROOT/certs
COLLECTOR_USER=${MLF_COLLECTOR_MQTT_USER:-mlf-collector}

fail() { echo "mosquitto entrypoint: $*" >&2; exit 1; }
# Started as root (as in the image), files belong to the broker's account; otherwise to ourselves.
own() { if [ "$(id -u)" -eq 0 ]; then chown mosquitto:mosquitto "$@"; fi; }

password=$(cat "$SECRETS/mqtt_collector_password") || fail "secret mqtt_collector_password is missing"
case $(printf %s "$password" | tr 'A-Z_' 'a-z-') in
  ""|changeme*|change-me*|password|secret|example) fail "secret mqtt_collector_password is a placeholder: run deploy/make-secrets.sh" ;;
esac

# The folder the collector writes: group mosquitto, setgid so its files stay readable by the broker.
install -d -m 2770 "$AUTH" && own "$AUTH"
install -d -m 0750 "$CERTS" "$ROOT/data" && own "$CERTS" "$ROOT/data"
if [ "$(id -u)" -eq 0 ]; then chown -R mosquitto:mosquitto "$ROOT/data"; fi

# The collector's own account, kept by the collector at the top of the password file it writes.
umask 027
tmp=$(mktemp "$AUTH/.static-passwords.XXXXXX")
mosquitto_passwd -c -b "$tmp" "$COLLECTOR_USER" "$password" >/dev/null
own "$tmp" && chmod 0640 "$tmp" && mv "$tmp" "$AUTH/static-passwords"
# So the collector can connect before it has written the files (first start, or a new password):
# its line first, then every other account already there.
tmp=$(mktemp "$AUTH/.passwd.XXXXXX")
cat "$AUTH/static-passwords" > "$tmp"
if [ -f "$AUTH/passwd" ]; then grep -v "^$COLLECTOR_USER:" "$AUTH/passwd" >> "$tmp" || true; fi
own "$tmp" && chmod 0640 "$tmp" && mv "$tmp" "$AUTH/passwd"
if [ ! -f "$AUTH/acl" ]; then
  printf 'user %s\ntopic readwrite mlf/#\n' "$COLLECTOR_USER" > "$AUTH/acl"
  own "$AUTH/acl" && chmod 0640 "$AUTH/acl"
fi

# The TLS certificate and key of the kiosks' listener (compose secrets), readable by the broker only.
install -m 0644 "$SECRETS/mqtt_tls_cert" "$CERTS/server.crt" || fail "secret mqtt_tls_cert is missing (see deploy/README.md)"
install -m 0600 "$SECRETS/mqtt_tls_key" "$CERTS/server.key" || fail "secret mqtt_tls_key is missing (see deploy/README.md)"
own "$CERTS/server.crt" "$CERTS/server.key"

mosquitto -c "$ROOT/config/mosquitto.conf" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null' TERM INT

# Each rewrite is a new file renamed over the old one: its inode changes, whatever the clock says.
state() { stat -c '%i %Y %s' "$AUTH/passwd" "$AUTH/acl" 2>/dev/null || true; }
seen=$(state)
while kill -0 "$broker" 2>/dev/null; do
  sleep 2 &
  wait $! || true
  now=$(state)
  if [ "$now" != "$seen" ]; then
    echo "mosquitto entrypoint: kiosk credentials changed, reloading"
    kill -HUP "$broker" 2>/dev/null || true
    seen=$now
  fi
done
status=0
wait "$broker" || status=$?
exit "$status"
