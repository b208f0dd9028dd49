#!/bin/sh
# Make the secrets deploy/compose.yaml hands to its services: one random value per file under
# deploy/secrets/ (or the folder given), readable through the folder by root only. An existing file is
# kept, so running it again changes nothing; delete a file to draw a new value (deploy/README.md says
# what to restart then).
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
for name in db_password mqtt_collector_password mlf_grafana_db_password grafana_admin_password mqtt_sim_password; do
  file=$dir/$name
  if [ -s "$file" ]; then
    echo "kept    $file"
    continue
  fi
  # 32 characters from 24 random bytes; URL-safe, so it fits in a connection string as it is.
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$file.tmp"
  # Each container reads its secrets as its own user (postgres, grafana, mosquitto, the collector's 10001):
  # the files are readable, the folder is not.
  chmod 0444 "$file.tmp"
  mv "$file.tmp" "$file"
  echo "created $file"
done
